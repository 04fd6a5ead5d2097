import { expect, test } from "./fixtures";
import { demoPassword } from "../playwright.config";
import { chooseLanguage, expectAccessible, hydrated, nodeCount, openPool, signIn } from "./helpers";

// This file runs last: it configures and deletes whole pools. The portal under test runs
// operations on more than 40 users as jobs of 10 users with a pause between them.

test("in German, configuring a whole pool runs as a job that is followed to the end", async ({ page }) => {
  await signIn(page, "useradmin");
  await chooseLanguage(page, "de");
  const users = await nodeCount(page, "pool02.contoso.com");
  expect(users).toBeGreaterThan(40);
  await openPool(page, "pool02.contoso.com");
  await page.getByRole("link", { name: "Alle Benutzer dieser Liste konfigurieren…" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Benutzer konfigurieren");
  await page.getByLabel("Öffentliche Chatkonnektivität").selectOption("on");
  await page.getByRole("button", { name: "Änderung in der Vorschau anzeigen" }).click();
  await page.getByRole("button", { name: `Auf ${users.toLocaleString("de-DE")} Benutzer anwenden` }).click();
  // The request answers at once with the job; its page follows it, live: progress arrives as
  // Server-Sent Events, without reloading the page or asking for the job again and again.
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  let reloads = 0;
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) reloads++;
  });
  let asked = 0;
  page.on("request", (request) => {
    if (request.url().endsWith("/api/get_job")) asked++;
  });
  await expect(page.getByTestId("job-kind")).toHaveText("Konfigurieren");
  const panel = page.getByTestId("job-progress-panel");
  await expect.poll(async () => Number(await panel.getAttribute("data-live-updates")), { timeout: 30_000 })
    .toBeGreaterThanOrEqual(3);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Konfigurieren");
  await expectAccessible(page);
  await expect(page.getByTestId("job-state")).toHaveText("Abgeschlossen", { timeout: 60_000 });
  await expect(page.getByTestId("job-progress")).toHaveAttribute("value", String(users));
  await expect(page.getByTestId("job-moved")).toHaveText(users.toLocaleString("de-DE"));
  const updates = Number(await panel.getAttribute("data-live-updates"));
  expect(reloads).toBe(0);
  // The users' results are asked for now and then (every tenth event, and at the end), not per event.
  expect(asked).toBeLessThan(updates);
  await page.getByTestId("job-filter").selectOption("moved");
  await expect(page.getByTestId("job-filter").locator("option:checked")).toHaveText("Konfiguriert");
  await expect(page.getByTestId("job-table").locator("tbody tr").first()).toContainText("Konfiguriert");
  await page.getByRole("link", { name: "Alle Aufträge" }).click();
  await expect(page.getByTestId("jobs-table").locator("tbody tr").first()).toContainText("Konfigurieren");
  await expectAccessible(page);
});

test("deleting a whole pool's users runs as a job, after the password, and the pool ends empty", async ({ page }) => {
  await signIn(page, "useradmin");
  const users = await nodeCount(page, "lcs2005.contoso.com");
  expect(users).toBeGreaterThan(40);
  await openPool(page, "lcs2005.contoso.com");
  await page.getByRole("link", { name: "Delete all users of this list…" }).click();
  await expect(page.getByTestId("delete-summary")).toContainText(`${users} users`);
  await page.getByLabel(`I understand that the server data of these ${users} users cannot be recovered.`).check();
  await page.getByLabel("Your password, to confirm").fill(demoPassword);
  await page.getByRole("button", { name: `Delete ${users} users` }).click();
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  await expect(page.getByTestId("job-kind")).toHaveText("Delete server data");
  await expect(page.getByTestId("job-state")).toHaveText("Completed", { timeout: 60_000 });
  await expect(page.getByTestId("job-moved")).toHaveText(users.toLocaleString("en-US"));
  await expect(page.getByTestId("job-items-deleted")).not.toHaveText("0");
  await expectAccessible(page);
  await page.goto("/browse/forest");
  await hydrated(page);
  await expect.poll(() => nodeCount(page, "lcs2005.contoso.com")).toBe(0);
  // The audit log has the delete with one line per user, and the job's end.
  await page.goto("/audit?operation=delete_job_end");
  await expect(page.getByTestId("audit-table").locator("tbody tr").first()).toContainText("Delete job ended");
});

test("en français, le Help Desk voit les échecs de connexion sans le nom saisi", async ({ page, browser }) => {
  // Someone types a password into the user name field.
  const stranger = await browser.newContext();
  const door = await stranger.newPage();
  await door.goto("/login");
  await hydrated(door);
  await door.locator("#username").fill("Secret-Mot-De-Passe-42");
  await door.locator("#password").fill("x");
  await door.locator("form.form-stack button[type=submit]").click();
  await expect(door.getByRole("alert")).toBeVisible();
  await stranger.close();

  await signIn(page, "helpdesk");
  await chooseLanguage(page, "fr");
  await page.goto("/audit?operation=sign_in_failed");
  const first = page.getByTestId("audit-table").locator("tbody tr").first();
  await expect(first).toContainText("Échec de connexion");
  await expect(first).toContainText("(nom saisi masqué)");
  await expect(page.getByTestId("audit-table")).not.toContainText("Secret-Mot-De-Passe-42");
  await expectAccessible(page);

  // An Enterprise Administrator reads it (and can clear the address for the tests that follow).
  const admin = await browser.newContext();
  const adminPage = await admin.newPage();
  await signIn(adminPage, "admin");
  await adminPage.goto("/audit?operation=sign_in_failed");
  await expect(adminPage.getByTestId("audit-table").locator("tbody tr").first()).toContainText("Secret-Mot-De-Passe-42");
  await admin.close();
});
