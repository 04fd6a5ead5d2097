import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { chooseLanguage, expectAccessible, hydrated, signIn, totalFromSummary } from "./helpers";

// Scoped roles (like New-CsAdminRole -Template CsUserAdministrator -UserScopes "OU:…"): an
// Enterprise Administrator makes a role limited to the Paris container and gives it to a new
// operator with no other role, who then sees only Paris's users and is refused the others.

const PARIS = "OU=Paris,OU=Users,DC=contoso,DC=com";

const TEXTS = {
  en: { heading: "Scoped roles", userAdministrator: "User Administrator", outside: "The user is outside your scope" },
  fr: { heading: "Rôles délimités", userAdministrator: "Administrateur des utilisateurs", outside: "L’utilisateur est hors de votre étendue" },
  de: { heading: "Bereichsbezogene Rollen", userAdministrator: "Benutzeradministrator", outside: "Der Benutzer liegt außerhalb Ihres Bereichs" },
};

async function forestTotal(page: Page): Promise<number> {
  return totalFromSummary(await page.getByTestId("list-summary").innerText());
}

for (const language of ["en", "fr", "de"] as const) {
  test(`a scoped User Administrator sees only their container's users and is refused outside it, in ${language}`, async ({ page }) => {
    const texts = TEXTS[language];
    const operator = `paris-${language}`;
    const role = `Paris ${language}`;
    await signIn(page, "admin");
    await chooseLanguage(page, language);
    const everyone = await forestTotal(page);
    const firstUris = (await page.getByTestId("users-table").locator("tbody tr td.mono").allInnerTexts())
      .slice(0, 12)
      .map((u) => u.replace(/\s+/g, ""));

    // The administrator adds an operator with no role of their own…
    await page.goto("/admin");
    await hydrated(page);
    const add = page.getByTestId("new-operator");
    await add.locator("#new-operator-name").fill(operator);
    await add.locator("#new-operator-display").fill(`Paris ${language.toUpperCase()}`);
    await add.locator("button[type=submit]").click();
    const oneTime = (await page.getByTestId("one-time-value").innerText()).trim();
    expect(oneTime).toHaveLength(16);

    // …makes a role from the User Administrator template limited to Paris, and gives it to them.
    const section = page.getByTestId("scoped-roles");
    await expect(section.getByRole("heading", { level: 2 })).toHaveText(texts.heading);
    const form = page.getByTestId("new-scoped-role");
    await form.locator("#scoped-role-name").fill(role);
    await expect(form.locator("#scoped-role-template option:checked")).toHaveText(texts.userAdministrator);
    await form.locator("#scoped-role-containers").fill(PARIS);
    await form.locator("button[type=submit]").click();
    const row = section.locator(`tr[data-scoped-role="${role}"]`);
    await expect(row).toContainText(PARIS);
    await expect(row).toContainText(texts.userAdministrator);
    await row.locator("select").selectOption({ label: operator });
    await row.locator("form button[type=submit]").click();
    await expect(row.locator(`li[data-holder="${operator}"]`)).toBeVisible();
    await expectAccessible(page);

    // The new operator chooses a password and sees only the users of Paris.
    await page.context().clearCookies();
    await page.goto("/login");
    await hydrated(page);
    await chooseLanguage(page, language);
    await page.locator("#username").fill(operator);
    await page.locator("#password").fill(oneTime);
    await page.locator("form.form-stack button[type=submit]").click();
    await expect(page).toHaveURL(/\/password$/);
    await hydrated(page);
    await page.locator("#current").fill(oneTime);
    await page.locator("#new").fill("a long pass phrase for Paris");
    await page.locator("#repeat").fill("a long pass phrase for Paris");
    await page.locator("form.form-stack button[type=submit]").click();
    await expect(page).toHaveURL(/\/browse\/forest$/);
    const inside = await forestTotal(page);
    expect(inside).toBeGreaterThan(0);
    expect(inside).toBeLessThan(everyone);
    // A user of theirs shows their container.
    await page.getByTestId("users-table").locator("tbody tr a").first().click();
    await expect(page).toHaveURL(/\/users\/\d+$/);
    await expect(page.locator("main")).toContainText(PARIS);
    await expectAccessible(page);

    // A list naming users of other sites: each refused with its line, as outside their scope.
    await page.goto("/lists");
    await hydrated(page);
    await page.getByTestId("user-list-text").fill(firstUris.join("\n"));
    await page.getByTestId("user-list-check").click();
    const refused = page.getByTestId("user-list-problems").locator("tbody tr", { hasText: texts.outside });
    await expect(refused.first()).toBeVisible();
    const outsideCount = await refused.count();
    expect(outsideCount).toBeGreaterThan(0);
    const outsideUri = (await refused.first().locator("td").nth(1).innerText()).trim();
    // Nor is that user found in their lists, though the administrator sees them.
    const filtered = `/browse/forest?q=${encodeURIComponent(outsideUri.replace(/^sip:/, ""))}`;
    await page.goto(filtered);
    await hydrated(page);
    await expect(page.getByTestId("users-table").locator('tbody tr a[href^="/users/"]')).toHaveCount(0);
  });
}
