import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, rmSync } from "node:fs";
import { expect, test } from "./fixtures";
import { demoPassword } from "../playwright.config";
import { openPool, signIn } from "./helpers";

// A move of 250,000 users started from the browser: no request the wizard sends grows with the
// number of users. It runs against a portal of its own, on a deployment generated for it (a
// quarter of a million users on pool02), and cancels the job once it has started.

const port = 3101;
const origin = `http://127.0.0.1:${port}`;
const folder = "end2end/.db/large";
const database = `${folder}/large.db`;
const users = 250_000;
let server: ChildProcess | undefined;

test.describe.configure({ mode: "serial", timeout: 900_000 });
test.use({ baseURL: origin });

async function answering(url: string, deadline: number) {
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not answer`);
}

test.beforeAll(async () => {
  test.setTimeout(900_000);
  const root = `${__dirname}/../..`;
  rmSync(`${root}/${folder}`, { recursive: true, force: true });
  mkdirSync(`${root}/${folder}`, { recursive: true });
  const env = {
    ...process.env,
    UC_ADMIN_DATABASE_URL: `sqlite://${database}`,
    UC_ADMIN_DEMO_PASSWORD: demoPassword,
    RUST_LOG: "warn",
  };
  // A small demo deployment, then a quarter of a million plain users on pool02 (the demo's
  // own pool02 users go to pool01), and room for them all on pool01. Plain SQL: generating the
  // same with server data for every user takes minutes.
  // Output goes to a log file, never "ignore" (/dev/null): on some machines /dev/null is a
  // regular file, and what lands there is read back by the next program that reads it.
  const log = openSync(`${root}/${folder}/server.log`, "a");
  execFileSync("target/debug/uc-admin", ["generate", "--users", "2000"], { cwd: root, env, stdio: ["ignore", log, log] });
  execFileSync("sqlite3", [
    `${root}/${database}`,
    `PRAGMA foreign_keys = ON;
     BEGIN;
     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${users})
     INSERT INTO directory_users (id, object_guid, display_name, given_name, surname, sam_account_name,
                                  user_principal_name, email, container)
     SELECT 10000000 + i, printf('00000000-0000-4000-8000-%012d', i), printf('Load Tester %06d', i), 'Load',
            printf('Tester %06d', i), printf('load%06d', i), printf('load%06d@contoso.com', i),
            printf('load%06d@contoso.com', i), 'OU=Seattle,OU=Users,DC=contoso,DC=com'
     FROM n;
     UPDATE enabled_users SET pool_id = (SELECT id FROM pools WHERE fqdn = 'pool01.contoso.com')
       WHERE pool_id = (SELECT id FROM pools WHERE fqdn = 'pool02.contoso.com');
     INSERT INTO enabled_users (user_id, sip_uri, pool_id)
       SELECT id, printf('load%06d@contoso.com', id - 10000000), (SELECT id FROM pools WHERE fqdn = 'pool02.contoso.com')
       FROM directory_users WHERE id > 10000000;
     UPDATE pools SET capacity = 1000000 WHERE fqdn IN ('pool01.contoso.com', 'pool02.contoso.com');
     COMMIT;`,
  ]);
  server = spawn("target/debug/uc-admin", [], {
    cwd: root,
    stdio: ["ignore", log, log],
    env: {
      ...env,
      UC_ADMIN_BACKUP_DIR: `${folder}/backups`,
      UC_ADMIN_LISTEN: `127.0.0.1:${port}`,
      UC_ADMIN_SITE_ROOT: "target/site",
      UC_ADMIN_MOVE_JOB_THRESHOLD: "40",
      UC_ADMIN_MOVE_JOB_CHUNK: "10",
      UC_ADMIN_MOVE_JOB_PAUSE_MS: "300",
    },
  });
  await answering(`${origin}/login`, Date.now() + 120_000);
});

test.afterAll(async () => {
  server?.kill("SIGTERM");
  const root = `${__dirname}/../..`;
  if (existsSync(`${root}/${folder}`)) rmSync(`${root}/${folder}`, { recursive: true, force: true });
});

test("a 250,000-user move started in the browser sends only small requests", async ({ page }) => {
  const bodies: { url: string; bytes: number }[] = [];
  page.on("request", (request) => {
    if (request.method() === "POST" && request.url().startsWith(`${origin}/api/`)) {
      bodies.push({ url: request.url(), bytes: Buffer.byteLength(request.postData() ?? "") });
    }
  });
  await signIn(page, "useradmin");
  await openPool(page, "pool02.contoso.com");
  await page.getByRole("link", { name: "Move all users of this list…" }).click();
  const destination = page.getByLabel("Destination pool");
  await destination.selectOption(
    (await destination.locator("option", { hasText: "pool01.contoso.com" }).getAttribute("value")) ?? "",
  );
  await page.getByTestId("move-preview").click();
  await expect(page.getByTestId("move-totals")).toContainText("Moving: 250,000.", { timeout: 300_000 });
  await page.getByTestId("move-run").click();
  await expect(page).toHaveURL(/\/jobs\/\d+$/, { timeout: 300_000 });
  await expect(page.getByTestId("job-progress")).toHaveAttribute("max", String(users));
  await page.getByTestId("job-cancel").click();
  await expect(page.getByTestId("job-state")).toHaveText("Cancelled", { timeout: 60_000 });

  const sent = (name: string) => bodies.filter((b) => b.url.endsWith(`/api/${name}`));
  for (const name of ["select_users", "preview_move", "move_users"]) {
    expect(sent(name), `${name} was called`).toHaveLength(1);
  }
  const largest = Math.max(...bodies.map((b) => b.bytes));
  console.log(`250,000-user move: ${bodies.length} requests, the largest body ${largest} bytes`);
  expect(largest).toBeLessThan(2048);
});
