import { execFileSync } from "node:child_process";
import { expect, test } from "./fixtures";
import { chooseLanguage, expectAccessible, hydrated, signIn } from "./helpers";

// An operator added on the command line signs in with the one-time password it printed, is
// sent to choose their own before anything else, and can change it again from the header menu.

const root = `${__dirname}/../..`;

function addOperator(name: string): string {
  const output = execFileSync(
    "target/debug/uc-admin",
    ["operator", "add", "--name", name, "--display-name", "New Hire", "--role", "help-desk"],
    { cwd: root, env: { ...process.env, UC_ADMIN_DATABASE_URL: "sqlite://end2end/.db/e2e.db", RUST_LOG: "warn" } },
  ).toString();
  const password = output.trim().split(" ").pop() ?? "";
  expect(password).toHaveLength(16);
  return password;
}

async function signInAs(page: import("@playwright/test").Page, name: string, password: string) {
  await page.locator("#username").fill(name);
  await page.locator("#password").fill(password);
  await page.locator("form.form-stack button[type=submit]").click();
}

async function choose(page: import("@playwright/test").Page, current: string, next: string, repeat = next) {
  await page.locator("#current").fill(current);
  await page.locator("#new").fill(next);
  await page.locator("#repeat").fill(repeat);
  await page.locator("form.form-stack button[type=submit]").click();
}

test("a one-time password is replaced at the first sign-in, in French; refusals are translated", async ({ page, allowProblems }) => {
  allowProblems(/status of (401|403|422)/);
  const oneTime = addOperator("newhire");
  await page.goto("/login");
  await hydrated(page);
  await chooseLanguage(page, "fr");
  await signInAs(page, "newhire", oneTime);
  await expect(page).toHaveURL(/\/password$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Choisissez votre mot de passe");
  await expectAccessible(page);
  // The console sends them back here until they have chosen.
  await page.goto("/browse/forest");
  await expect(page).toHaveURL(/\/password$/);
  await hydrated(page);
  await choose(page, oneTime, "court");
  await expect(page.getByRole("alert")).toHaveText("Un mot de passe doit compter au moins 12 caractères.");
  await choose(page, oneTime, "un-mot-de-passe-newhire");
  await expect(page.getByRole("alert")).toHaveText("Le mot de passe ne doit pas contenir le nom de l’opérateur.");
  await choose(page, oneTime, "une phrase assez longue", "une autre phrase longue");
  await expect(page.getByRole("alert")).toHaveText("Les deux nouveaux mots de passe diffèrent.");
  await choose(page, oneTime, "une phrase assez longue");
  await expect(page).toHaveURL(/\/browse\/forest$/);
  await expect(page.getByTestId("operator")).toContainText("New Hire");
});

test("any operator changes their own password from the header menu, in German and English", async ({ page, allowProblems }) => {
  allowProblems(/status of (403|422)/);
  const oneTime = addOperator("secondhire");
  await page.goto("/login");
  await hydrated(page);
  await signInAs(page, "secondhire", oneTime);
  await expect(page).toHaveURL(/\/password$/);
  await hydrated(page);
  await choose(page, oneTime, "first chosen passphrase");
  await expect(page).toHaveURL(/\/browse\/forest$/);
  await hydrated(page);
  await chooseLanguage(page, "de");
  await page.getByTestId("operator").locator("summary").click();
  await page.getByRole("link", { name: "Kennwort ändern" }).click();
  await expect(page).toHaveURL(/\/password$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Kennwort wählen");
  await hydrated(page);
  await choose(page, "not the current one", "second chosen passphrase");
  await expect(page.getByRole("alert")).toBeVisible();
  await choose(page, "first chosen passphrase", "first chosen passphrase");
  await expect(page.getByRole("alert")).toHaveText("Das neue Kennwort ist mit dem aktuellen identisch.");
  await chooseLanguage(page, "en");
  await choose(page, "first chosen passphrase", "second chosen passphrase");
  await expect(page).toHaveURL(/\/browse\/forest$/);
  // The new password is the one that signs in now.
  await page.getByTestId("operator").locator("summary").click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await signIn(page, "secondhire", "second chosen passphrase");
});

test("an administrator adds a User Administrator on the administration page, who then chooses a password in German", async ({ page, allowProblems }) => {
  allowProblems(/status of (403|409)/);
  await signIn(page, "admin");
  await page.getByRole("link", { name: "Administration" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Administration");
  const form = page.getByTestId("new-operator");
  await form.getByLabel("User name").fill("thirdhire");
  await form.getByLabel("Display name").fill("Third Hire");
  await form.getByLabel("User Administrator").check();
  await form.getByRole("button", { name: "Add operator" }).click();
  const shown = page.getByTestId("one-time-password");
  await expect(shown).toContainText("One-time password for thirdhire:");
  const oneTime = (await page.getByTestId("one-time-value").innerText()).trim();
  expect(oneTime).toHaveLength(16);
  await expect(page.getByTestId("operators-table").locator("tr[data-operator=thirdhire]")).toContainText("User Administrator");
  await expectAccessible(page);
  // The form starts afresh; adding the same name again is refused.
  await expect(form.getByLabel("User name")).toHaveValue("");
  await form.getByLabel("User name").fill("THIRDHIRE");
  await form.getByLabel("Help Desk").check();
  await form.getByRole("button", { name: "Add operator" }).click();
  await expect(page.getByRole("alert")).toContainText("An operator of that name exists already.");

  await page.getByTestId("operator").locator("summary").click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await hydrated(page);
  await chooseLanguage(page, "de");
  await signInAs(page, "thirdhire", oneTime);
  await expect(page).toHaveURL(/\/password$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Kennwort wählen");
  await hydrated(page);
  await choose(page, oneTime, "eine lange Passphrase");
  await expect(page).toHaveURL(/\/browse\/forest$/);
  await expect(page.getByTestId("operator")).toContainText("Third Hire");
  await expect(page.getByTestId("users-table")).toBeVisible();
  await chooseLanguage(page, "en");
});
