import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { chooseLanguage, expectAccessible, nodeCount, openPool, signIn } from "./helpers";
import { demoPassword } from "../playwright.config";

async function chooseDestination(page: Page, fqdn: string) {
  const select = page.getByLabel("Destination pool");
  const value = await select.locator("option", { hasText: fqdn }).getAttribute("value");
  await select.selectOption(value ?? "");
}

async function tick(page: Page, n: number): Promise<string[]> {
  const rows = page.getByTestId("users-table").locator("tbody tr");
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    await rows.nth(i).locator("input[type=checkbox]").check();
    names.push((await rows.nth(i).locator("td").nth(1).innerText()).trim());
  }
  return names;
}

test("selected users move between available pools with all their data", async ({ page }) => {
  await signIn(page, "useradmin");
  const before01 = await nodeCount(page, "pool01.contoso.com");
  const before02 = await nodeCount(page, "pool02.contoso.com");
  await openPool(page, "pool01.contoso.com");
  const names = await tick(page, 2);
  await expect(page.getByTestId("selection")).toContainText("Selected: 2");
  await page.getByRole("link", { name: "Move selected users…" }).click();
  await expect(page.getByTestId("move-scope")).toHaveText("Users: the selected users (2).");
  await chooseDestination(page, "pool02.contoso.com");
  await expect(page.getByTestId("capabilities")).toContainText("Meetings: Holds");
  await expectAccessible(page);
  await page.getByTestId("move-preview").click();
  await expect(page.getByTestId("move-totals")).toContainText("Moving: 2. Refused: 0.");
  await expect(page.getByTestId("move-totals")).toContainText("Data items lost: 0.");
  await expect(page.getByTestId("move-table").locator("tbody tr")).toHaveCount(2);
  await expectAccessible(page);
  await page.getByTestId("move-run").click();
  await expect(page.getByTestId("move-results-totals")).toContainText("Moved: 2. Refused: 0.");
  await expect.poll(() => nodeCount(page, "pool02.contoso.com")).toBe(before02 + 2);
  expect(await nodeCount(page, "pool01.contoso.com")).toBe(before01 - 2);
  await page.getByRole("link", { name: "Back to the user list" }).click();
  await page.locator("a.tree-node", { hasText: "pool02.contoso.com" }).click();
  await page.getByLabel("Filter by name or SIP URI").fill(names[0]);
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("users-table").getByRole("link", { name: names[0] }).first()).toBeVisible();
});

test("users of the unavailable pool need a forced move, whose confirmation repeats the loss", async ({ page, allowProblems }) => {
  allowProblems(/status of 403/); // the wrong password is refused with 403
  await signIn(page, "useradmin");
  await openPool(page, "pool03.contoso.com");
  await tick(page, 3);
  await page.getByRole("link", { name: "Move selected users…" }).click();
  await chooseDestination(page, "pool01.contoso.com");
  await page.getByTestId("move-preview").click();
  // A normal move is refused for every user.
  await expect(page.getByTestId("move-totals")).toContainText("Moving: 0. Refused: 3.");
  await expect(page.getByTestId("move-table")).toContainText("only a forced move can proceed");
  await expect(page.getByTestId("move-run")).toBeDisabled();
  await page.getByRole("button", { name: "Previous step" }).click();
  await page.getByLabel("Force the move").check();
  await expect(page.getByTestId("capabilities")).toContainText("Contacts and groups: Lost in this move");
  await page.getByTestId("move-preview").click();
  const totals = page.getByTestId("move-totals");
  await expect(totals).toContainText("Moving: 3. Refused: 0. Data items kept: 0.");
  const lost = Number(((await totals.innerText()).match(/lost: ([\d,]+)/) ?? ["", "0"])[1].replace(/,/g, ""));
  expect(lost).toBeGreaterThan(0);
  await page.getByTestId("move-run").click();
  const confirmText = page.getByTestId("force-confirm-text");
  await expect(confirmText).toContainText("Users to force-move to pool01.contoso.com: 3.");
  await expect(confirmText).toContainText(`cannot be recovered from the source pool: ${lost.toLocaleString("en-US")}.`);
  const confirm = page.getByRole("button", { name: "Force-move users (3)" });
  await expect(confirm).toBeDisabled();
  await expectAccessible(page);
  await page.getByLabel("I understand that this server data will be lost").check();
  // Step-up: the password again. A wrong one keeps the confirmation open and moves nobody.
  await expect(confirm).toBeDisabled();
  const password = page.getByLabel("Your password, to confirm");
  await password.fill("not my password");
  await confirm.click();
  await expect(page.getByTestId("step-up-error")).toHaveText("The password is not correct. The operation was not started.");
  await expect(page.getByTestId("force-confirm-text")).toBeVisible();
  await expectAccessible(page);
  await password.fill(demoPassword);
  await confirm.click();
  await expect(page.getByTestId("move-results-totals")).toContainText("Moved: 3. Refused: 0. Data items kept: 0.");
});

