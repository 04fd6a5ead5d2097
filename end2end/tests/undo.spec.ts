import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { chooseLanguage, expectAccessible, hydrated, openPool, signIn } from "./helpers";
import { demoPassword } from "../playwright.config";

// Undo: a force move of 50 users deletes their contacts; its undo (a job) puts every user back
// on their pool with their contacts. The undo wizard and the undo job read in French and German.

test.describe.configure({ mode: "serial" });

async function contactsOf(page: Page, href: string): Promise<number> {
  await page.goto(href);
  return Number((await page.getByTestId("data-contacts").innerText()).replace(/[^\d]/g, ""));
}

async function poolOf(page: Page, href: string): Promise<string> {
  await page.goto(href);
  return (await page.getByTestId("user-pool").innerText()).trim();
}

let forceMoveJob = "";
let undoJob = "";

test("a force move of 50 users takes their contacts; Undo puts the users and their contacts back", async ({ page }) => {
  await signIn(page, "useradmin");
  await openPool(page, "pool01.contoso.com");
  const rows = page.getByTestId("users-table").locator("tbody tr");
  await expect(rows).toHaveCount(50);
  // Two of the page's users who have contacts (earlier tests may have emptied some).
  const all = await rows.locator("a[href^='/users/']").evaluateAll((links) =>
    links.map((a) => a.getAttribute("href") ?? "").filter((h) => /^\/users\/\d+$/.test(h)),
  );
  const hrefs: string[] = [];
  const before: number[] = [];
  for (const href of [...new Set(all)]) {
    const contacts = await contactsOf(page, href);
    if (contacts > 0) {
      hrefs.push(href);
      before.push(contacts);
    }
    if (hrefs.length === 2) break;
  }
  expect(hrefs).toHaveLength(2);

  await page.goto("/browse/forest");
  await hydrated(page);
  await openPool(page, "pool01.contoso.com");
  await page.getByLabel("Select every user on this page").check();
  await expect(page.getByTestId("selection")).toContainText("Selected: 50");
  await page.getByRole("link", { name: "Move selected users…" }).click();
  const destination = page.getByLabel("Destination pool");
  await destination.selectOption((await destination.locator("option", { hasText: "pool02.contoso.com" }).getAttribute("value")) ?? "");
  await page.getByLabel("Force the move").check();
  await page.getByTestId("move-preview").click();
  await expect(page.getByTestId("move-totals")).toContainText("Moving: 50. Refused: 0.");
  await page.getByTestId("move-run").click();
  await page.getByLabel("I understand that this server data will be lost").check();
  await page.getByLabel("Your password, to confirm").fill(demoPassword);
  await page.getByRole("button", { name: "Force-move users (50)" }).click();
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  forceMoveJob = new URL(page.url()).pathname;
  await expect(page.getByTestId("job-state")).toHaveText("Completed", { timeout: 60_000 });

  // The contacts are gone, the users on pool02.
  expect(await contactsOf(page, hrefs[0])).toBe(0);
  expect(await contactsOf(page, hrefs[1])).toBe(0);
  expect(await poolOf(page, hrefs[0])).toBe("pool02.contoso.com");

  // The job's page offers the undo, with what it kept.
  await page.goto(forceMoveJob);
  await hydrated(page);
  const offer = page.getByTestId("undo-offer");
  await expect(offer).toContainText("Undo");
  await expect(page.getByTestId("undo-kept")).toContainText("50 users");
  await expectAccessible(page);
  await page.getByTestId("undo-open").click();
  await expect(page).toHaveURL(/\/undo\/\d+$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Undo a change");
  const summary = page.getByTestId("undo-summary");
  await expect(summary).toContainText("50 users go back as they were before the change");
  await expect(page.getByTestId("undo-table").locator("tbody tr")).toHaveCount(50);
  await expect(page.getByTestId("undo-skipped")).toHaveCount(0);
  await expectAccessible(page);
  // The force move deleted data: the password again.
  const submit = page.getByRole("button", { name: "Undo for 50 users" });
  await expect(submit).toBeDisabled();
  await page.getByLabel("Your password, to confirm").fill(demoPassword);
  await submit.click();
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  undoJob = new URL(page.url()).pathname;
  await expect(page.getByTestId("job-kind")).toHaveText("Undo");
  await expect(page.getByTestId("job-state")).toHaveText("Completed", { timeout: 60_000 });
  await expect(page.getByTestId("job-moved")).toHaveText("50");
  await expect(page.getByTestId("job-undoes")).toContainText(forceMoveJob.replace("/jobs/", "Job "));
  await expect(page.getByTestId("job-table")).toContainText("Restored");

  // Everyone is back, with their contacts.
  expect(await contactsOf(page, hrefs[0])).toBe(before[0]);
  expect(await contactsOf(page, hrefs[1])).toBe(before[1]);
  expect(await poolOf(page, hrefs[1])).toBe("pool01.contoso.com");
  // The jobs page says what the kept changes take.
  await page.goto("/jobs");
  await expect(page.getByTestId("undo-usage")).toContainText("Undo data kept:");
});

test("en français : l'annulation déjà faite ne rétablit plus personne, et dit pourquoi", async ({ page }) => {
  await signIn(page, "useradmin");
  await chooseLanguage(page, "fr");
  await page.goto(forceMoveJob);
  await hydrated(page);
  await expect(page.getByTestId("undo-undone-by")).toContainText("Annulation déjà lancée");
  await page.getByTestId("undo-open").click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Annuler une modification");
  await expect(page.getByTestId("undo-summary")).toContainText("0 utilisateurs reviennent");
  await expect(page.getByTestId("undo-skipped")).toContainText("déjà rétabli par une annulation précédente");
  await expect(page.getByRole("button", { name: "Annuler pour 0 utilisateurs" })).toBeDisabled();
  await expectAccessible(page);
});

test("auf Deutsch: das Rückgängigmachen selbst lässt sich rückgängig machen", async ({ page }) => {
  await signIn(page, "useradmin");
  await chooseLanguage(page, "de");
  await page.goto(undoJob);
  await hydrated(page);
  await expect(page.getByTestId("job-kind")).toHaveText("Rückgängig machen");
  await expect(page.getByTestId("undo-offer")).toContainText("Rückgängig machen");
  await page.getByTestId("undo-open").click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Änderung rückgängig machen");
  await expect(page.getByTestId("undo-summary")).toContainText("50 Benutzer werden in den Zustand vor der Änderung zurückgesetzt");
  await expectAccessible(page);
  // Not run: the users stay back home for the tests that follow.
  await page.getByRole("link", { name: "Abbrechen" }).click();
  await expect(page).toHaveURL(/\/jobs$/);
  await expect(page.getByTestId("undo-usage")).toContainText("Aufbewahrte Rückgängig-Daten");
});
