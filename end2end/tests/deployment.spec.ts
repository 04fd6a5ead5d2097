import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, rmSync } from "node:fs";
import { expect, test } from "./fixtures";
import { chooseLanguage, expectAccessible, hydrated, signIn } from "./helpers";

// The demo says so on every page; a company's deployment starts empty, served once the first
// Enterprise Administrator exists (created on the command line, as an installer would).

test("the demo deployment says so in the header, in English, French and German", async ({ page }) => {
  await signIn(page, "useradmin");
  const badge = page.getByTestId("demo-badge");
  await expect(badge).toHaveText("Demo deployment");
  await expectAccessible(page);
  await page.goto("/search");
  await hydrated(page);
  await expect(badge).toBeVisible();
  await chooseLanguage(page, "fr");
  await expect(badge).toHaveText("Déploiement de démonstration");
  await chooseLanguage(page, "de");
  await expect(badge).toHaveText("Demo-Bereitstellung");
  // The German header keeps the badge whole, on one line.
  const box = await badge.boundingBox();
  expect(box?.height ?? 0).toBeLessThan(30);
  await expectAccessible(page);
  await chooseLanguage(page, "en");
});

test.describe("a company's own deployment", () => {
  const port = 3102;
  const origin = `http://127.0.0.1:${port}`;
  const folder = "end2end/.db/company";
  const root = `${__dirname}/../..`;
  const password = "correct horse battery";
  let server: ChildProcess | undefined;

  test.use({ baseURL: origin });

  test.beforeAll(async () => {
    rmSync(`${root}/${folder}`, { recursive: true, force: true });
    mkdirSync(`${root}/${folder}`, { recursive: true });
    const log = openSync(`${root}/${folder}/server.log`, "a");
    const env = { ...process.env, UC_ADMIN_DATABASE_URL: `sqlite://${folder}/company.db`, UC_ADMIN_DEMO: "0" };
    // What an installer does: the first Enterprise Administrator, on the command line.
    execFileSync("target/debug/uc-admin", ["init", "--admin", "kakers", "--display-name", "Kim Akers"], {
      cwd: root,
      env: { ...env, UC_ADMIN_ADMIN_PASSWORD: password },
      stdio: ["ignore", log, log],
    });
    server = spawn("target/debug/uc-admin", ["serve"], {
      cwd: root,
      stdio: ["ignore", log, log],
      env: { ...env, UC_ADMIN_LISTEN: `127.0.0.1:${port}`, UC_ADMIN_SITE_ROOT: "target/site" },
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        if ((await fetch(`${origin}/readyz`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error("the company portal did not start");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });

  test.afterAll(async () => {
    server?.kill("SIGTERM");
    if (existsSync(`${root}/${folder}`)) rmSync(`${root}/${folder}`, { recursive: true, force: true });
  });

  for (const [language, forest] of [
    ["en", "Forest"],
    ["fr", "Forêt"],
    ["de", "Gesamtstruktur"],
  ] as const) {
    test(`the administrator created by init signs in to an empty deployment (${language})`, async ({ page }) => {
      await page.goto("/login");
      await hydrated(page);
      if (language !== "en") await chooseLanguage(page, language);
      await page.locator("#username").fill("kakers");
      await page.locator("#password").fill(password);
      await page.locator("form.form-stack button[type=submit]").click();
      await expect(page).toHaveURL(/\/browse\/forest$/);
      await expect(page.getByTestId("operator")).toContainText("Kim Akers");
      // Not the demo: no badge, no pools, no users.
      await expect(page.getByTestId("demo-badge")).toHaveCount(0);
      await expect(page.locator("a.tree-node", { hasText: ".contoso.com" })).toHaveCount(0);
      await expect(page.locator("nav.sidebar")).toContainText(forest);
      await expectAccessible(page);
    });
  }
});