test("an unassigned user moves out to a valid pool, and the user page says who cannot sign in", async ({ page }) => {
  await signIn(page, "useradmin");
  await page.locator('a.tree-node[data-node="unassigned"]').click();
  const before = Number((await page.locator('a.tree-node[data-node="unassigned"] .tree-count [aria-hidden=true]').innerText()).replace(/[^\d]/g, ""));
  const [name] = await tick(page, 1);
  await page.getByRole("link", { name: "Move selected users…" }).click();
  await chooseDestination(page, "se01.contoso.com");
  await page.getByTestId("move-preview").click();
  await expect(page.getByTestId("move-totals")).toContainText("Moving: 1. Refused: 0.");
  await page.getByTestId("move-run").click();
  await expect(page.getByTestId("move-results-totals")).toContainText("Moved: 1.");
  await expect
    .poll(async () => Number((await page.locator('a.tree-node[data-node="unassigned"] .tree-count [aria-hidden=true]').innerText()).replace(/[^\d]/g, "")))
    .toBe(before - 1);
  await page.goto(`/browse/forest?q=${encodeURIComponent(name)}`);
  await page.getByTestId("users-table").getByRole("link", { name }).first().click();
  await expect(page.getByTestId("user-status")).toHaveText(/Active|Account disabled/);
});

test("an administrator deactivates and reactivates a pool; its users become unassigned and come back", async ({ page }) => {
  await signIn(page, "admin");
  const unassigned = async () =>
    Number((await page.locator('a.tree-node[data-node="unassigned"] .tree-count [aria-hidden=true]').innerText()).replace(/[^\d]/g, ""));
  const before = await unassigned();
  const users = await nodeCount(page, "ocs2007.contoso.com");
  await page.locator("a.tree-node", { hasText: "ocs2007.contoso.com" }).click();
  await page.getByRole("link", { name: "Pool properties" }).click();
  await page.getByRole("button", { name: "Deactivate pool…" }).click();
  await expect(page.getByTestId("pool-confirm-text")).toContainText(`Its users (${users})`);
  await expectAccessible(page);
  await page.getByRole("button", { name: "Confirm" }).click();
  await expect(page.getByTestId("pool-state")).toHaveText("Deactivated");
  await expect.poll(unassigned).toBe(before + users);
  await page.getByRole("button", { name: "Reactivate pool" }).click();
  await expect(page.getByTestId("pool-state")).toHaveText("Active");
  await expect.poll(unassigned).toBe(before);
});

