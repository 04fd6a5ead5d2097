import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";
import type { Page } from "@playwright/test";
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

  async function signInAsAdministrator(page: Page, language: "en" | "fr" | "de") {
    await page.goto("/login");
    await hydrated(page);
    await chooseLanguage(page, language);
    await page.locator("#username").fill("kakers");
    await page.locator("#password").fill(password);
    await page.locator("form.form-stack button[type=submit]").click();
    await expect(page).toHaveURL(/\/browse\/forest$/);
  }

  const example = readFileSync(`${root}/packaging/topology.example.toml`);
  const file = (text: string | Buffer) => ({
    name: "topology.toml",
    mimeType: "text/plain",
    buffer: typeof text === "string" ? Buffer.from(text) : text,
  });

  test("the administrator imports the company's topology file on the Topology page (en)", async ({ page, allowProblems }) => {
    allowProblems(/status of 422/);
    await signInAsAdministrator(page, "en");
    await page.getByRole("link", { name: "Topology", exact: true }).click();
    await expect(page.getByTestId("topology-empty")).toBeVisible();
    await page.getByRole("link", { name: "Import a topology file…" }).click();
    await hydrated(page);
    // A file naming one FQDN twice is refused with its line, and changes nothing.
    const twice = `${example}\n[[pool]]\nfqdn = "SE01.redmond.contoso.com"\nkind = "standard"\nversion = "ocs2007r2"\nsite = "Redmond"\ncapacity = 10\n`;
    const line = twice.split("\n").indexOf('fqdn = "SE01.redmond.contoso.com"') + 1;
    await page.getByTestId("topology-file").setInputFiles(file(twice));
    await page.getByTestId("topology-check").click();
    await expect(page.getByRole("alert").first()).toHaveText(
      `Line ${line} of the topology file: another pool already has this FQDN.`,
    );
    await page.getByRole("button", { name: "Previous step" }).click();
    await page.getByTestId("topology-file").setInputFiles(file(example));
    await page.getByTestId("topology-check").click();
    await expect(page.getByTestId("topology-summary")).toHaveText("Importing this file makes 8 changes:");
    const plan = page.getByTestId("topology-plan");
    await expect(plan.locator("tbody tr")).toHaveCount(8);
    await expect(plan).toContainText("pool01.dublin.contoso.com");
    await expect(plan).toContainText("Enterprise pool, Office Communications Server 2007 R2, site Dublin, capacity 20,000");
    await expectAccessible(page);
    await page.getByTestId("topology-run").click();
    await expect(page.getByTestId("topology-done")).toHaveText("The topology was imported: 8 changes.");
    // The tree has the company's pools now.
    await expect(page.locator("a.tree-node", { hasText: "pool01.redmond.contoso.com" })).toBeVisible();
    await page.getByRole("link", { name: "Back to the topology" }).click();
    await expect(page.getByTestId("topology-forest")).toHaveText("contoso.com");
    await expect(page.getByTestId("topology-pools").locator("tbody tr")).toHaveCount(4);
    await expect(page.locator('tr[data-pool="lcs.dublin.contoso.com"]')).toContainText("Dublin");
    await expectAccessible(page);
    await page.screenshot({ path: "test-results/topology-en.png", fullPage: true });
  });

  test("importing the same file again changes nothing, and a pool is added by hand (fr)", async ({ page, allowProblems }) => {
    allowProblems(/status of 422/);
    await signInAsAdministrator(page, "fr");
    await page.goto("/topology/import");
    await hydrated(page);
    await page.getByTestId("topology-file").setInputFiles(file(example));
    await page.getByTestId("topology-check").click();
    await expect(page.getByTestId("topology-summary")).toHaveText(
      "Le déploiement correspond déjà à ce fichier : il n’y a rien à modifier.",
    );
    await expect(page.getByTestId("topology-run")).toBeDisabled();
    await page.goto("/topology");
    await hydrated(page);
    const form = page.getByTestId("add-pool-form");
    await form.getByLabel("FQDN").fill("pool02.dublin.contoso.com");
    await form.getByLabel("Site").fill("Dublin");
    await form.getByLabel("Capacité").fill("10000");
    await form.getByRole("button", { name: "Ajouter le pool" }).click();
    await expect(page.getByTestId("pool-added")).toBeVisible();
    await expect(page.locator('tr[data-pool="pool02.dublin.contoso.com"]')).toContainText("10 000");
    // The same FQDN again is refused, in French.
    await form.getByLabel("FQDN").fill("POOL02.dublin.contoso.com");
    await form.getByLabel("Site").fill("Dublin");
    await form.getByLabel("Capacité").fill("10000");
    await form.getByRole("button", { name: "Ajouter le pool" }).click();
    await expect(page.getByRole("alert").first()).toHaveText("un autre pool a déjà ce FQDN.");
    await expectAccessible(page);
  });

  test("a pool's capacity and availability change on its page, and the export has them (de)", async ({ page }) => {
    await signInAsAdministrator(page, "de");
    await page.goto("/topology");
    await hydrated(page);
    await page.getByTestId("topology-pools").getByRole("link", { name: "pool02.dublin.contoso.com" }).click();
    await expect(page.getByTestId("pool-site")).toHaveText("Dublin");
    const form = page.getByTestId("pool-change-form");
    await form.getByLabel("Kapazität").fill("12000");
    await form.getByLabel("Die Server des Pools laufen (verfügbar)").uncheck();
    await form.getByRole("button", { name: "Speichern" }).click();
    // The page reads the pool again: its new values are what it shows.
    await expect(page.getByTestId("pool-availability")).toHaveText("Nicht verfügbar");
    await expect(page.getByTestId("pool-capacity")).toContainText("12.000");
    await expectAccessible(page);
    const exported = await (await page.request.get("/exports/topology.toml")).text();
    expect(exported).toContain('fqdn = "pool02.dublin.contoso.com"\nkind = "enterprise"\nversion = "ocs2007r2"\nsite = "Dublin"\ncapacity = 12000\navailable = false');
  });
});
