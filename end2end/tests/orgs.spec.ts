import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { chooseLanguage, expectAccessible, hydrated, signIn, totalFromSummary } from "./helpers";

async function openOrg(page: Page, name: string) {
  // A click that lands while the list is still being re-rendered after hydration can be lost;
  // click again until the organization opens.
  await expect(async () => {
    await page.locator(".org-list a", { hasText: name }).click();
    await expect(page.locator("h2.org-name")).toHaveText(name, { timeout: 3_000 });
  }).toPass({ timeout: 20_000 });
  await expect(page.getByTestId("org-members").locator("tbody tr").first()).toBeVisible();
}

/** Ticks the first member whose cell in `column` (1-based) is not a dash; returns the name. */
async function tickFirstWith(page: Page, column: number): Promise<string> {
  const rows = page.getByTestId("org-members").locator("tbody tr");
  const n = await rows.count();
  for (let i = 0; i < n; i++) {
    const cell = (await rows.nth(i).locator("td").nth(column - 1).innerText()).trim();
    if (cell !== "–" && cell !== "") {
      await rows.nth(i).locator("input[type=checkbox]").check();
      return (await rows.nth(i).locator("td").nth(1).innerText()).split("\n")[0].trim();
    }
  }
  throw new Error(`no member with column ${column} set on this page`);
}

