import { expect, test } from "./fixtures";
import { chooseLanguage, expectAccessible, hydrated, signIn } from "./helpers";

test("the console switches to French and German, and remembers the choice", async ({ page }) => {
  await signIn(page);
  await chooseLanguage(page, "fr");
  await expect(page.locator('a.tree-node[data-node="unassigned"]')).toContainText("Utilisateurs non attribués");
  await expect(page.locator('th[data-sort-key="display_name"]')).toHaveText(/Nom complet/);
  await page.getByTestId("operator").locator("summary").click();
  await expect(page.getByRole("button", { name: "Se déconnecter" })).toBeVisible();
  await expect(page.getByTestId("operator")).toContainText("Administrateur d’entreprise");
  await page.getByTestId("operator").locator("summary").click();
  // French groups thousands with a narrow no-break space.
  await expect(page.getByTestId("list-summary")).toContainText(/\d\u202f\d{3}/);
  await expectAccessible(page);

  // The choice survives a reload (cookie), and the server renders it.
  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("lang", "fr");
  await expect(page.getByRole("link", { name: "Suivante" })).toBeVisible();

  await hydrated(page);
  await chooseLanguage(page, "de");
  await expect(page.locator('a.tree-node[data-node="earlier-versions"]')).toContainText("Frühere Serverversionen");
  await expect(page.getByTestId("list-summary")).toContainText(/\d\.\d{3}/);
  await page.getByTestId("users-table").locator('tbody tr a[href^="/users/"]').first().click();
  await expect(page.getByRole("heading", { name: "Benutzereinstellungen" })).toBeVisible();
  await expectAccessible(page);
  await chooseLanguage(page, "en");
});

test("without a choice, the browser's Accept-Language decides", async ({ browser }) => {
  const context = await browser.newContext({ locale: "de-DE" });
  const page = await context.newPage();
  await page.goto("/login");
  await expect(page.locator("html")).toHaveAttribute("lang", "de");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Anmelden");
  await expect(page.getByLabel("Kennwort")).toBeVisible();
  await page.locator("#username").fill("admin");
  await page.locator("#password").fill("falsch");
  await hydrated(page);
  await page.getByRole("button", { name: "Anmelden" }).click();
  await expect(page.getByRole("alert")).toHaveText("Benutzername oder Kennwort ist falsch.");
  await expectAccessible(page);
  await context.close();

  const fr = await browser.newContext({ locale: "fr-FR" });
  const frPage = await fr.newPage();
  await frPage.goto("/login");
  await expect(frPage.locator("html")).toHaveAttribute("lang", "fr");
  await expect(frPage.getByRole("heading", { level: 1 })).toHaveText("Connexion");
  await fr.close();
});