test("the move wizard in French; Help Desk cannot move", async ({ page, browser }) => {
  await signIn(page, "useradmin");
  await chooseLanguage(page, "fr");
  await openPool(page, "se01.contoso.com");
  await tick(page, 1);
  await page.getByRole("link", { name: "Déplacer les utilisateurs sélectionnés…" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Déplacer des utilisateurs");
  await page.getByTestId("move-preview").click();
  await expect(page.getByTestId("move-totals")).toContainText("Déplacés : 1. Refusés : 0.");
  await expectAccessible(page);
  await page.getByRole("button", { name: "Déplacer les utilisateurs (1)" }).click();
  await expect(page.getByTestId("move-results-totals")).toContainText("Déplacés : 1.");

  const helpdesk = await browser.newContext();
  const hd = await helpdesk.newPage();
  await signIn(hd, "helpdesk");
  await openPool(hd, "pool01.contoso.com");
  await expect(hd.getByRole("link", { name: "Move selected users…" })).toHaveCount(0);
  const refused = await hd.request.post("/api/move_users", {
    headers: { "content-type": "application/json" },
    data: { token: "0".repeat(64) },
  });
  expect(refused.status()).toBe(403);
  await helpdesk.close();
});

test("in German, a move whose users changed since the preview does nothing and says so", async ({ page, allowProblems }) => {
  allowProblems(/status of 409/); // the changed users are refused with 409
  await signIn(page, "useradmin");
  await chooseLanguage(page, "de");
  const before01 = await nodeCount(page, "pool01.contoso.com");
  await openPool(page, "pool01.contoso.com");
  const names = await tick(page, 2);
  const link = page.getByTestId("users-table").getByRole("link", { name: names[0] }).first();
  const userId = Number((await link.getAttribute("href"))!.split("/").pop());
  const poolId = async (fqdn: string) =>
    Number((await page.locator("a.tree-node", { hasText: fqdn }).getAttribute("href"))!.split("-").pop());
  const [pool02, se01] = [await poolId("pool02.contoso.com"), await poolId("se01.contoso.com")];
  await page.getByRole("link", { name: "Ausgewählte Benutzer verschieben…" }).click();
  await page.locator("#move-destination").selectOption(String(pool02));
  await page.getByTestId("move-preview").click();
  await expect(page.getByTestId("move-totals")).toContainText("2");

  // Meanwhile someone moves one of the two users elsewhere (the same three calls the wizard makes).
  const post = async (endpoint: string, data: object) => {
    const response = await page.request.post(`/api/${endpoint}`, { data });
    expect(response.status(), endpoint).toBe(200);
    return response.json();
  };
  const selection = await post("select_users", { source: { users: { users: [userId] } } });
  const preview = await post("preview_move", { selection: selection.id, options: { destination: se01, force: false } });
  await post("move_users", { token: preview.token });

  await page.getByTestId("move-run").click();
  await expect(page.getByRole("alert")).toContainText("Die Benutzer haben sich seit der Vorschau geändert");
  await expectAccessible(page);
  // Back to the destination: a new preview shows the users as they are now.
  await page.getByTestId("wizard-preview-again").click();
  await page.getByTestId("move-preview").click();
  await expect(page.getByTestId("move-table").locator("tbody tr")).toHaveCount(2);
  // Only the other move happened: one user left pool01, the second one is still there.
  await page.goto("/browse/forest");
  await expect.poll(() => nodeCount(page, "pool01.contoso.com")).toBe(before01 - 1);
});

// These two run last in this file: they move whole pools.
test("a large move runs as a job whose progress bar reaches the end", async ({ page }) => {
  await signIn(page, "useradmin");
  const users = await nodeCount(page, "ocs2007.contoso.com");
  const before01 = await nodeCount(page, "pool01.contoso.com");
  expect(users).toBeGreaterThan(40);
  await openPool(page, "ocs2007.contoso.com");
  await page.getByRole("link", { name: "Move all users of this list…" }).click();
  await chooseDestination(page, "pool01.contoso.com");
  await page.getByTestId("move-preview").click();
  await expect(page.getByTestId("move-totals")).toContainText(`Moving: ${users}.`);
  await page.getByTestId("move-run").click();
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  const progress = page.getByTestId("job-progress");
  await expect(progress).toHaveAttribute("max", String(users));
  await expect(page.getByTestId("job-state")).toHaveText("Running");
  await expectAccessible(page);
  // The bar fills while we watch, then the job completes.
  await expect.poll(async () => Number(await progress.getAttribute("value")), { timeout: 30_000 }).toBeGreaterThan(0);
  await expect(page.getByTestId("job-state")).toHaveText("Completed", { timeout: 60_000 });
  await expect(progress).toHaveAttribute("value", String(users));
  await expect(page.getByTestId("job-moved")).toHaveText(users.toLocaleString("en-US"));
  // Which portal ran it, in each language (several portals may share one database).
  await expect(page.getByTestId("job-counts")).toContainText("Run by the portal");
  await expect(page.getByTestId("job-runner")).toHaveText("portal-e2e");
  await chooseLanguage(page, "fr");
  await expect(page.getByTestId("job-counts")).toContainText("Exécutée par le portail");
  await chooseLanguage(page, "de");
  await expect(page.getByTestId("job-counts")).toContainText("Ausgeführt vom Portal");
  await expect(page.getByTestId("job-runner")).toHaveText("portal-e2e");
  await chooseLanguage(page, "en");
  await expect.poll(() => nodeCount(page, "pool01.contoso.com")).toBe(before01 + users);
  expect(await nodeCount(page, "ocs2007.contoso.com")).toBe(0);
  await page.getByTestId("job-filter").selectOption("moved");
  await expect(page.getByTestId("job-lines-summary")).toContainText(`of ${users}`);
  await page.getByRole("link", { name: "All jobs" }).click();
  await expect(page.getByTestId("jobs-table")).toContainText("Completed");
});

test("a job cancelled in German keeps the users it moved and leaves the rest in place", async ({ page }) => {
  await signIn(page, "useradmin");
  await chooseLanguage(page, "de");
  const users = await nodeCount(page, "se01.contoso.com");
  await openPool(page, "se01.contoso.com");
  await page.getByRole("link", { name: "Alle Benutzer dieser Liste verschieben…" }).click();
  const select = page.locator("#move-destination");
  await select.selectOption((await select.locator("option", { hasText: "ocs2007.contoso.com" }).getAttribute("value")) ?? "");
  await page.getByTestId("move-preview").click();
  await page.getByTestId("move-run").click();
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  await expect(page.getByTestId("job-state")).toHaveText("Wird ausgeführt");
  await page.getByTestId("job-cancel").click();
  await expect(page.getByTestId("job-state")).toHaveText("Abgebrochen", { timeout: 30_000 });
  await expect(page.getByText("Dieser Auftrag wurde abgebrochen.")).toBeVisible();
  const moved = Number((await page.getByTestId("job-moved").innerText()).replace(/[^\d]/g, ""));
  const left = Number((await page.getByTestId("job-not-processed").innerText()).replace(/[^\d]/g, ""));
  expect(left).toBeGreaterThan(0);
  expect(moved + left).toBe(users);
  await expectAccessible(page);
  await expect.poll(() => nodeCount(page, "se01.contoso.com")).toBe(users - moved);
  expect(await nodeCount(page, "ocs2007.contoso.com")).toBe(moved);
});