test("an Enterprise User Manager moves a household and a role holder; preview, history and revoked roles", async ({ page, allowProblems }) => {
  allowProblems(/status of 409/); // the sync without a directory is refused with 409
  await signIn(page, "orgmanager");
  await page.getByRole("link", { name: "Organizations", exact: true }).click();
  await hydrated(page);
  await openOrg(page, "Contoso France");
  await expectAccessible(page);
  const withHousehold = await tickFirstWith(page, 5);
  const withRole = await tickFirstWith(page, 4);
  await expect(page.getByTestId("org-selection")).toContainText("Selected: 2");
  await page.getByTestId("org-move-selected").click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Move users to another organization");
  await page.getByLabel("Destination organization").selectOption({ label: "Contoso Deutschland" });
  await expect(page.getByLabel("Lock after move (Prevent User Move)")).toBeChecked();
  await page.getByRole("button", { name: "Preview the move" }).click();

  // The preview: the household comes along, the role holder's roles are revoked.
  const preview = page.getByTestId("org-move-preview");
  await expect(page.getByTestId("org-move-summary")).toContainText("will move to Contoso Deutschland");
  const along = preview.locator("tbody tr", { has: page.locator("td:nth-child(3)", { hasText: withHousehold }) });
  expect(await along.count()).toBeGreaterThan(0);
  const roleRow = preview.locator("tbody tr", { hasText: withRole }).first();
  const revoked = (await roleRow.locator("td").nth(3).innerText()).trim();
  expect(revoked).not.toBe("–");
  await expectAccessible(page);
  const moving = (await preview.locator("tbody tr").count());
  await page.getByTestId("org-move-run").click();
  await expect(page.getByTestId("org-move-summary")).toHaveText(`${moving} users moved to Contoso Deutschland.`);

  // The history of the destination shows who moved, from where, the revoked roles, and who
  // came along.
  await page.getByRole("link", { name: "Open the destination organization" }).click();
  await expect(page.locator("h2.org-name")).toHaveText("Contoso Deutschland");
  const history = page.getByTestId("org-history");
  const roleMove = history.locator("tbody tr", { hasText: withRole }).first();
  await expect(roleMove).toContainText("Contoso France");
  await expect(roleMove.locator("td").nth(4)).toHaveText(revoked);
  await expect(history.locator("tbody tr", { has: page.locator("td:nth-child(6)", { hasText: withHousehold }) }).first()).toBeVisible();
  await expect(history).toContainText("orgmanager (manual)");
  await expectAccessible(page);
  // The same move, seen from the user.
  await roleMove.getByRole("link", { name: withRole }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Organization moves of a user");
  await expect(page.getByTestId("org-history").locator("tbody tr").first()).toContainText("Contoso Deutschland");
  await expect(page.getByTestId("org-history").locator("tbody tr").first().locator("td").nth(4)).toHaveText(revoked);
  await page.goBack();

  // This portal has no directory configured: the sync says so and changes nothing.
  await page.getByRole("button", { name: "Sync from the directory" }).click();
  await expect(page.getByRole("alert")).toContainText("No directory is configured for sync");
});

test("a CSV import with a bad row: the valid row is applied, the bad one reported", async ({ page, allowProblems }) => {
  allowProblems(/status of 422/); // the bad file is refused with 422
  await signIn(page, "orgmanager");
  await page.goto("/orgs/csv");
  await hydrated(page);
  const csv = [
    "username,display_name,email,organization,prevent_user_move",
    "csv.newperson,Csv Newperson,csv.newperson@contoso.com,Contoso France,yes",
    "bad name,Bad Name,,,",
    "csv.other,Csv Other,,Atlantis,",
  ].join("\n");
  await page.getByLabel("CSV file (UTF-8, comma-separated, with a header row)").setInputFiles({
    name: "people.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(csv),
  });
  await page.getByRole("button", { name: "Check the file" }).click();
  await expect(page.getByTestId("csv-summary")).toHaveText(
    "Created: 1. Updated: 0. Moved: 0. Unchanged: 0. Not applied: 2.",
  );
  const report = page.getByTestId("csv-report");
  await expect(report.locator("tbody tr").nth(1)).toContainText("Not applied: invalid user name");
  await expect(report.locator("tbody tr").nth(2)).toContainText("Not applied: unknown organization");
  await expectAccessible(page);
  await page.getByRole("button", { name: "Apply 1 rows" }).click();
  await expect(page.getByRole("heading", { level: 2, name: "Results" })).toBeVisible();
  await expect(page.getByTestId("csv-summary")).toHaveText(
    "Created: 1. Updated: 0. Moved: 0. Unchanged: 0. Not applied: 2.",
  );
  // A header that is not the expected one changes nothing and says so.
  await page.goto("/orgs/csv");
  await hydrated(page);
  await page.getByLabel("CSV file (UTF-8, comma-separated, with a header row)").setInputFiles({
    name: "wrong.csv",
    mimeType: "text/csv",
    buffer: Buffer.from("name,org\nx,y\n"),
  });
  await page.getByRole("button", { name: "Check the file" }).click();
  await expect(page.getByRole("alert")).toContainText("does not have the expected columns");
});

test("in French: a member of a sub-organization moves to the enterprise organization; others cannot move", async ({ page }) => {
  await signIn(page, "orgmanager");
  await chooseLanguage(page, "fr");
  await page.getByRole("link", { name: "Organisations", exact: true }).click();
  await openOrg(page, "Contoso UK & Ireland");
  const rows = page.getByTestId("org-members").locator("tbody tr");
  await rows.first().locator("input[type=checkbox]").check();
  const name = (await rows.first().locator("td").nth(1).innerText()).split("\n")[0].trim();
  await page.getByRole("link", { name: "Déplacer les membres sélectionnés…" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Déplacer des utilisateurs vers une autre organisation");
  await page.getByLabel("Organisation de destination").selectOption({ label: "contoso.com" });
  await page.getByLabel("Verrouiller après le déplacement (empêcher le déplacement)").uncheck();
  await page.getByRole("button", { name: "Voir l’aperçu du déplacement" }).click();
  await expect(page.getByTestId("org-move-summary")).toContainText("vont rejoindre contoso.com");
  await expectAccessible(page);
  await page.getByTestId("org-move-run").click();
  await expect(page.getByTestId("org-move-summary")).toContainText("déplacés vers contoso.com");
  await page.getByRole("link", { name: "Ouvrir l’organisation de destination" }).click();
  await expect(page.getByTestId("org-history").locator("tbody tr", { hasText: name }).first()).toContainText("Contoso UK & Ireland");

  // An operator without the Enterprise User Manager role has no move action, and the wizard says no.
  const other = await page.context().browser()!.newContext();
  const admin = await other.newPage();
  await signIn(admin, "admin");
  await admin.goto("/orgs");
  await expect(admin.getByTestId("org-move-selected")).toHaveCount(0);
  await admin.goto("/orgs/move?from=1&all=1");
  await expect(admin.getByRole("alert")).toBeVisible();
  // And the server refuses the call itself, whatever the page shows.
  const refused = await admin.request.post("/api/move_org_users", {
    data: { token: "0".repeat(64) },
  });
  expect(refused.status()).toBe(403);
  expect(await refused.json()).toEqual({ code: "forbidden" });
  await other.close();
});

test("moving every member of an organization runs as a job on the server, followed live", async ({ page }) => {
  await signIn(page, "orgmanager");
  await page.goto("/orgs");
  await hydrated(page);
  await openOrg(page, "Contoso UK & Ireland");
  const total = totalFromSummary(await page.getByTestId("org-members-summary").innerText());
  expect(total).toBeGreaterThan(400);
  await page.getByRole("link", { name: "Move all members…" }).click();
  await expect(page.getByTestId("org-move-scope")).toHaveText("Every member of Contoso UK & Ireland.");
  await page.getByLabel("Destination organization").selectOption({ label: "Contoso France" });
  await page.getByLabel("Lock after move (Prevent User Move)").uncheck();
  await page.getByRole("button", { name: "Preview the move" }).click();
  // The preview lists the first 500 users and counts them all.
  await expect(page.getByTestId("org-move-summary")).toContainText(`${total} users will move to Contoso France`);
  await expect(page.getByTestId("org-move-preview").locator("tbody tr")).toHaveCount(Math.min(total, 500));
  await page.getByTestId("org-move-run").click();
  // More than 40 users: a job, whose page shows its progress as it is made.
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  await expect(page.getByTestId("job-kind")).toHaveText("Move between organizations");
  await expect(page.getByTestId("job-progress")).toHaveAttribute("max", String(total));
  await expectAccessible(page);
  // The tab goes away: the move goes on without it.
  const job = page.url();
  await page.goto("about:blank");
  await page.waitForTimeout(1500);
  await page.goto(job);
  await expect(page.getByTestId("job-state")).toHaveText("Completed", { timeout: 120_000 });
  await expect(page.getByTestId("job-progress")).toHaveAttribute("value", String(total));
  await expect(page.getByTestId("job-moved")).toHaveText(total.toLocaleString("en-US"));
  await page.goto("/orgs");
  await openOrgEmpty(page, "Contoso UK & Ireland");
});

async function openOrgEmpty(page: Page, name: string) {
  await page.locator(".org-list a", { hasText: name }).click();
  await expect(page.locator("h2.org-name")).toHaveText(name);
  await expect(page.getByText("This organization has no members.")).toBeVisible();
}
