import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { chooseLanguage, expectAccessible, hydrated, signIn } from "./helpers";

// Dark mode: the console follows the system's setting until the operator chooses a theme in the
// header; their choice is kept with them (the server sends the next page in it) and every page
// passes axe, contrast included, in both themes.
test.use({ viewport: { width: 1280, height: 800 } });

/** The console's background as the browser paints it: light #f4f6f8, dark #0f1419. */
const LIGHT = "rgb(244, 246, 248)";
const DARK = "rgb(15, 20, 25)";
const THEME_NAMES = {
  en: { label: "Theme", system: "System setting", light: "Light", dark: "Dark" },
  fr: { label: "Thème", system: "Réglage du système", light: "Clair", dark: "Sombre" },
  de: { label: "Farbschema", system: "Systemeinstellung", light: "Hell", dark: "Dunkel" },
};

async function background(page: Page): Promise<string> {
  return page.locator(".theme-root").evaluate((root) => getComputedStyle(root).backgroundColor);
}

async function chooseTheme(page: Page, theme: "system" | "light" | "dark") {
  const saved = page.waitForResponse((r) => r.url().endsWith("/api/set_theme"));
  await page.getByTestId("theme-select").selectOption(theme);
  expect((await saved).status()).toBe(200);
  await expect(page.locator(".theme-root")).toHaveAttribute("data-theme", theme);
}

for (const language of ["en", "fr", "de"] as const) {
  test(`dark mode in ${language}: follows the system, then the operator's own choice, kept for the next visit`, async ({
    page,
  }, testInfo) => {
    test.setTimeout(120_000);
    const names = THEME_NAMES[language];
    await page.emulateMedia({ colorScheme: "dark" });
    await signIn(page, "helpdesk");
    await chooseLanguage(page, language);
    const select = page.getByTestId("theme-select");
    await expect(page.getByLabel(names.label, { exact: true })).toBeVisible();
    await expect(select.locator("option")).toHaveText([names.system, names.light, names.dark]);

    // Nothing chosen: the system's setting, dark and then light.
    await expect(select).toHaveValue("system");
    await expect.poll(() => background(page)).toBe(DARK);
    await expectAccessible(page);
    await page.emulateMedia({ colorScheme: "light" });
    await expect.poll(() => background(page)).toBe(LIGHT);

    // Dark chosen on a light system: at once, and still on the next visit (sent by the server).
    await chooseTheme(page, "dark");
    await expect.poll(() => background(page)).toBe(DARK);
    const html = await (await page.request.get("/browse/forest")).text();
    expect(html).toContain('data-theme="dark"');
    await page.reload();
    await hydrated(page);
    await expect(select).toHaveValue("dark");
    await expect.poll(() => background(page)).toBe(DARK);
    await expectAccessible(page);
    const dark = testInfo.outputPath(`${language}-dark.png`);
    await page.screenshot({ path: dark, fullPage: true });
    await testInfo.attach(`${language}-dark`, { path: dark, contentType: "image/png" });

    // Light chosen on a dark system.
    await page.emulateMedia({ colorScheme: "dark" });
    await chooseTheme(page, "light");
    await expect.poll(() => background(page)).toBe(LIGHT);
    await expectAccessible(page);

    // Back to the system's setting, which is kept too.
    await chooseTheme(page, "system");
    await expect.poll(() => background(page)).toBe(DARK);
    await page.reload();
    await hydrated(page);
    await expect(select).toHaveValue("system");
  });
}

// Every page an operator reads passes axe in both themes (a theme is the operator's own: the
// administrator's is set back to the system's at the end).
test("every page passes axe in the light and the dark theme", async ({ page }) => {
  test.setTimeout(240_000);
  await signIn(page);
  const firstUser = page.getByTestId("users-table").locator('tbody tr a[href^="/users/"]').first();
  const userPath = (await firstUser.getAttribute("href"))!;
  const poolPath = (await page.locator('a.tree-node[data-node^="pool-"]').first().getAttribute("href"))!;
  const pages = [
    "/browse/forest",
    poolPath,
    `/pools/${poolPath.replace("/browse/pool-", "")}`,
    userPath,
    "/search",
    "/enable",
    "/jobs",
    "/requests",
    "/orgs",
    "/audit",
    "/admin",
    "/scripting",
    "/topology",
  ];
  try {
    for (const theme of ["light", "dark"] as const) {
      await page.goto("/browse/forest");
      await hydrated(page);
      await chooseTheme(page, theme);
      for (const path of pages) {
        await page.goto(path);
        await hydrated(page);
        await expect(page.locator(".theme-root")).toHaveAttribute("data-theme", theme);
        await expect.poll(() => background(page), path).toBe(theme === "dark" ? DARK : LIGHT);
        await expect(page.locator(".loading")).toHaveCount(0);
        await expectAccessible(page);
      }
    }
  } finally {
    await page.goto("/browse/forest");
    await hydrated(page);
    await chooseTheme(page, "system");
  }
});
