import { type Page, type TestInfo } from "@playwright/test";
import { expect, test } from "./fixtures";
import { chooseLanguage, expectAccessible, hydrated, signIn } from "./helpers";

// The main pages as a newcomer sees them, at 1280×800, in each language: a screenshot of each
// (kept with the test's results), no page that scrolls sideways, and Find results whose rows are
// at most two lines of text high.
test.use({ viewport: { width: 1280, height: 800 } });

const LANGUAGES = ["en", "fr", "de"] as const;
/** How the audit log names the address of a sign-in, per language. */
const CLIENT_ADDRESS = { en: "Client address", fr: "Adresse du client", de: "Clientadresse" };

async function noSidewaysScroll(page: Page, name: string) {
  const widths = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  expect(widths.scroll, `${name} scrolls sideways`).toBeLessThanOrEqual(widths.client);
}

async function keep(page: Page, testInfo: TestInfo, name: string) {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: "image/png" });
}

/** The most lines of text any cell of the Find results takes. */
async function tallestRowInLines(page: Page): Promise<number> {
  return page.getByTestId("users-table").evaluate((table) => {
    let most = 0;
    for (const cell of Array.from(table.querySelectorAll("tbody td"))) {
      // The distinct line boxes the cell's text sits on.
      const tops: number[] = [];
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (!node.textContent?.trim()) continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        for (const rect of Array.from(range.getClientRects())) {
          if (!tops.some((top) => Math.abs(top - rect.top) < 4)) tops.push(rect.top);
        }
      }
      most = Math.max(most, tops.length);
    }
    return most;
  });
}

for (const language of LANGUAGES) {
  test(`the main pages in ${language}: screenshots, no sideways scroll, compact Find results`, async ({ page }, testInfo) => {
    test.setTimeout(120_000);
    await signIn(page);
    await chooseLanguage(page, language);
    const poolLink = page.locator('a.tree-node[data-node^="pool-"]').first();
    const poolPath = (await poolLink.getAttribute("href"))!;
    const poolId = poolPath.replace("/browse/pool-", "");
    const firstUser = page.getByTestId("users-table").locator('tbody tr a[href^="/users/"]').first();
    const userPath = (await firstUser.getAttribute("href"))!;
    const userName = (await firstUser.innerText()).trim();

    // The tree keeps each count on its label's line, however long the label.
    for (const node of await page.locator("a.tree-node").all()) {
      const [label, count] = [node.locator(".tree-label"), node.locator(".tree-count")];
      const [a, b] = [await label.boundingBox(), await count.boundingBox()];
      expect(Math.abs(a!.y + a!.height / 2 - (b!.y + b!.height / 2)), await node.innerText()).toBeLessThan(4);
    }

    const pages: [string, string][] = [
      ["tree", "/browse/forest"],
      ["pool-list", poolPath],
      ["pool", `/pools/${poolId}`],
      ["user", userPath],
      ["enable", "/enable"],
      ["move", `/move?scope=node&node=pool-${poolId}`],
      ["jobs", "/jobs"],
      ["orgs", "/orgs"],
      ["audit", "/audit"],
      ["admin", "/admin"],
      ["scripting", "/scripting"],
      ["requests", "/requests"],
    ];
    for (const [name, path] of pages) {
      await page.goto(path);
      await hydrated(page);
      await expect(page.locator("html")).toHaveAttribute("lang", language);
      await expect(page.locator(".loading")).toHaveCount(0);
      await noSidewaysScroll(page, name);
      await keep(page, testInfo, `${language}-${name}`);
      if (name === "audit") {
        // Parameters read as words in the page's language, never as raw keys.
        const params = page.locator("td.params");
        await expect(params.first()).toContainText(`${CLIENT_ADDRESS[language]}: 127.0.0.1`);
        for (const text of await params.allInnerTexts()) expect(text).not.toMatch(/\b[a-z]+_[a-z_]+:/);
      }
    }
    await expectAccessible(page);

    // Find users by a part of a display name: the results name that person, the address says
    // only what was asked, and no row is taller than two lines.
    await page.goto("/search");
    await hydrated(page);
    const surname = userName.split(" ").pop()!;
    await page.locator("#search-text").fill(surname.toLowerCase());
    await page.locator("form.search-form button[type=submit]").click();
    await expect(page.getByTestId("users-table")).toContainText(userName);
    const params = new URL(page.url()).searchParams;
    expect([...params.keys()]).toEqual(["find", "text"]);
    expect(params.get("text")).toBe(surname.toLowerCase());
    await page.goto("/search?find=1&text=a");
    await hydrated(page);
    await expect(page.getByTestId("users-table").locator("tbody tr")).toHaveCount(50);
    expect(await tallestRowInLines(page)).toBeLessThanOrEqual(2);
    await noSidewaysScroll(page, "search");
    await keep(page, testInfo, `${language}-search`);
    await expectAccessible(page);
    await chooseLanguage(page, "en");
  });
}
