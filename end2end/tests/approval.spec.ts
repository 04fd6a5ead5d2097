import { type Browser, type Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { chooseLanguage, expectAccessible, hydrated, openPool, signIn } from "./helpers";
import { demoPassword } from "../playwright.config";

// Two-person approval: an administrator requires approval for deletes; a User Administrator's
// delete waits as a request (nothing deleted) until the administrator, in another browser,
// approves it; the audit record names both. The policy is cleared at the end for the others.

test.describe.configure({ mode: "serial" });

async function session(browser: Browser, who: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  await signIn(page, who);
  return page;
}

async function setDeletePolicy(page: Page, on: boolean) {
  await page.goto("/admin");
  await hydrated(page);
  const form = page.getByTestId("approval-policy");
  const box = form.getByLabel("Deletes of server data");
  if (on) await box.check();
  else await box.uncheck();
  await form.getByLabel("Any bulk change of many users").uncheck();
  await form.getByTestId("policy-save").click();
  await expect(page.getByTestId("policy-saved")).toBeVisible();
}

test("a delete waits for a second operator, who approves it from another browser", async ({ browser }) => {
  const admin = await session(browser, "admin");
  await setDeletePolicy(admin, true);
  await expectAccessible(admin);

  const requester = await session(browser, "useradmin");
  await openPool(requester, "se01.contoso.com");
  const rows = requester.getByTestId("users-table").locator("tbody tr");
  const names: string[] = [];
  for (let i = 0; i < 2; i++) {
    await rows.nth(i).locator("input[type=checkbox]").check();
    names.push((await rows.nth(i).locator("td").nth(1).innerText()).trim());
  }
  await requester.getByTestId("delete-selected").click();
  await requester.getByLabel("I understand that the server data of these 2 users cannot be recovered.").check();
  await requester.getByLabel("Your password, to confirm").fill(demoPassword);
  await requester.getByRole("button", { name: "Delete 2 users" }).click();
  // Held: the request's page, waiting; nothing deleted.
  await expect(requester).toHaveURL(/\/requests\/\d+$/);
  const requestPath = new URL(requester.url()).pathname;
  await expect(requester.getByTestId("request-state")).toHaveText("Waiting");
  await expect(requester.getByTestId("request-waiting")).toBeVisible();
  await expect(requester.getByTestId("request-decide")).toHaveCount(0);
  await expect(requester.getByTestId("request-users")).toContainText("2 users");
  await expectAccessible(requester);
  await requester.goto(`/browse/forest?q=${encodeURIComponent(names[0])}`);
  await expect(requester.getByTestId("users-table")).toContainText(names[0]);

  // The administrator, in another browser, finds it on the Requests page and approves it.
  await admin.goto("/requests");
  await hydrated(admin);
  await admin.getByTestId("requests-table").getByRole("link", { name: requestPath.replace("/requests/", "Request ") }).click();
  await expect(admin.getByTestId("request-requester")).toContainText("useradmin");
  await expectAccessible(admin);
  await admin.getByLabel("Comment").fill("Checked with the site lead");
  await admin.getByLabel("Your password, to confirm").fill(demoPassword);
  await admin.getByTestId("request-approve").click();
  await expect(admin.getByTestId("request-state")).toHaveText("Approved");
  await expect(admin.getByTestId("request-decided-by")).toHaveText("admin");
  await expect(admin.getByTestId("request-comment")).toHaveText("Checked with the site lead");

  // The requester sees the decision; the audit record names both operators.
  await requester.goto(requestPath);
  await hydrated(requester);
  await expect(requester.getByTestId("request-state")).toHaveText("Approved");
  await requester.getByRole("link", { name: "View the audit record" }).click();
  await expect(requester.getByTestId("audit-event-approver")).toHaveText("admin");
  await expect(requester.getByTestId("audit-lines")).toContainText(names[0]);
  await requester.goto("/audit");
  await expect(requester.getByTestId("audit-approved-by").first()).toHaveText("approved by admin");

  await setDeletePolicy(admin, false);
  await admin.context().close();
  await requester.context().close();
});

test("la page des demandes et la stratégie en français, auf Deutsch", async ({ page, allowProblems }) => {
  allowProblems(/status of 422/); // the refused policy
  await signIn(page, "admin");
  await chooseLanguage(page, "fr");
  await page.goto("/requests");
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Demandes d'approbation");
  await expect(page.getByTestId("requests-table")).toContainText("Approuvée");
  await expectAccessible(page);
  await page.goto("/admin");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Approbation à deux personnes" })).toBeVisible();
  // A wait of 0 hours is refused with the rule, and nothing is saved.
  await page.getByLabel("Heures d'attente d'une décision (1 à 168)").fill("0");
  await page.getByTestId("policy-save").click();
  await expect(page.getByRole("alert")).toContainText("Une demande doit attendre une décision de 1 à 168 heures.");
  await chooseLanguage(page, "de");
  await page.goto("/requests");
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Genehmigungsanfragen");
  await expect(page.getByTestId("requests-table")).toContainText("Genehmigt");
  await expectAccessible(page);
});
