import { readFileSync } from "node:fs";
import { expect, test } from "./fixtures";
import { chooseLanguage, expectAccessible, signIn, totalFromSummary } from "./helpers";

// A job's results you can act on: the users it left out, counted by reason, and *Retry*, which
// opens the same wizard on exactly those users for a new preview. Configuring every user whose
// name or address contains "wil" leaves out those on earlier server versions (view only here)
// and those whose pool was deactivated (unassigned); the others get public IM, which no other
// test reads.

const TEXTS = {
  en: {
    configureAll: "Configure all users of this list…",
    publicIm: "Public IM connectivity",
    preview: "Preview the change",
    apply: /^Apply to [\d,]+ users$/,
    completed: "Completed",
    reasons: ["homed on an earlier server version (view only here)", "home pool deactivated or removed"],
    retry: (n: string) => `Retry the ${n} users left out…`,
    locale: "en-US",
  },
  fr: {
    configureAll: "Configurer tous les utilisateurs de cette liste…",
    publicIm: "Connectivité de messagerie instantanée publique",
    preview: "Voir l’aperçu",
    apply: /^Appliquer à [\d\u202f\u00a0 ]+ utilisateurs$/,
    completed: "Terminée",
    reasons: ["hébergé sur une version antérieure du serveur (consultation seule ici)", "pool de rattachement désactivé ou supprimé"],
    retry: (n: string) => `Réessayer avec les ${n} utilisateurs écartés…`,
    locale: "fr-FR",
  },
  de: {
    configureAll: "Alle Benutzer dieser Liste konfigurieren…",
    publicIm: "Öffentliche Chatkonnektivität",
    preview: "Änderung in der Vorschau anzeigen",
    apply: /^Auf [\d.]+ Benutzer anwenden$/,
    completed: "Abgeschlossen",
    reasons: ["auf einer früheren Serverversion beheimatet (hier nur Ansicht)", "Heimpool deaktiviert oder entfernt"],
    retry: (n: string) => `Die ${n} ausgelassenen Benutzer erneut versuchen…`,
    locale: "de-DE",
  },
};

for (const language of ["en", "fr", "de"] as const) {
  test(`in ${language}, a job's left-out users are counted by reason and retried in a new preview`, async ({ page }) => {
    test.setTimeout(120_000);
    const texts = TEXTS[language];
    await signIn(page, "useradmin");
    await chooseLanguage(page, language);
    await page.goto("/browse/forest?q=wil");
    await expect(page.getByTestId("users-table").locator("tbody tr").first()).toBeVisible();
    const users = totalFromSummary(await page.getByTestId("list-summary").innerText());
    expect(users).toBeGreaterThan(40);
    // Numbers as the page writes them (the French group separator is a narrow no-break space).
    const format = (value: number) => new Intl.NumberFormat(texts.locale).format(value);
    await page.getByRole("link", { name: texts.configureAll }).click();
    await page.getByLabel(texts.publicIm).selectOption("on");
    await page.getByRole("button", { name: texts.preview }).click();
    // "Apply to N users", N being the users the preview changes.
    const apply = page.locator(".wizard-actions .button-primary");
    await expect(apply).toHaveText(texts.apply);
    await apply.click();
    await expect(page).toHaveURL(/\/jobs\/\d+$/);
    await expect(page.getByTestId("job-state")).toHaveText(texts.completed, { timeout: 60_000 });

    // Two reasons, each with its count, adding up to the users the job did not change.
    const changed = Number((await page.getByTestId("job-moved").innerText()).replace(/[^\d]/g, ""));
    const reasons = page.getByTestId("job-left-out-table").locator("tbody tr");
    await expect(reasons).toHaveCount(2);
    let leftOut = 0;
    for (const row of await reasons.all()) {
      const [reason, count] = await row.locator("td").allInnerTexts();
      expect(texts.reasons).toContain(reason);
      leftOut += Number(count.replace(/[^\d]/g, ""));
    }
    expect(leftOut).toBe(users - changed);
    await expectAccessible(page);

    // Every user's line as CSV, like Move-CsUser -Report.
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("job-csv").click()]);
    const csv = readFileSync((await download.path())!, "utf8").trim().split("\n");
    expect(csv[0]).toContain("outcome");
    expect(csv).toHaveLength(users + 1);

    // Retry: the same wizard, on exactly the users left out, for a new preview.
    await page.getByRole("button", { name: texts.retry(format(leftOut)) }).click();
    await expect(page).toHaveURL(/\/configure\?scope=selected/);
    await expect(page.getByTestId("configure-scope")).toContainText(`(${format(leftOut)})`);
  });
}
