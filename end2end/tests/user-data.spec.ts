import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { chooseLanguage, expectAccessible, hydrated, openPool, signIn } from "./helpers";
import { demoPassword } from "../playwright.config";

async function contactsOf(page: Page, name: string): Promise<number> {
  await page.goto(`/browse/forest?q=${encodeURIComponent(name)}`);
  await page.getByTestId("users-table").getByRole("link", { name }).first().click();
  const text = await page.getByTestId("data-contacts").innerText();
  return Number(text.replace(/[^\d]/g, ""));
}

test("exported user data restores the contacts a forced move lost", async ({ page, allowProblems }) => {
  allowProblems(/status of 403/); // the wrong password is refused with 403
  await signIn(page, "useradmin");
  await openPool(page, "pool02.contoso.com");
  const rows = page.getByTestId("users-table").locator("tbody tr");
  await rows.nth(0).locator("input[type=checkbox]").check();
  await rows.nth(1).locator("input[type=checkbox]").check();
  const name = (await rows.nth(0).locator("td").nth(1).innerText()).trim();

  const downloading = page.waitForEvent("download");
  await page.getByTestId("export-selected").click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^user-data-\d{8}T\d{6}Z\.xml$/);
  const file = await download.path();

  const contacts = await contactsOf(page, name);
  expect(contacts).toBeGreaterThan(0);

  // Force-move both users: their server data is lost.
  await openPool(page, "pool02.contoso.com");
  await rows.nth(0).locator("input[type=checkbox]").check();
  await rows.nth(1).locator("input[type=checkbox]").check();
  await page.getByRole("link", { name: "Move selected users…" }).click();
  const select = page.getByLabel("Destination pool");
  await select.selectOption((await select.locator("option", { hasText: "pool01.contoso.com" }).getAttribute("value")) ?? "");
  await page.getByLabel("Force the move").check();
  await page.getByTestId("move-preview").click();
  await page.getByTestId("move-run").click();
  await page.getByLabel("I understand that this server data will be lost").check();
  await page.getByLabel("Your password, to confirm").fill(demoPassword);
  await page.getByRole("button", { name: "Force-move users (2)" }).click();
  await expect(page.getByTestId("move-results-totals")).toContainText("Moved: 2.");
  expect(await contactsOf(page, name)).toBe(0);

  // Import the file: the preview says what comes back, the run brings it back.
  await page.getByRole("link", { name: "Import user data…" }).click();
  await hydrated(page);
  await expectAccessible(page);
  await page.getByTestId("import-file").setInputFiles(file);
  await page.getByTestId("import-check").click();
  await expect(page.getByTestId("import-totals")).toContainText("Users in the file: 2.");
  await expect(page.getByTestId("import-table").locator("tbody tr")).toHaveCount(2);
  await expectAccessible(page);
  // Restoring data asks for the password again; a wrong one keeps the preview open.
  await expect(page.getByTestId("import-run")).toBeDisabled();
  await page.getByLabel("Your password, to confirm").fill("not-the-password");
  await page.getByTestId("import-run").click();
  await expect(page.getByTestId("step-up-error")).toContainText("The password is not correct.");
  await page.getByLabel("Your password, to confirm").fill(demoPassword);
  await page.getByTestId("import-run").click();
  await expect(page.getByTestId("import-results-totals")).toContainText("Import finished. Users: 2.");
  expect(await contactsOf(page, name)).toBe(contacts);
});

test("malformed and foreign files are refused with a clear error, in every language", async ({ page, allowProblems }) => {
  allowProblems(/status of 422/); // each bad file is refused with 422
  await signIn(page, "useradmin");
  await page.goto("/import");
  await hydrated(page);
  const check = async (name: string, content: string) => {
    await page.getByTestId("import-file").setInputFiles({ name, mimeType: "application/xml", buffer: Buffer.from(content) });
    await page.getByTestId("import-check").click();
  };
  await check("broken.xml", '<UserData xmlns="urn:uc-admin:user-data:1">\n<User sipUri="sip:a@contoso.com">');
  await expect(page.getByRole("alert")).toContainText("The file is not well-formed XML");
  await page.getByRole("button", { name: "Back" }).click();
  await check("results.xml", '<EnableUsersResults xmlns="urn:uc-admin:enable-results:1"/>');
  await expect(page.getByRole("alert")).toContainText("This is not a UC Admin user data file");
  await page.getByRole("button", { name: "Back" }).click();

  await chooseLanguage(page, "fr");
  await check("inconnu.xml", '<UserData xmlns="urn:uc-admin:user-data:1"><User sipUri="sip:personne@contoso.com"><Allow entry="fabrikam.com"/></User></UserData>');
  await expect(page.getByRole("alert")).toContainText("sip:personne@contoso.com, qui n’est pas activé");
  await page.getByRole("button", { name: "Retour" }).click();

  await chooseLanguage(page, "de");
  await check("kaputt.xml", "not xml at all");
  await expect(page.getByRole("alert")).toContainText("keine UC-Admin-Benutzerdatendatei");
  await expectAccessible(page);
});

test("Help Desk cannot export or import user data", async ({ page }) => {
  await signIn(page, "helpdesk");
  await expect(page.getByTestId("export-list")).toHaveCount(0);
  const response = await page.request.get("/exports/user-data.xml?users=1");
  expect(response.status()).toBe(403);
  const refused = await page.request.post("/api/import_user_data", {
    headers: { "content-type": "application/json" },
    data: { file: "<UserData/>", password: "anything" },
  });
  expect(refused.status()).toBe(403);
});
