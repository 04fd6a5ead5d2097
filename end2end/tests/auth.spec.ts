import { expect, test } from "./fixtures";
import { expectAccessible, hydrated, signIn } from "./helpers";

test("the sign-in page is accessible and refuses a wrong password with a translated message", async ({ page, allowProblems }) => {
  allowProblems(/status of 401/); // the wrong password answers 401
  await page.goto("/login");
  await hydrated(page);
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Sign in");
  await expectAccessible(page);

  await page.locator("#username").fill("admin");
  await page.locator("#password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  const alert = page.getByRole("alert");
  await expect(alert).toHaveText("The user name or password is incorrect.");
  await expect(alert).toHaveAttribute("data-error-code", "invalid_credentials");
  await expect(page).toHaveURL(/\/login$/);
});

test("a request without a session gets no data and a clear status", async ({ page, request }) => {
  // Well-formed calls of every server function, without a session cookie.
  const calls: Record<string, string> = {
    current_operator: "",
    pool_tree: "",
    pool_detail: "id=1",
    user_detail: "id=1",
    list_users:
      "node=forest&query[filter]=&query[sort]=display_name&query[dir]=asc&query[page]=1&query[page_size]=50",
  };
  for (const [endpoint, body] of Object.entries(calls)) {
    const response = await request.post(`/api/${endpoint}`, {
      headers: { "content-type": "application/x-www-form-urlencoded" },
      data: body,
    });
    expect(response.status(), endpoint).toBe(401);
    expect(await response.json(), endpoint).toEqual({ code: "unauthenticated" });
  }

  const forged = await request.post("/api/pool_tree", { headers: { cookie: "uc_session=forged" } });
  expect(forged.status()).toBe(401);

  // A page of the console sends the browser to the sign-in page.
  await page.goto("/browse/forest");
  await expect(page).toHaveURL(/\/login$/);
});

test("an operator signs in, sees who they are, and signs out", async ({ page, context }) => {
  await signIn(page, "helpdesk");
  // The header names the person and their role; sign-out is in their menu, by keyboard too.
  const menu = page.getByTestId("operator");
  await expect(menu.locator("summary")).toContainText("Dana Birkby");
  await expect(menu.locator("summary")).toContainText("Help Desk");
  await expect(page.getByRole("button", { name: "Sign out" })).toBeHidden();
  await menu.locator("summary").focus();
  await page.keyboard.press("Enter");
  await expect(menu).toContainText("helpdesk");

  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === "uc_session");
  expect(session?.httpOnly).toBe(true);
  expect(session?.sameSite).toBe("Strict");

  await expectAccessible(page);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  expect((await context.cookies()).find((c) => c.name === "uc_session")).toBeUndefined();

  // The old session token is dead on the server too.
  const replay = await page.request.post("/api/pool_tree", {
    headers: { cookie: `uc_session=${session?.value}` },
  });
  expect(replay.status()).toBe(401);
  await page.goto("/browse/forest");
  await expect(page).toHaveURL(/\/login$/);
});
