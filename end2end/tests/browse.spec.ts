import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { expectAccessible, signIn, totalFromSummary } from "./helpers";

async function listedTotal(page: Page): Promise<number> {
  const summary = page.getByTestId("list-summary");
  if ((await summary.count()) === 0) return 0;
  return totalFromSummary(await summary.innerText());
}

async function nodeCount(page: Page, node: string): Promise<number> {
  const text = await page.locator(`a.tree-node[data-node="${node}"] .tree-count [aria-hidden=true]`).innerText();
  return Number(text.replace(/[^\d]/g, ""));
}

test("every tree node lists as many users as its count says", async ({ page }) => {
  await signIn(page, "helpdesk");
  const nodes = await page.locator("a.tree-node").evaluateAll((links) =>
    links.map((a) => (a as HTMLElement).dataset.node as string),
  );
  expect(nodes).toEqual(
    expect.arrayContaining(["forest", "enterprise-pools", "standard-servers", "earlier-versions", "unassigned"]),
  );
  expect(nodes.filter((n) => n.startsWith("pool-")).length).toBeGreaterThanOrEqual(6);

  for (const node of nodes) {
    const expected = await nodeCount(page, node);
    await page.locator(`a.tree-node[data-node="${node}"]`).click();
    await expect(page).toHaveURL(new RegExp(`/browse/${node}$`));
    await expect(page.locator(`a.tree-node[data-node="${node}"]`)).toHaveAttribute("aria-current", "page");
    if (expected === 0) {
      await expect(page.locator("p.empty")).toBeVisible();
    } else {
      await expect(page.getByTestId("users-table")).toBeVisible();
      await expect.poll(() => listedTotal(page), { message: node }).toBe(expected);
    }
  }
  // Unassigned users are explained, and the deactivated pool is marked in the tree.
  await page.locator('a.tree-node[data-node="unassigned"]').click();
  await expect(page.locator(".alert-info")).toContainText("cannot sign in");
  await expect(page.locator("a.tree-node", { hasText: "deactivated" })).toHaveCount(1);
  await expect(page.locator("a.tree-node", { hasText: "not available" })).toHaveCount(1);
  await expectAccessible(page);
});

test("an operator pages, sorts and filters a pool's users", async ({ page }) => {
  await signIn(page);
  await page.locator("a.tree-node", { hasText: "pool01.contoso.com" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("pool01.contoso.com");
  const table = page.getByTestId("users-table");
  await expect(page.locator(".page-of")).toContainText("Page 1 of");
  const firstPage = await table.locator("tbody tr").first().innerText();
  await expect(table.locator("tbody tr")).toHaveCount(50);

  await page.getByRole("link", { name: "Next" }).click();
  await expect(page).toHaveURL(/page=2/);
  await expect(page.locator(".page-of")).toContainText("Page 2 of");
  await expect(page.getByTestId("list-summary")).toContainText("Showing 51–100 of");
  expect(await table.locator("tbody tr").first().innerText()).not.toEqual(firstPage);

  // Sort by SIP URI, descending on the second click.
  await page.getByRole("link", { name: "SIP URI" }).click();
  await expect(page.locator('th[data-sort-key="sip_uri"]')).toHaveAttribute("aria-sort", "ascending");
  await expect(page.locator(".page-of")).toContainText("Page 1 of");
  const ascending = await table.locator("tbody tr td:nth-child(3)").allInnerTexts();
  expect(ascending).toEqual([...ascending].sort());
  await page.getByRole("link", { name: "SIP URI" }).click();
  await expect(page.locator('th[data-sort-key="sip_uri"]')).toHaveAttribute("aria-sort", "descending");
  const descending = await table.locator("tbody tr td:nth-child(3)").allInnerTexts();
  expect(descending).toEqual([...descending].sort().reverse());

  // Quick filter, then a page size.
  await page.getByLabel("Filter by name or SIP URI").fill("müller");
  await page.getByLabel("Rows per page").selectOption("25");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/q=m%C3%BCller/);
  const names = await table.locator('tbody tr a[href^="/users/"]').allInnerTexts();
  expect(names.length).toBeGreaterThan(0);
  expect(names.length).toBeLessThanOrEqual(25);
  for (const name of names) expect(name.toLowerCase()).toContain("müller");
  await expectAccessible(page);
  await page.getByRole("link", { name: "Clear filter" }).click();
  await expect(page).not.toHaveURL(/q=/);
});

test("the pool page shows version, state, availability and capacity used", async ({ page }) => {
  await signIn(page);
  await page.goto("/browse/enterprise-pools");
  await page.locator("a.tree-node", { hasText: "pool03.contoso.com" }).click();
  await page.getByRole("link", { name: "Pool properties" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Pool pool03.contoso.com");
  await expect(page.getByTestId("pool-availability")).toHaveText("Not available");
  await expect(page.getByTestId("pool-state")).toHaveText("Active");
  await expect(page.getByTestId("pool-capacity")).toContainText(/\d+ of \d[\d,]* users \(\d+%\)/);
  await expect(page.locator(".alert-warn")).toContainText("forced move");
  await expect(page.getByText("Office Communications Server 2007 R2")).toBeVisible();
  await expectAccessible(page);
});

test("a user's page shows settings and server data; an unassigned user cannot sign in", async ({ page, allowProblems }) => {
  await signIn(page);
  const firstRow = page.getByTestId("users-table").locator("tbody tr").first();
  const pool = (await firstRow.locator("td").nth(3).innerText()).trim();
  await firstRow.locator('a[href^="/users/"]').click();
  await expect(page).toHaveURL(/\/users\/\d+$/);
  const userUrl = page.url();
  // A breadcrumb back to the user's pool, and the operations on this one user.
  const crumbs = page.getByRole("navigation", { name: "Where this user is" });
  await expect(crumbs.getByRole("link", { name: pool })).toHaveAttribute("href", /\/browse\/pool-\d+$/);
  const actions = page.getByTestId("user-actions");
  for (const name of ["Move user…", "Configure user…", "Delete server data…", "Export user data"]) {
    await expect(actions.getByRole("link", { name })).toBeVisible();
  }
  await actions.getByRole("link", { name: "Move user…" }).click();
  await expect(page.getByText("Users: the selected users (1).")).toBeVisible();
  await page.getByRole("link", { name: "Cancel" }).click();
  await expect(page).toHaveURL(userUrl);
  await expect(page.getByRole("heading", { name: "User settings" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Active Directory" })).toBeVisible();
  const contacts = page.getByTestId("server-data").locator("dd").first();
  expect(Number((await contacts.innerText()).replace(/[^\d]/g, ""))).toBeGreaterThan(0);
  await expectAccessible(page);

  await page.locator('a.tree-node[data-node="unassigned"]').click();
  await page.getByTestId("users-table").locator('tbody tr a[href^="/users/"]').first().click();
  await expect(page.getByTestId("cannot-sign-in")).toContainText("deactivated");
  await expect(page.getByTestId("user-status")).toHaveText("Unassigned");

  // Unknown users, pools and nodes: a 404 with a friendly page that says what is missing and
  // offers the way back.
  allowProblems(/status of 404/);
  for (const path of ["/users/999999", "/browse/pool-abc", "/browse/pool-999999", "/jobs/999999"]) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(404);
    const notFound = page.getByTestId("not-found");
    await expect(notFound.getByRole("heading", { name: "Page not found" })).toBeVisible();
    await expect(notFound).toContainText(/does not exist|no such|not found/i);
  }
  await page.getByTestId("not-found").getByRole("link", { name: "Go to the deployment" }).click();
  await expect(page).toHaveURL(/\/browse\/forest$/);
});
