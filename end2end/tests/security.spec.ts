import { type Browser, type Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { readFileSync } from "node:fs";
import { demoPassword } from "../playwright.config";
import { chooseLanguage, expectAccessible, hydrated, signIn } from "./helpers";

/** Collects the Content-Security-Policy violations the page reports. */
function cspViolations(page: Page): string[] {
  const seen: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy/i.test(m.text())) seen.push(m.text());
  });
  return seen;
}

async function operatorPage(browser: Browser, username: string, locale = "en-US"): Promise<Page> {
  const context = await browser.newContext({ locale });
  const page = await context.newPage();
  await signIn(page, username);
  return page;
}

test("an administrator sees the sessions, ends one, and disabling an operator signs them out", async ({ page, browser }) => {
  const violations = cspViolations(page);
  const response = await page.goto("/login");
  expect(response?.headers()["content-security-policy"]).toContain("'nonce-");
  await signIn(page, "admin");
  const helpDesk = await operatorPage(browser, "helpdesk");
  const userAdmin = await operatorPage(browser, "useradmin");

  await page.getByRole("link", { name: "Administration" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Administration");
  // The four demo operators (other specs add operators of their own to this database).
  for (const name of ["admin", "useradmin", "helpdesk", "orgmanager"]) {
    await expect(page.getByTestId("operators-table").locator(`tbody tr[data-operator="${name}"]`)).toHaveCount(1);
  }
  const sessions = page.getByTestId("sessions-table");
  await expect(sessions.locator('tr[data-session-of="admin"]').first()).toContainText("This session");
  const helpDeskRows = sessions.locator('tr[data-session-of="helpdesk"]');
  await expect(helpDeskRows.first()).toContainText("127.0.0.1");
  await expectAccessible(page);

  // End the Help Desk sessions (earlier tests left some open too): their next page asks them
  // to sign in again.
  for (let left = await helpDeskRows.count(); left > 0; left--) {
    await page.getByRole("button", { name: "End session (helpdesk)" }).first().click();
    await expect(helpDeskRows).toHaveCount(left - 1);
  }
  await helpDesk.goto("/browse/forest");
  await expect(helpDesk).toHaveURL(/\/login$/);

  // Disable the User Administrator: signed out at once, and cannot sign in again…
  await page.getByRole("button", { name: "Disable (useradmin)" }).click();
  const row = page.getByTestId("operators-table").locator('tr[data-operator="useradmin"]');
  await expect(row).toContainText("Disabled");
  await expect(sessions.locator('tr[data-session-of="useradmin"]')).toHaveCount(0);
  await userAdmin.goto("/browse/forest");
  await expect(userAdmin).toHaveURL(/\/login$/);
  await hydrated(userAdmin);
  await userAdmin.locator("#username").fill("useradmin");
  await userAdmin.locator("#password").fill(demoPassword);
  await userAdmin.locator("form.form-stack button[type=submit]").click();
  await expect(userAdmin.getByRole("alert")).toHaveText("The user name or password is incorrect.");
  // …until enabled again. Nobody can disable themselves.
  await page.getByRole("button", { name: "Enable (useradmin)" }).click();
  await expect(row).toContainText("Active");
  await expect(page.getByTestId("operators-table").locator('tr[data-operator="admin"] button')).toHaveCount(0);
  await signIn(userAdmin, "useradmin");

  // All of it is in the audit log.
  await page.goto("/audit?operation=operator_disable");
  await expect(page.getByTestId("audit-table").locator("tbody tr").first()).toContainText("Operator disabled");
  expect(violations).toEqual([]);
});

test("Fehlanmeldungen werden gebremst, und die Verwaltung zeigt und löscht sie (Deutsch)", async ({ browser }) => {
  const guesser = await (await browser.newContext({ locale: "de-DE" })).newPage();
  await guesser.goto("/login");
  await hydrated(guesser);
  await expect(guesser.getByRole("heading", { level: 1 })).toHaveText("Anmelden");
  // Wrong passwords until the name is held back (from the fourth failure on, at once).
  let code = "";
  for (let attempt = 0; attempt < 10 && code !== "too_many_sign_in_attempts"; attempt++) {
    await guesser.locator("#username").fill("orgmanager");
    await guesser.locator("#password").fill(`falsch-${attempt}`);
    const answer = guesser.waitForResponse((r) => r.url().endsWith("/api/sign_in"));
    await guesser.locator("form.form-stack button[type=submit]").click();
    code = (await (await answer).json()).code;
  }
  expect(code).toBe("too_many_sign_in_attempts");
  await expect(guesser.getByRole("alert")).toContainText("Zu viele fehlgeschlagene Versuche.");
  await expectAccessible(guesser);

  const admin = await operatorPage(browser, "admin", "de-DE");
  await admin.getByRole("link", { name: "Verwaltung" }).click();
  await expect(admin.getByRole("heading", { level: 1 })).toHaveText("Verwaltung");
  const failures = admin.getByTestId("lockouts-table");
  await expect(failures.locator('tr[data-lockout="orgmanager"]')).toContainText("Benutzername");
  await expectAccessible(admin);
  // Clearing the name (and the address, for the tests after this one) lets the operator in at once.
  await admin.getByRole("button", { name: "Zurücksetzen (orgmanager)", exact: true }).click();
  await expect(failures.locator('tr[data-lockout="orgmanager"]')).toHaveCount(0);
  await admin.getByRole("button", { name: "Zurücksetzen (127.0.0.1)", exact: true }).click();
  await expect(admin.getByTestId("lockouts-empty")).toHaveText("Keine fehlgeschlagenen Anmeldungen in den letzten 15 Minuten.");
  await signIn(guesser, "orgmanager");
  await admin.goto("/audit?operation=sign_in_failed");
  await expect(admin.getByTestId("audit-table").locator("tbody tr").first()).toContainText("orgmanager");
});

test("une sauvegarde en ligne se fait depuis la page d’administration et se télécharge (français)", async ({ page, browser, allowProblems }) => {
  allowProblems(/status of 403/); // the wrong password is refused with 403
  await signIn(page, "admin");
  await chooseLanguage(page, "fr");
  await page.getByRole("link", { name: "Administration" }).click();
  await expect(page.getByTestId("backups-empty")).toHaveText("Aucune sauvegarde pour l’instant.");
  await page.getByRole("button", { name: "Sauvegarder maintenant" }).click();
  await expect(page.getByTestId("backup-done")).toContainText(/Sauvegarde uc-admin-\d{8}-\d{6}\.db écrite\./);
  // Downloading asks for the password again, then gives a one-time link.
  const name = (await page.getByTestId("backups-table").locator("tbody tr td").first().textContent()) ?? "";
  const href = `/exports/backups/${name}`;
  expect((await page.request.get(href)).status()).toBe(403);
  await page.getByRole("button", { name: `Télécharger ${name}` }).click();
  const panel = page.getByTestId("backup-download-panel");
  await panel.getByLabel("Votre mot de passe, pour confirmer").fill("pas-le-bon");
  await panel.getByRole("button", { name: "Confirmer et préparer le téléchargement" }).click();
  await expect(panel.getByTestId("step-up-error")).toContainText("Le mot de passe est incorrect.");
  await panel.getByLabel("Votre mot de passe, pour confirmer").fill(demoPassword);
  await panel.getByRole("button", { name: "Confirmer et préparer le téléchargement" }).click();
  const link = panel.getByTestId("backup-download-link");
  await expect(link).toHaveText(`Télécharger ${name} maintenant`);
  await expectAccessible(page);
  const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
  expect(download.suggestedFilename()).toBe(name);
  const saved = await download.path();
  expect(readFileSync(saved).subarray(0, 15).toString()).toBe("SQLite format 3");
  // The link worked once.
  expect((await page.request.get((await link.getAttribute("href")) ?? "")).status()).toBe(403);
  // The download is in the audit log.
  await page.goto("/audit?operation=download");
  await expect(page.getByTestId("audit-table").locator("tbody tr").first()).toContainText(name);

  // Help Desk has no administration: no link, a refusal on the page and from the server.
  const helpDesk = await operatorPage(browser, "helpdesk");
  await expect(helpDesk.getByRole("link", { name: "Administration" })).toHaveCount(0);
  await helpDesk.goto("/admin");
  await expect(helpDesk.getByRole("alert").first()).toContainText("Your roles do not allow this operation.");
  expect((await helpDesk.request.get(href)).status()).toBe(403);
  expect((await helpDesk.request.post("/api/back_up_database", { data: {} })).status()).toBe(403);
});
