import { type APIRequestContext, type Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { chooseLanguage, expectAccessible, hydrated, signIn } from "./helpers";

/** Creates a token on the Scripting API page; returns its secret, shown once. */
async function createToken(page: Page, name: string, permissions: string[], days = "30"): Promise<string> {
  await page.locator("#token-name").fill(name);
  await page.locator("#token-days").fill(days);
  // View the deployment is ticked by default; tick what else is asked for.
  for (const id of permissions) await page.locator(`#token-permission-${id}`).check();
  await page.getByTestId("create-token").click();
  const secret = (await page.getByTestId("new-token-secret").innerText()).trim();
  expect(secret).toMatch(/^uca_[0-9a-f]{64}$/);
  await expect(page.getByTestId("my-tokens").locator(`tr[data-token="${name}"]`)).toHaveCount(1);
  return secret;
}

async function openApiPage(page: Page, linkName: string, heading: string) {
  await page.getByRole("link", { name: linkName, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(heading);
  await hydrated(page);
  await expect(page.getByTestId("new-token-form")).toBeVisible();
}

function bearer(secret: string, language = "en") {
  return { Authorization: `Bearer ${secret}`, "Accept-Language": language };
}

/** A what-if move of `count` users of the first pool to another pool, through the API. */
async function whatIfMove(request: APIRequestContext, secret: string, count: number) {
  const tree = await (await request.get("/api/v1/pools", { headers: bearer(secret) })).json();
  const usable = tree.pools.filter(
    (p: any) => p.pool.state === "active" && p.pool.available && p.pool.version === "ocs2007_r2",
  );
  const [from, to] = [usable[0], usable.find((p: any) => p.pool.capacity - p.user_count > count + 10 && p !== usable[0])];
  const users = await (
    await request.get(`/api/v1/users?node=pool-${from.pool.id}&limit=${count}`, { headers: bearer(secret) })
  ).json();
  const ids = users.items.map((u: any) => u.id);
  expect(ids).toHaveLength(count);
  const preview = await request.post("/api/v1/move/preview", {
    headers: bearer(secret),
    data: { users: { users: { users: ids } }, destination: to.pool.id },
  });
  return { preview, ids, to };
}

test("an operator creates a read-only token, a script reads with it and is refused a move; a second token moves users, audited under its name; revoking stops it", async ({
  page,
  request,
  allowProblems,
}) => {
  allowProblems(/status of 40[13]/);
  await signIn(page, "useradmin");
  await openApiPage(page, "Scripting API", "Scripting API");
  await expect(page.getByTestId("openapi-link")).toHaveAttribute("href", "/api/v1/openapi.json");
  // The reference lists the calls of the OpenAPI document.
  await expect(page.getByTestId("api-reference")).toContainText("/api/v1/move/preview");
  await expect(page.getByTestId("api-reference")).toContainText("/api/v1/users");
  // Only what the operator's roles allow is offered: no organization moves for a User Administrator.
  await expect(page.locator("#token-permission-move_users_between_organizations")).toHaveCount(0);

  const reader = await createToken(page, "e2e nightly report", []);
  await expect(page.getByTestId("new-token")).toContainText("shown only this once");
  await expectAccessible(page);

  // The script: no cookie, only the token.
  const pools = await request.get("/api/v1/pools", { headers: bearer(reader) });
  expect(pools.status()).toBe(200);
  const refused = await whatIfMove(request, reader, 2);
  expect(refused.preview.status()).toBe(403);
  expect(refused.preview.headers()["content-type"]).toBe("application/problem+json");
  const problem = await refused.preview.json();
  expect(problem.code).toBe("api_token_scope");
  expect(problem.detail).toBe("This API token was not given the permission this call needs.");

  // A second token that may manage users: a what-if, then the move of that preview.
  const mover = await createToken(page, "e2e rebalance", ["manage_users"]);
  const { preview, ids, to } = await whatIfMove(request, mover, 2);
  expect(preview.status()).toBe(200);
  const whatIf = await preview.json();
  expect(whatIf.lines).toBe(2);
  const run = await request.post("/api/v1/move/run", { headers: bearer(mover), data: { token: whatIf.token } });
  expect(run.status()).toBe(200);
  for (const id of ids) {
    const user = await (await request.get(`/api/v1/users/${id}`, { headers: bearer(mover) })).json();
    expect(user.pool.id).toBe(to.pool.id);
  }
  // The audit log names the token the move was made through.
  await page.goto("/audit?operation=move");
  await expect(page.getByTestId("audit-via-token").first()).toHaveText("through the API token “e2e rebalance”");

  // The page shows when each token was last used; revoking one stops it at once.
  await page.goto("/scripting");
  await hydrated(page);
  const row = page.getByTestId("my-tokens").locator('tr[data-token="e2e nightly report"]');
  await expect(row.getByTestId("token-last-used")).not.toHaveText("Never");
  await row.getByRole("button", { name: "Revoke (e2e nightly report)" }).click();
  await page.getByTestId("confirm-revoke").click();
  await expect(row.getByTestId("token-status")).toHaveText("Revoked");
  const after = await request.get("/api/v1/pools", { headers: bearer(reader) });
  expect(after.status()).toBe(401);
  expect((await after.json()).code).toBe("api_token_revoked");
});

test("un opérateur crée un jeton en français, et l’API répond dans la langue demandée", async ({ page, request, allowProblems }) => {
  allowProblems(/status of 4\d\d/);
  await signIn(page, "helpdesk");
  await chooseLanguage(page, "fr");
  await openApiPage(page, "API de script", "API de script");
  // Help Desk is read-only: only « Consulter le déploiement » is offered.
  await expect(page.locator("#token-permission-manage_users")).toHaveCount(0);
  await expect(page.getByLabel("Consulter le déploiement")).toBeChecked();
  // A lifetime beyond a year is refused with the rule, and nothing is created.
  await page.locator("#token-name").fill("trop long");
  await page.locator("#token-days").fill("400");
  await page.locator("#token-days").evaluate((input: HTMLInputElement) => input.removeAttribute("max"));
  await page.getByTestId("create-token").click();
  await expect(page.getByRole("alert")).toHaveText("Un jeton est valable de 1 à 365 jours.");
  await expect(page.locator('tr[data-token="trop long"]')).toHaveCount(0);

  const secret = await createToken(page, "rapport du service d’assistance", []);
  await expect(page.getByTestId("new-token")).toContainText("affiché que cette fois");
  await expectAccessible(page);
  const refused = await request.post("/api/v1/delete/preview", {
    headers: bearer(secret, "fr-FR, fr;q=0.9"),
    data: { users: { users: { users: [1] } } },
  });
  expect(refused.status()).toBe(403);
  expect(refused.headers()["content-language"]).toBe("fr");
  expect((await refused.json()).detail).toBe("Vos rôles ne permettent pas cette opération.");
  const none = await request.get("/api/v1/pools", { headers: { "Accept-Language": "fr" } });
  expect((await none.json()).detail).toContain("jeton d’API");
});

test("die Verwaltung sieht die Tokens aller Operatoren und widerruft eines (Deutsch)", async ({ page, browser, request, allowProblems }) => {
  allowProblems(/status of 401/);
  // A User Administrator's token, made in a context of their own.
  const other = await (await browser.newContext({ locale: "de-DE" })).newPage();
  await signIn(other, "useradmin");
  await chooseLanguage(other, "de");
  await openApiPage(other, "Skript-API", "Skript-API");
  const secret = await createToken(other, "e2e inventar", []);
  await expect(other.getByTestId("new-token")).toContainText("nur dieses eine Mal");

  await signIn(page, "admin");
  await chooseLanguage(page, "de");
  await openApiPage(page, "Skript-API", "Skript-API");
  await expect(page.getByRole("heading", { name: "Die Tokens aller Operatoren" })).toBeVisible();
  const row = page.getByTestId("all-tokens").locator('tr[data-token="e2e inventar"]');
  await expect(row).toContainText("useradmin");
  await expect(row).toContainText("Bereitstellung anzeigen");
  await expectAccessible(page);
  await row.getByRole("button", { name: "Widerrufen (e2e inventar)" }).click();
  await page.getByTestId("confirm-revoke").click();
  await expect(row.getByTestId("token-status")).toHaveText("Widerrufen");
  const after = await request.get("/api/v1/pools", { headers: bearer(secret, "de") });
  expect(after.status()).toBe(401);
  expect((await after.json()).detail).toBe("Dieses API-Token wurde widerrufen. Erstellen Sie auf der API-Seite ein neues.");
  await page.goto("/audit?operation=api_token_revoke");
  await expect(page.getByTestId("audit-table").locator("tbody tr").first()).toContainText("API-Token widerrufen");
});
