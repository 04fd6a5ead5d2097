import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
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

  let slapd: ChildProcess | undefined;
  let env: NodeJS.ProcessEnv = {};

  test.beforeAll(async () => {
    rmSync(`${root}/${folder}`, { recursive: true, force: true });
    mkdirSync(`${root}/${folder}`, { recursive: true });
    const log = openSync(`${root}/${folder}/server.log`, "a");
    // The company's directory: a real slapd on loopback, seeded before it starts.
    const ldapPort = await freePort();
    slapd = startSlapd(`${root}/${folder}/ldap`, ldapPort);
    await waitFor(async () => {
      await new Promise<void>((resolve, reject) => {
        const socket = connect(ldapPort, "127.0.0.1", () => {
          socket.end();
          resolve();
        });
        socket.on("error", reject);
      });
    }, "slapd did not start");
    writeFileSync(`${root}/${folder}/uc-admin.toml`, companyConfig(ldapPort));
    env = {
      ...process.env,
      UC_ADMIN_DATABASE_URL: `sqlite://${folder}/company.db`,
      UC_ADMIN_DEMO: "0",
      UC_ADMIN_CONFIG: `${folder}/uc-admin.toml`,
      RUST_LOG: "warn",
    };
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
    await waitFor(async () => {
      if (!(await fetch(`${origin}/readyz`)).ok) throw new Error("not ready");
    }, "the company portal did not start");
  });

  test.afterAll(async () => {
    server?.kill("SIGTERM");
    slapd?.kill("SIGTERM");
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

  async function signOut(page: Page) {
    await page.getByTestId("operator").locator("summary").click();
    await page.getByRole("button", { name: /^(Sign out|Se déconnecter|Abmelden)$/ }).click();
    await expect(page).toHaveURL(/\/login$/);
    await hydrated(page);
  }

  async function signInWith(page: Page, name: string, secret: string) {
    await page.locator("#username").fill(name);
    await page.locator("#password").fill(secret);
    await page.locator("form.form-stack button[type=submit]").click();
  }

  // The words of the journey, as each language shows them.
  const words = {
    en: {
      administration: "Administration", userName: "User name", displayName: "Display name",
      userAdministrator: "User Administrator", addOperator: "Add operator", oneTimeFor: "One-time password for",
      enableUsers: "Enable users…", filter: "Name, logon name or e-mail", apply: "Apply", next: "Next step",
      homePool: "Home pool", preview: "Preview", enableRun: "Enable users (1)", enabled: "Enabled: 1. Not enabled: 0.",
      moveSelected: "Move selected users…", destination: "Destination pool", jobs: "Jobs",
      schedule: "The server runs it every 60 minutes, one run at a time.", openReport: "Open the report",
      entries: "Directory entries: 4",
    },
    fr: {
      administration: "Administration", userName: "Nom d’utilisateur", displayName: "Nom complet",
      userAdministrator: "Administrateur des utilisateurs", addOperator: "Ajouter l’opérateur",
      oneTimeFor: "Mot de passe à usage unique de", enableUsers: "Activer des utilisateurs…",
      filter: "Nom, nom d’ouverture de session ou e-mail", apply: "Appliquer", next: "Étape suivante",
      homePool: "Pool de rattachement", preview: "Aperçu", enableRun: "Activer les utilisateurs (1)",
      enabled: "Activés : 1. Non activés : 0.", moveSelected: "Déplacer les utilisateurs sélectionnés…",
      destination: "Pool de destination", jobs: "Tâches",
      schedule: "Le serveur la lance toutes les 60 minutes, une exécution à la fois.", openReport: "Ouvrir le rapport",
      entries: "Entrées de l’annuaire: 4",
    },
    de: {
      administration: "Verwaltung", userName: "Benutzername", displayName: "Anzeigename",
      userAdministrator: "Benutzeradministrator", addOperator: "Operator hinzufügen", oneTimeFor: "Einmalkennwort für",
      enableUsers: "Benutzer aktivieren…", filter: "Name, Anmeldename oder E-Mail", apply: "Übernehmen",
      next: "Nächster Schritt", homePool: "Stammpool", preview: "Vorschau", enableRun: "Benutzer aktivieren (1)",
      enabled: "Aktiviert: 1. Nicht aktiviert: 0.", moveSelected: "Ausgewählte Benutzer verschieben…",
      destination: "Zielpool", jobs: "Aufträge",
      schedule: "Der Server führt sie alle 60 Minuten aus, jeweils nur einmal gleichzeitig.", openReport: "Bericht öffnen",
      entries: "Verzeichniseinträge: 4",
    },
  } as const;
  // Each language's run: its own User Administrator, and a directory person to enable and move.
  const journeys = [
    { language: "en", operator: "bmiller", name: "Ben Miller", person: "Pat Coleman", sip: "sip:pat@contoso.com" },
    { language: "fr", operator: "cdurand", name: "Claire Durand", person: "Lee Gu", sip: "sip:lee@contoso.com" },
    { language: "de", operator: "hschmidt", name: "Hans Schmidt", person: "Nora Shea", sip: "sip:nora@contoso.com" },
  ] as const;
  const chosen: Record<string, string> = {};

  for (const { language, operator, name, person, sip } of journeys) {
    test(`journey: a new User Administrator replaces the one-time password, then enables a synced user and moves them to Dublin (${language})`, async ({ page }) => {
      const w = words[language];
      await signInAsAdministrator(page, language);
      await page.getByRole("link", { name: w.administration, exact: true }).click();
      const form = page.getByTestId("new-operator");
      await form.getByLabel(w.userName).fill(operator);
      await form.getByLabel(w.displayName).fill(name);
      await form.getByLabel(w.userAdministrator).check();
      await form.getByRole("button", { name: w.addOperator }).click();
      await expect(page.getByTestId("one-time-password")).toContainText(`${w.oneTimeFor} ${operator}`);
      const oneTime = (await page.getByTestId("one-time-value").innerText()).trim();
      await signOut(page);
      await signInWith(page, operator, oneTime);
      await expect(page).toHaveURL(/\/password$/);
      await hydrated(page);
      chosen[operator] = `${language} passphrase of ${name}`;
      await page.locator("#current").fill(oneTime);
      await page.locator("#new").fill(chosen[operator]);
      await page.locator("#repeat").fill(chosen[operator]);
      await page.locator("form.form-stack button[type=submit]").click();
      await expect(page).toHaveURL(/\/browse\/forest$/);
      await expect(page.getByTestId("operator")).toContainText(name);

      // The directory's people arrive with the sync (the schedule would bring them within the hour).
      const synced = execFileSync("target/debug/uc-admin", ["sync-directory"], { cwd: root, env }).toString();
      expect(synced).toMatch(language === "en" ? /created 4,/ : /unchanged 4,/);
      await page.reload();
      await hydrated(page);
      await page.getByRole("link", { name: w.enableUsers }).click();
      await page.getByLabel(w.filter).fill(person);
      await page.getByRole("button", { name: w.apply }).click();
      const row = page.getByTestId("candidates-table").locator("tbody tr", { hasText: person });
      await row.locator("input[type=checkbox]").check();
      await page.getByRole("button", { name: w.next }).click();
      const homePool = page.getByLabel(w.homePool);
      const redmond = await homePool.locator("option", { hasText: "pool01.redmond.contoso.com" }).getAttribute("value");
      await homePool.selectOption(redmond ?? "");
      await page.getByRole("button", { name: w.preview }).click();
      await expect(page.getByTestId("preview-table").locator("tbody tr td:nth-child(2)")).toHaveText(sip);
      await page.getByRole("button", { name: w.enableRun }).click();
      await expect(page.getByTestId("results-summary")).toHaveText(w.enabled);
      // Homed in Redmond now: move them to Dublin.
      await page.locator("a.tree-node", { hasText: "pool01.redmond.contoso.com" }).click();
      const users = page.getByTestId("users-table").locator("tbody tr", { hasText: person });
      await expect(users).toHaveCount(1);
      await users.first().locator("input[type=checkbox]").check();
      await page.getByRole("link", { name: w.moveSelected }).click();
      const destination = page.getByLabel(w.destination);
      const dublin = await destination.locator("option", { hasText: "pool01.dublin.contoso.com" }).getAttribute("value");
      await destination.selectOption(dublin ?? "");
      await page.getByTestId("move-preview").click();
      await expect(page.getByTestId("move-run")).toBeEnabled();
      await page.getByTestId("move-run").click();
      await expect(page.getByTestId("move-results-totals")).toBeVisible();
      const moved = journeys.findIndex((j) => j.language === language) + 1;
      await expect(page.locator("a.tree-node", { hasText: "pool01.dublin.contoso.com" })).toContainText(String(moved));
      await expectAccessible(page);
      // The sync runs are on the jobs page with their counts and reports, and the schedule.
      await page.getByRole("link", { name: w.jobs, exact: true }).click();
      await expect(page.getByTestId("sync-schedule")).toHaveText(w.schedule);
      const run = page.getByTestId("sync-runs").locator("tbody tr").first();
      await expect(run).toContainText("directory-sync");
      await expect(page.getByTestId("sync-runs").locator("tbody tr")).toHaveCount(moved);
      await run.getByRole("link", { name: w.openReport }).click();
      await expect(page).toHaveURL(/\/audit\/\d+$/);
      await expect(page.locator("main")).toContainText(w.entries);
      await expect(page.locator("main table tbody tr")).toHaveCount(4);
      await expectAccessible(page);
    });
  }

  test("a member of the directory's admin group signs in with the directory; others get the usual refusal (fr)", async ({ page, allowProblems }) => {
    allowProblems(/status of 401/);
    await page.goto("/login");
    await hydrated(page);
    await chooseLanguage(page, "fr");
    // In no mapped group, or a wrong password: the same words as any wrong password.
    for (const [name, secret] of [
      ["nora", "nora-directory-password"],
      ["ann", "not her password"],
    ]) {
      await signInWith(page, name, secret);
      await expect(page.getByRole("alert")).toHaveText("Le nom d’utilisateur ou le mot de passe est incorrect.");
    }
    await signInWith(page, "ann", "ann-directory-password");
    await expect(page).toHaveURL(/\/browse\/forest$/);
    await expect(page.getByTestId("operator")).toContainText("Ann Beebe");
    await expect(page.getByTestId("operator")).toContainText("Administrateur des utilisateurs");
    await expectAccessible(page);
  });

  test("the administrator sees the directory operator marked and deletes an operator, who can no longer sign in (de)", async ({ page, allowProblems }) => {
    allowProblems(/status of 401/);
    await signInAsAdministrator(page, "de");
    await page.goto("/admin");
    await hydrated(page);
    const table = page.getByTestId("operators-table");
    await expect(table.locator("tr[data-operator=ann]").getByTestId("directory-badge")).toHaveText("Verzeichnis");
    await table.locator("tr[data-operator=bmiller]").getByRole("button", { name: /Löschen/ }).click();
    await expect(page.getByRole("alertdialog")).toContainText("Den Operator bmiller löschen?");
    await expectAccessible(page);
    await page.getByTestId("confirm-delete-operator").click();
    await expect(table.locator("tr[data-operator=bmiller]")).toHaveCount(0);
    await signOut(page);
    await signInWith(page, "bmiller", chosen.bmiller);
    await expect(page.getByRole("alert")).toHaveText("Benutzername oder Kennwort ist falsch.");
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

async function waitFor(ready: () => Promise<void>, message: string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await ready();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(message);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

const SUFFIX = "dc=example,dc=com";

function person(uid: string, given: string, surname: string, password?: string): string {
  return [
    `dn: uid=${uid},ou=People,${SUFFIX}`,
    "objectClass: inetOrgPerson",
    `uid: ${uid}`,
    `cn: ${given} ${surname}`,
    `givenName: ${given}`,
    `sn: ${surname}`,
    `mail: ${uid}@contoso.com`,
    ...(password ? [`userPassword: ${password}`] : []),
    "",
  ].join("\n");
}

function group(cn: string, members: string[]): string {
  return [
    `dn: cn=${cn},ou=Groups,${SUFFIX}`,
    "objectClass: groupOfNames",
    `cn: ${cn}`,
    ...members.map((m) => `member: ${m}`),
    "",
  ].join("\n");
}

/** Debian's slapd with its own configuration and database in `dir`, seeded with slapadd:
 *  two operators' groups (one nested), people to synchronize, one person in no mapped group. */
function startSlapd(dir: string, port: number): ChildProcess {
  mkdirSync(`${dir}/data`, { recursive: true });
  const conf = [
    "include /etc/ldap/schema/core.schema",
    "include /etc/ldap/schema/cosine.schema",
    "include /etc/ldap/schema/nis.schema",
    "include /etc/ldap/schema/inetorgperson.schema",
    `pidfile ${dir}/slapd.pid`,
    "modulepath /usr/lib/ldap",
    "moduleload back_mdb",
    "database mdb",
    "maxsize 10485760",
    `suffix "${SUFFIX}"`,
    `rootdn "cn=admin,${SUFFIX}"`,
    "rootpw test-secret",
    `directory ${dir}/data`,
    "",
  ].join("\n");
  writeFileSync(`${dir}/slapd.conf`, conf);
  const seed = [
    [`dn: ${SUFFIX}`, "objectClass: dcObject", "objectClass: organization", "dc: example", "o: Example", ""].join("\n"),
    [`dn: ou=People,${SUFFIX}`, "objectClass: organizationalUnit", "ou: People", ""].join("\n"),
    [`dn: ou=Groups,${SUFFIX}`, "objectClass: organizationalUnit", "ou: Groups", ""].join("\n"),
    person("ann", "Ann", "Beebe", "ann-directory-password"),
    person("nora", "Nora", "Shea", "nora-directory-password"),
    person("pat", "Pat", "Coleman"),
    person("lee", "Lee", "Gu"),
    group("Tier1", [`uid=ann,ou=People,${SUFFIX}`]),
    group("RTCUniversalUserAdmins", [`cn=Tier1,ou=Groups,${SUFFIX}`]),
    group("Cafeteria", [`uid=nora,ou=People,${SUFFIX}`]),
  ].join("\n");
  writeFileSync(`${dir}/seed.ldif`, seed);
  const log = openSync(`${dir}/slapd.log`, "a");
  execFileSync("/usr/sbin/slapadd", ["-f", `${dir}/slapd.conf`, "-l", `${dir}/seed.ldif`], { stdio: ["ignore", log, log] });
  return spawn("/usr/sbin/slapd", ["-f", `${dir}/slapd.conf`, "-h", `ldap://127.0.0.1:${port}/`, "-d", "0"], {
    stdio: ["ignore", log, log],
  });
}

function companyConfig(ldapPort: number): string {
  return [
    "[directory]",
    `url = "ldap://127.0.0.1:${ldapPort}"`,
    `bind_dn = "cn=admin,${SUFFIX}"`,
    'password = "test-secret"',
    `base_dn = "ou=People,${SUFFIX}"`,
    "sign_in = true",
    `group_base_dn = "ou=Groups,${SUFFIX}"`,
    'roles = { RTCUniversalUserAdmins = "user_administrator", CSHelpDesk = "help_desk" }',
    "sync_every_minutes = 60",
    "",
  ].join("\n");
}
