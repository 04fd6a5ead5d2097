import { expect, type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { demoPassword } from "../playwright.config";

export const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"];

/** Waits until the WASM bundle has hydrated the page, so that handlers are attached. */
export async function hydrated(page: Page) {
  await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
}

export async function signIn(page: Page, username = "admin", password = demoPassword) {
  await page.goto("/login");
  await hydrated(page);
  await page.locator("#username").fill(username);
  await page.locator("#password").fill(password);
  await page.locator("form.form-stack button[type=submit]").click();
  await expect(page).toHaveURL(/\/browse\/forest$/);
  await expect(page.getByTestId("users-table")).toBeVisible();
}

/** Fails with the list of violations if axe finds any WCAG 2.2 A/AA problem on the page. */
export async function expectAccessible(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  const summary = results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(" ")).join("\n  ")}`,
  );
  expect(summary, summary.join("\n")).toEqual([]);
}

/** Chooses a language in the header's switcher. */
export async function chooseLanguage(page: Page, code: "en" | "fr" | "de") {
  await page.locator("#language-select").selectOption(code);
  await expect(page.locator("html")).toHaveAttribute("lang", code);
}

/** The number shown in a "Showing 1–50 of 1,125" style summary, whatever the locale. */
export function totalFromSummary(text: string): number {
  const numbers = text.match(/\d[\d.,\u202f\u00a0 ]*/g) ?? [];
  const last = numbers[numbers.length - 1] ?? "0";
  return Number(last.replace(/[^\d]/g, ""));
}

/** The user count the tree shows beside a pool. */
export async function nodeCount(page: Page, fqdn: string): Promise<number> {
  const link = page.locator("a.tree-node", { hasText: fqdn });
  return Number((await link.locator(".tree-count [aria-hidden=true]").innerText()).replace(/[^\d]/g, ""));
}

/** Opens a pool's user list from the tree. */
export async function openPool(page: Page, fqdn: string) {
  await page.locator("a.tree-node", { hasText: fqdn }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(fqdn);
  await expect(page.getByTestId("users-table").locator("tbody tr").first()).toBeVisible();
}
