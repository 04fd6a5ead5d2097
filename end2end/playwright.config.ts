import { defineConfig, devices } from "@playwright/test";

// The portal under test: the debug binary built by `scripts/build.sh`, on its own port and
// a fresh database (created with the demo deployment on start): SQLite, or with
// UC_ADMIN_E2E_ENGINE=postgres a PostgreSQL server scripts/e2e-server.sh starts and stops.
const port = Number(process.env.UC_ADMIN_E2E_PORT ?? 3100);
export const baseURL = `http://127.0.0.1:${port}`;
export const demoPassword = "Demo-Passw0rd!";

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      // Debian's chromium; Playwright never downloads a browser here.
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"], viewport: { width: 1366, height: 900 } } }],
  webServer: {
    command: "exec scripts/e2e-server.sh",
    cwd: "..",
    url: `${baseURL}/login`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      UC_ADMIN_DATABASE_URL: "sqlite://end2end/.db/e2e.db",
      UC_ADMIN_BACKUP_DIR: "end2end/.db/backups",
      UC_ADMIN_DEMO: "1",
      UC_ADMIN_DEMO_PASSWORD: demoPassword,
      // The portal's name among the replicas on its database, shown on each job's page.
      UC_ADMIN_REPLICA_NAME: "portal-e2e",
      UC_ADMIN_LISTEN: `127.0.0.1:${port}`,
      UC_ADMIN_SITE_ROOT: "target/site",
      RUST_LOG: "warn",
      // Small jobs with a pause between chunks, so that a test can watch one progress.
      UC_ADMIN_MOVE_JOB_THRESHOLD: "40",
      UC_ADMIN_MOVE_JOB_CHUNK: "10",
      UC_ADMIN_MOVE_JOB_PAUSE_MS: "300",
      // Audit events streamed as JSON lines into the run's own folder (emptied at each start by
      // scripts/e2e-server.sh), for the audit page's streaming status.
      UC_ADMIN_AUDIT_STREAM: "file:end2end/.db/audit.jsonl",
    },
  },
});
