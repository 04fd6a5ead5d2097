import { type APIRequestContext } from "@playwright/test";
import { expect, test } from "./fixtures";
import { nodeCount, openPool, signIn } from "./helpers";

/** The samples of a Prometheus/OpenMetrics text, by their name and labels as written. */
async function scrape(request: APIRequestContext): Promise<Map<string, number>> {
  const response = await request.get("/metrics");
  expect(response.status()).toBe(200);
  expect(response.headers()["content-type"]).toContain("application/openmetrics-text");
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split("\n")) {
    const match = /^(\S+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match && !line.startsWith("#")) samples.set(match[1], Number(match[2]));
  }
  return samples;
}

const requests = (method: string, route: string, status: number) =>
  `uc_admin_http_requests_total{method="${method}",route="${route}",status="${status}"}`;

test("/metrics after a journey counts its requests and the users its job processed", async ({ page, request }) => {
  const before = await scrape(request);
  const delta = (after: Map<string, number>, name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);

  await signIn(page, "useradmin");
  const users = await nodeCount(page, "se01.contoso.com");
  expect(users).toBeGreaterThan(40);
  await openPool(page, "se01.contoso.com");
  await page.getByRole("link", { name: "Move all users of this list…" }).click();
  const select = page.getByLabel("Destination pool");
  await select.selectOption((await select.locator("option", { hasText: "pool02.contoso.com" }).getAttribute("value")) ?? "");
  await page.getByTestId("move-preview").click();
  await expect(page.getByTestId("move-totals")).toBeVisible();
  await page.getByTestId("move-run").click();
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  await expect(page.getByTestId("job-progress")).toHaveAttribute("max", String(users));
  await expect(page.getByTestId("job-state")).toHaveText("Completed", { timeout: 60_000 });

  const after = await scrape(request);
  // The journey's own calls, by route pattern: never a user's id or name.
  expect(delta(after, requests("POST", "/api/sign_in", 200))).toBe(1);
  expect(delta(after, requests("POST", "/api/preview_move", 200))).toBeGreaterThanOrEqual(1);
  expect(delta(after, requests("POST", "/api/move_users", 200))).toBe(1);
  expect(delta(after, requests("GET", "/login", 200))).toBeGreaterThanOrEqual(1);
  // Every user of the job was processed (moved, or refused with a reason), and counted once.
  expect(delta(after, 'uc_admin_job_users_processed_total{kind="move"}')).toBe(users);
  expect(after.get('uc_admin_jobs{state="running"}')).toBe(0);
  expect(delta(after, 'uc_admin_jobs{state="completed"}')).toBe(1);
  // The probes answer without a session.
  const ready = await request.get("/readyz");
  expect(ready.status()).toBe(200);
  expect(await ready.json()).toEqual({ status: "ready", checks: { database: "ok", migrations: "ok", jobs: "ok" } });
});
