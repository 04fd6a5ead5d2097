import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { chooseLanguage, expectAccessible, hydrated, signIn, totalFromSummary } from "./helpers";
import { demoPassword } from "../playwright.config";

async function find(page: Page, pattern: string) {
  await page.locator("#search-sip").fill(pattern);
  await page.locator("form.search-form button[type=submit]").click();
  await expect(page.getByTestId("users-table").or(page.locator("p.empty")).or(page.getByRole("alert"))).toBeVisible();
}

function sipCells(page: Page) {
  return page.getByTestId("users-table").locator("tbody tr td:nth-child(3)");
}

/** Ticks the first row whose pool column shows `pool`; returns the user's display name. */
async function tickUserOf(page: Page, pool: string): Promise<string> {
  const row = page.getByTestId("users-table").locator("tbody tr", { has: page.locator("td:nth-child(4)", { hasText: pool }) }).first();
  await row.locator("input[type=checkbox]").check();
  return (await row.locator("td").nth(1).innerText()).trim();
}

test("find by *smith* and by a prefix, build an advanced query, save, share, open and rename it", async ({ page }) => {
  await signIn(page, "useradmin");
  await page.getByRole("link", { name: "Find users", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Find users");
  await hydrated(page);

  await find(page, "*smith*");
  const smiths = await sipCells(page).allInnerTexts();
  expect(smiths.length).toBeGreaterThan(5);
  for (const uri of smiths) expect(uri.toLowerCase()).toContain("smith");
  await expectAccessible(page);

  // A prefix: every result starts with it (case does not matter).
  const prefix = smiths[0].replace(/^sip:/, "").slice(0, 4);
  await find(page, `${prefix.toUpperCase()}*`);
  const prefixed = await sipCells(page).allInnerTexts();
  expect(prefixed.length).toBeGreaterThan(0);
  for (const uri of prefixed) expect(uri.startsWith(`sip:${prefix}`)).toBeTruthy();

  // `_` is literal: no SIP URI of the demo has one.
  await find(page, "*_*");
  await expect(page.locator("p.empty")).toBeVisible();

  // Advanced: *smith* with federation on, in the Sales department.
  await page.locator("#search-sip").fill("*smith*");
  await page.getByText("Advanced search: property filters").click();
  await page.getByLabel("Federation").selectOption("yes");
  await page.getByLabel("Department").selectOption("Sales");
  await page.locator("form.search-form button[type=submit]").click();
  await expect(page).toHaveURL(/federation=yes/);
  await expect(page).toHaveURL(/department=Sales/);
  const advancedTotal = totalFromSummary(await page.getByTestId("list-summary").innerText());
  expect(advancedTotal).toBeLessThan(smiths.length);

  // Save it, shared.
  await page.getByLabel("Save this search as").fill("Smiths in Sales");
  await page.getByLabel("Share with the other operators").check();
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.locator(".save-status")).toHaveText("Saved as “Smiths in Sales”.");
  const saved = page.getByTestId("saved-query").filter({ hasText: "Smiths in Sales" });
  await expect(saved).toContainText("Shared");

  // A different search, then open the saved one again: the form and the results come back.
  await page.getByRole("link", { name: "Clear" }).click();
  await expect(page.locator("#search-sip")).toHaveValue("");
  await saved.getByRole("link", { name: "Smiths in Sales" }).click();
  await expect(page.locator("#search-sip")).toHaveValue("*smith*");
  await expect(page.getByLabel("Department")).toHaveValue("Sales");
  await expect(page.getByLabel("Federation")).toHaveValue("yes");
  await expect(page.getByTestId("list-summary")).toContainText(`of ${advancedTotal}`);

  // Rename it.
  await saved.getByRole("button", { name: "Rename “Smiths in Sales”" }).click();
  await page.getByLabel("New name").fill("Federated Smiths in Sales");
  await page.getByRole("button", { name: "Save name" }).click();
  await expect(page.getByTestId("saved-query").filter({ hasText: "Federated Smiths in Sales" })).toBeVisible();
  await expectAccessible(page);

  // Another operator sees the shared query, but cannot change it.
  const other = await page.context().browser()!.newContext();
  const helpdesk = await other.newPage();
  await signIn(helpdesk, "helpdesk");
  await helpdesk.goto("/search");
  const shared = helpdesk.getByTestId("saved-query").filter({ hasText: "Federated Smiths in Sales" });
  await expect(shared).toContainText("by");
  await expect(shared.getByRole("button")).toHaveCount(0);
  await other.close();
});

test("malformed patterns and unknown filter values are refused with a clear error", async ({ page }) => {
  await signIn(page, "useradmin");
  await page.goto("/search");
  await hydrated(page);
  await find(page, "john smith");
  await expect(page.getByRole("alert")).toContainText("cannot appear in a SIP URI");
  await page.goto("/search?find=1&archiving=sometimes");
  await expect(page.getByRole("alert")).toHaveText("The value of the filter “Archiving” is not known in this deployment.");
});

test("delete two users after reading what will be deleted; they are back in the directory list", async ({ page }) => {
  await signIn(page, "useradmin");
  await page.goto("/search?find=1&node=pool-1&sip=*smith*");
  await hydrated(page);
  const rows = page.getByTestId("users-table").locator("tbody tr");
  const names: string[] = [];
  for (let i = 0; i < 2; i++) {
    await rows.nth(i).locator("input[type=checkbox]").check();
    names.push((await rows.nth(i).locator("td").nth(1).innerText()).trim());
  }
  await page.getByTestId("delete-selected").click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Delete users");
  await expect(page.getByTestId("delete-summary")).toContainText("The enablement and server data of 2 users");
  await expect(page.getByTestId("delete-users").locator("tbody tr")).toHaveCount(2);
  await expect(page.getByTestId("delete-totals")).toContainText("Contacts");
  await expectAccessible(page);
  const submit = page.getByRole("button", { name: "Delete 2 users" });
  await expect(submit).toBeDisabled();
  await page.getByLabel("I understand that the server data of these 2 users cannot be recovered.").check();
  await expect(submit).toBeDisabled();
  await page.getByLabel("Your password, to confirm").fill(demoPassword);
  await submit.click();
  await expect(page.getByTestId("delete-result")).toHaveText("2 users were deleted.");
  await page.getByRole("link", { name: "View the audit record" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Delete users");
  await expect(page.getByTestId("audit-lines").locator("tbody tr")).toHaveCount(2);
  for (const name of names) await expect(page.getByTestId("audit-lines")).toContainText(name);

  // The directory users are there to be enabled again.
  await page.getByRole("link", { name: "Enable users…" }).first().click();
  for (const name of names) {
    await page.locator("#dir-text").fill(name);
    await page.getByRole("button", { name: "Apply" }).click();
    await expect(page.getByTestId("candidates-table").locator("tbody tr", { hasText: name }).first()).toBeVisible();
  }

  // Help Desk cannot delete: no action, and the wizard says so.
  const other = await page.context().browser()!.newContext();
  const helpdesk = await other.newPage();
  await signIn(helpdesk, "helpdesk");
  await expect(helpdesk.getByTestId("delete-selected")).toHaveCount(0);
  await helpdesk.goto("/delete?scope=node&node=forest");
  await expect(helpdesk.getByRole("alert")).toBeVisible();
  await other.close();
});

test("configure users including an OCS 2007 user: the wizard lists who is skipped and why", async ({ page }) => {
  await signIn(page, "useradmin");
  // An OCS 2007 user found by the advanced search, then a current-version user from the tree:
  // the selection is kept while moving between lists.
  await page.goto("/search?find=1&version=ocs2007");
  await hydrated(page);
  const earlier = await tickUserOf(page, "ocs2007.contoso.com");
  await page.locator("a.tree-node", { hasText: "pool02.contoso.com" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("pool02.contoso.com");
  const current = await tickUserOf(page, "pool02.contoso.com");
  await expect(page.getByTestId("selection")).toContainText("Selected: 2");
  await page.getByTestId("configure-selected").click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Configure users");
  await page.getByLabel("Remote user access").selectOption("on");
  await page.getByLabel("Archiving").selectOption("internal");
  await expectAccessible(page);
  await page.getByRole("button", { name: "Preview the change" }).click();
  await expect(page.getByTestId("configure-summary")).toHaveText(
    "1 users will be changed; 1 will not be changed (listed first, with the reason).",
  );
  const lines = page.getByTestId("configure-users").locator("tbody tr");
  await expect(lines.first()).toContainText(earlier);
  await expect(lines.first()).toContainText("Not changed: homed on an earlier server version (view only here)");
  await expect(lines.nth(1)).toContainText(current);
  await expectAccessible(page);
  await page.getByRole("button", { name: "Apply to 1 users" }).click();
  await expect(page.getByTestId("configure-summary")).toHaveText("1 users were changed; 1 were not changed.");

  // The audit log holds the configure and the delete, with their per-user outcomes.
  await page.getByRole("link", { name: "Audit log" }).click();
  await page.getByLabel("Operation").selectOption("configure_users");
  await page.getByRole("button", { name: "Apply" }).click();
  const configureRow = page.getByTestId("audit-table").locator("tbody tr").first();
  await expect(configureRow).toContainText("useradmin");
  await expect(configureRow).toContainText("Configure users");
  await configureRow.getByRole("link").click();
  await expect(page.getByTestId("audit-lines")).toContainText("Not changed");
  await expect(page.getByTestId("audit-lines")).toContainText("earlier_version");
  // The changed user's page shows the change in the user's timeline.
  await page.getByTestId("audit-lines").getByRole("link", { name: current }).click();
  await expect(page.getByTestId("user-timeline")).toContainText("Configure users");
  await page.goBack();
  await page.getByRole("link", { name: "← Back to the audit log" }).click();
  await page.getByLabel("Operation").selectOption("sign_in");
  await page.getByLabel("Operator").fill("useradmin");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("audit-table").locator("tbody tr").first()).toContainText("Sign-in");
  await expect(page.getByTestId("audit-csv")).toHaveAttribute("href", /operation=sign_in/);
  await expectAccessible(page);

  // The CSV export carries the same records.
  const csv = await page.request.get("/exports/audit.csv?operation=configure_users");
  expect(csv.headers()["content-type"]).toContain("text/csv");
  expect(await csv.text()).toContain("configure_users");

});

test("in German: find by prefix, then delete one user", async ({ page }) => {
  await signIn(page, "useradmin");
  await chooseLanguage(page, "de");
  await page.getByRole("link", { name: "Benutzer suchen", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Benutzer suchen");
  await find(page, "a b");
  await expect(page.getByRole("alert")).toContainText("kann (etwa ein Leerzeichen)");
  await find(page, "zo*");
  for (const uri of await sipCells(page).allInnerTexts()) expect(uri.startsWith("sip:zo")).toBeTruthy();
  const name = (await page.getByTestId("users-table").locator("tbody tr").first().locator("td").nth(1).innerText()).trim();
  await page.getByTestId("users-table").locator("tbody tr").first().locator("input[type=checkbox]").check();
  await page.getByRole("link", { name: "Ausgewählte Benutzer löschen…" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Benutzer löschen");
  await expect(page.getByTestId("delete-summary")).toContainText("Die Aktivierung und die Serverdaten von 1 Benutzern");
  await page.getByLabel("Mir ist bewusst, dass die Serverdaten dieser 1 Benutzer nicht wiederhergestellt werden können.").check();
  await page.getByLabel("Ihr Kennwort zur Bestätigung").fill(demoPassword);
  await page.getByRole("button", { name: "1 Benutzer löschen" }).click();
  await expect(page.getByTestId("delete-result")).toHaveText("1 Benutzer wurden gelöscht.");
  await expectAccessible(page);
  await page.getByRole("link", { name: "Überwachungsprotokoll", exact: true }).click();
  await page.getByLabel("Benutzer (Name oder SIP-URI)").fill(name);
  await page.getByRole("button", { name: "Übernehmen" }).click();
  await expect(page.getByTestId("audit-table").locator("tbody tr").first()).toContainText("Benutzer löschen");
});
