import { test as base, expect } from "@playwright/test";

/**
 * Every test fails on a browser console warning or error, an uncaught page error, a request
 * that failed (other than one the browser cancelled on navigation) or a server answer of 500
 * or more, unless the test said it expects it with `allowProblems(/pattern/)`. A refusal the
 * test provokes (a 409, a 403) shows in Chromium's console as "Failed to load resource: …
 * status of 409", so such a test allows exactly that.
 */
export const test = base.extend<{ allowProblems: (pattern: RegExp) => void }>({
  allowProblems: [
    async ({ context }, use) => {
      const seen: string[] = [];
      const allowed: RegExp[] = [];
      context.on("console", (message) => {
        if (message.type() === "warning" || message.type() === "error") {
          seen.push(`console ${message.type()}: ${message.text()} (on ${message.page()?.url() ?? "?"})`);
        }
      });
      context.on("weberror", (error) => seen.push(`page error: ${error.error().message} (on ${error.page()?.url() ?? "?"})`));
      context.on("requestfailed", (request) => {
        const reason = request.failure()?.errorText ?? "";
        if (reason !== "net::ERR_ABORTED") seen.push(`request failed: ${request.method()} ${request.url()} ${reason}`);
      });
      context.on("response", (response) => {
        if (response.status() >= 500) {
          seen.push(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
        }
      });
      await use((pattern) => allowed.push(pattern));
      const unexpected = seen.filter((line) => !allowed.some((pattern) => pattern.test(line)));
      expect(unexpected, `unexpected browser problems:\n${unexpected.join("\n")}`).toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
