import { expect, test } from "./fixtures";
import { chooseLanguage, expectAccessible, hydrated, signIn } from "./helpers";

// Users from a list (like Move-CsUser -UserList): a pasted list with bad lines is checked line
// by line before any wizard opens; the good lines become the wizard's users.

const TEXTS = {
  en: {
    open: "Users from a list…",
    malformed: "Not a SIP URI or user principal name (user@domain)",
    duplicate: "The same user as line 1",
    unknown: "No enabled user has this SIP URI and no directory user this user principal name",
    alreadyEnabled: "The user is already enabled",
    enable: "Enable",
  },
  fr: {
    open: "Utilisateurs d’une liste…",
    malformed: "Ni un URI SIP ni un nom d’utilisateur principal (utilisateur@domaine)",
    duplicate: "Le même utilisateur qu’à la ligne 1",
    unknown: "Aucun utilisateur activé n’a cet URI SIP et aucun utilisateur de l’annuaire ce nom d’utilisateur principal",
    alreadyEnabled: "L’utilisateur est déjà activé",
    enable: "Activer",
  },
  de: {
    open: "Benutzer aus einer Liste…",
    malformed: "Weder ein SIP-URI noch ein Benutzerprinzipalname (benutzer@domäne)",
    duplicate: "Derselbe Benutzer wie in Zeile 1",
    unknown: "Kein aktivierter Benutzer hat diesen SIP-URI und kein Verzeichnisbenutzer diesen Benutzerprinzipalnamen",
    alreadyEnabled: "Der Benutzer ist bereits aktiviert",
    enable: "Aktivieren",
  },
};

for (const language of ["en", "fr", "de"] as const) {
  test(`a pasted list with bad lines in ${language}: each refused with its line, the good ones move`, async ({ page }) => {
    const texts = TEXTS[language];
    await signIn(page);
    await chooseLanguage(page, language);
    // Two enabled users as the list names them: by SIP URI, one of them in capitals with its scheme.
    const uris = await page.getByTestId("users-table").locator("tbody tr td.mono").allInnerTexts();
    const [first, second] = uris.slice(0, 2).map((u) => u.replace(/\s+/g, "").replace(/^sip:/, ""));
    const list = [first, "not an address", `SIP:${first.toUpperCase()}`, "", "# a comment", "nobody.at.all@contoso.com", second].join("\n");

    await page.getByRole("link", { name: texts.open }).click();
    await expect(page).toHaveURL(/\/lists$/);
    await page.getByTestId("user-list-text").fill(list);
    await page.getByTestId("user-list-check").click();
    const problems = page.getByTestId("user-list-problems").locator("tbody tr");
    await expect(problems).toHaveCount(3);
    await expect(problems.nth(0).locator("td")).toHaveText(["2", "not an address", texts.malformed]);
    await expect(problems.nth(1).locator("td")).toHaveText(["3", `SIP:${first.toUpperCase()}`, texts.duplicate]);
    await expect(problems.nth(2).locator("td")).toHaveText(["6", "nobody.at.all@contoso.com", texts.unknown]);
    await expect(page.getByTestId("user-list-summary")).toContainText("2");
    await expectAccessible(page);

    // The good lines become the move wizard's users; nothing was changed on the way.
    await page.getByTestId("user-list-continue").click();
    await expect(page).toHaveURL(/\/move\?scope=selected/);
    await expect(page.getByTestId("move-scope")).toContainText("(2)");

    // For enabling, the same list's enabled users are left out.
    await page.goto("/lists");
    // The choice is the page's state: made before hydration, hydration would undo it.
    await hydrated(page);
    await page.getByLabel(texts.enable, { exact: true }).check();
    await page.getByTestId("user-list-text").fill(list);
    await page.getByTestId("user-list-check").click();
    await expect(problems).toHaveCount(5);
    await expect(problems.nth(0).locator("td").nth(2)).toHaveText(texts.alreadyEnabled);
    await expect(page.getByTestId("user-list-continue")).toHaveCount(0);
  });
}

test("a list of directory users opens the Enable wizard with them picked", async ({ page }) => {
  await signIn(page);
  await page.goto("/enable");
  const logons = await page.getByTestId("candidates-table").locator("tbody tr td:nth-child(3)").allInnerTexts();
  const names = logons.slice(0, 3).map((l) => `${l.trim().split("\\").pop()}@contoso.com`);
  await page.goto("/lists");
  await hydrated(page);
  await page.getByLabel("Enable", { exact: true }).check();
  await page.getByTestId("user-list-text").fill(names.join("\n"));
  await page.getByTestId("user-list-check").click();
  await expect(page.getByTestId("user-list-problems")).toHaveCount(0);
  await expect(page.getByTestId("user-list-summary")).toHaveText("3 of 3 lines name a user to Enable; 0 left out.");
  await page.getByTestId("user-list-continue").click();
  await expect(page).toHaveURL(/\/enable\?scope=list/);
  // The options step, with the three users picked: the preview lists them.
  await page.getByRole("button", { name: "Preview" }).click();
  await expect(page.getByTestId("preview-table").locator("tbody tr")).toHaveCount(3);
});
