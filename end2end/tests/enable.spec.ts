import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import * as fs from "node:fs";
import { chooseLanguage, expectAccessible, signIn } from "./helpers";

/** Ticks the first `n` directory users whose row shows an e-mail address and an enabled account. */
async function pickUsers(page: Page, n: number): Promise<string[]> {
  const rows = page.getByTestId("candidates-table").locator("tbody tr");
  await expect(rows.first()).toBeVisible();
  const names: string[] = [];
  const total = await rows.count();
  for (let i = 0; i < total && names.length < n; i++) {
    const row = rows.nth(i);
    const email = (await row.locator("td").nth(3).innerText()).trim();
    const account = await row.locator("td").nth(6).innerText();
    if (email === "" || /disabled|désactivé|deaktiviert/i.test(account)) continue;
    await row.locator("input[type=checkbox]").check();
    names.push((await row.locator("td").nth(1).innerText()).trim());
  }
  return names;
}

test("a user administrator enables three users, reads the results and exports them to XML", async ({ page }) => {
  await signIn(page, "useradmin");
  await page.getByRole("link", { name: "Enable users…" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Enable users");
  await expectAccessible(page);

  // Step 1: filter by container, tick three users.
  await page.getByLabel("Container").selectOption({ label: "OU=Paris,OU=Users,DC=contoso,DC=com" });
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("candidates-table").locator("tbody tr td.mono.small").first()).toHaveText(/OU=Paris/);
  const names = await pickUsers(page, 3);
  expect(names).toHaveLength(3);
  await expect(page.getByTestId("selection")).toContainText("Selected: 3");
  await page.getByRole("button", { name: "Next step" }).click();

  // Step 2: the default options: a current pool, the e-mail address, enhanced presence on.
  await expect(page.getByLabel("Home pool")).toHaveValue(/\d+/);
  await expect(page.getByLabel("From the e-mail address (recommended)")).toBeChecked();
  await expect(page.getByLabel("SIP domain", { exact: true })).toBeDisabled();
  await expect(page.getByLabel("Enable for enhanced presence")).toBeChecked();
  const poolLabel = await page.getByLabel("Home pool").locator("option:checked").innerText();
  const pool = poolLabel.split(" ")[0];
  await expectAccessible(page);
  await page.getByRole("button", { name: "Preview" }).click();

  // Step 3: every user with the URI that will be generated.
  const preview = page.getByTestId("preview-table");
  await expect(preview.locator("tbody tr")).toHaveCount(3);
  await expect(page.getByTestId("preview-summary")).toContainText(`Users to enable on ${pool}: 3 (selected: 3).`);
  for (const cell of await preview.locator("tbody tr td:nth-child(2)").allInnerTexts()) {
    expect(cell).toMatch(/^sip:[a-z0-9.'_+-]+@contoso\.com$/);
  }
  await expectAccessible(page);
  await page.getByRole("button", { name: "Enable users (3)" }).click();

  // Step 4: results, then the XML export.
  await expect(page.getByTestId("results-summary")).toHaveText("Enabled: 3. Not enabled: 0.");
  const results = page.getByTestId("results-table");
  await expect(results.locator("tbody tr")).toHaveCount(3);
  await expect(results.locator("tbody tr .badge")).toHaveText(["Enabled", "Enabled", "Enabled"]);
  await expectAccessible(page);
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Export to XML" }).click()]);
  expect(download.suggestedFilename()).toMatch(/^enable-results-\d+\.xml$/);
  const xml = fs.readFileSync(await download.path(), "utf-8");
  expect(xml).toContain('<?xml version="1.0" encoding="UTF-8"?>');
  expect(xml).toContain('xmlns="urn:uc-admin:enable-results:1"');
  expect(xml).toContain(`pool="${pool}"`);
  expect(xml.match(/<User guid="[^"]+" outcome="enabled">/g)).toHaveLength(3);
  for (const name of names) expect(xml).toContain(`<DisplayName>${name.replace(/'/g, "&apos;")}</DisplayName>`);

  // The users are now enabled: they appear in the pool's list and left the directory browser.
  await page.getByRole("button", { name: "Enable more users" }).click();
  await page.getByLabel("Name, logon name or e-mail").fill(names[0]);
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("candidates-table").getByText(names[0], { exact: true })).toHaveCount(0);
  await page.goto(`/browse/forest?q=${encodeURIComponent(names[0])}`);
  await expect(page.getByTestId("users-table").getByRole("link", { name: names[0] }).first()).toBeVisible();
});

test("the wizard runs in German, problems are shown and left out", async ({ page }) => {
  await signIn(page, "useradmin");
  await chooseLanguage(page, "de");
  await page.getByRole("link", { name: "Benutzer aktivieren…" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Benutzer aktivieren");
  const rows = page.getByTestId("candidates-table").locator("tbody tr");
  await expect(rows.first()).toBeVisible();
  // One user without an e-mail address, and two with one.
  let withoutMail = 0;
  const total = await rows.count();
  for (let i = 0; i < total && withoutMail < 1; i++) {
    if ((await rows.nth(i).locator("td").nth(3).innerText()).trim() === "") {
      await rows.nth(i).locator("input[type=checkbox]").check();
      withoutMail++;
    }
  }
  expect(withoutMail).toBe(1);
  await pickUsers(page, 2);
  await expect(page.getByTestId("selection")).toContainText("Ausgewählt: 3");
  await page.getByRole("button", { name: "Nächster Schritt" }).click();
  await expect(page.getByText("So wird der SIP-URI jedes Benutzers gebildet")).toBeVisible();
  await page.getByRole("button", { name: "Vorschau" }).click();
  await expect(page.getByTestId("preview-problems")).toHaveText("Wegen eines Problems ausgelassen: 1.");
  await expect(page.getByTestId("preview-table")).toContainText("Keine E-Mail-Adresse");
  await expectAccessible(page);
  await page.getByRole("button", { name: "Benutzer aktivieren (2)" }).click();
  await expect(page.getByTestId("results-summary")).toHaveText("Aktiviert: 2. Nicht aktiviert: 1.");
  await expect(page.getByTestId("results-table")).toContainText("Nicht aktiviert");
  await expectAccessible(page);
});

test("a Help Desk operator sees the wizard disabled and the server refuses anyway", async ({ page }) => {
  await signIn(page, "helpdesk");
  await page.getByRole("link", { name: "Enable users…" }).click();
  await expect(page.getByTestId("enable-not-allowed")).toBeVisible();
  await page.getByTestId("candidates-table").locator("tbody input[type=checkbox]").first().check();
  await expect(page.getByTestId("wizard-next")).toBeDisabled();
  await expectAccessible(page);

  // The server checks the role itself: a hand-made call is refused and changes nothing.
  const response = await page.request.post("/api/enable_users", {
    headers: { "content-type": "application/json" },
    data: { token: "0".repeat(64) },
  });
  expect(response.status()).toBe(403);
  expect(await response.json()).toEqual({ code: "forbidden" });
  const preview = await page.request.post("/api/preview_enable", {
    headers: { "content-type": "application/json" },
    data: { selection: 1, options: { pool: 1, source: "email", sip_domain: null, enhanced_presence: true } },
  });
  expect(preview.status()).toBe(403);
});

test("bad input to the enable calls gets a clear error and changes nothing", async ({ page }) => {
  await signIn(page, "useradmin");
  const post = (endpoint: string, data: object) =>
    page.request.post(`/api/${endpoint}`, { headers: { "content-type": "application/json" }, data });
  const select = async (users: number[]) => post("select_users", { source: { users: { users } } });
  const options = { pool: 1, source: "email", sip_domain: null, enhanced_presence: true };
  // Nothing chosen: refused before anything is stored.
  const empty = await select([]);
  expect(empty.status()).toBe(400);
  expect(await empty.json()).toEqual({ code: "empty_selection" });
  // Users the directory does not have: the preview says so.
  const strangers = await (await select([987654])).json();
  const unknown = await post("preview_enable", { selection: strangers.id, options });
  expect(unknown.status()).toBe(400);
  expect(await unknown.json()).toEqual({ code: "unknown_users" });
  const someone = await (await select([4])).json();
  const domain = await post("preview_enable", {
    selection: someone.id,
    options: { ...options, source: "first_last_at_domain", sip_domain: "evil.example" },
  });
  expect(await domain.json()).toEqual({ code: "sip_domain_not_configured" });
  // A selection that is not the operator's, and a run without a preview.
  const missing = await post("preview_enable", { selection: 999999, options });
  expect(missing.status()).toBe(404);
  expect(await missing.json()).toEqual({ code: "selection_not_found" });
  const forged = await post("enable_users", { token: "0".repeat(64) });
  expect(forged.status()).toBe(409);
  expect(await forged.json()).toEqual({ code: "preview_expired" });
});
