import { expect, test } from "./fixtures";
import { chooseLanguage, expectAccessible, hydrated, signIn } from "./helpers";

// The e2e portal streams its audit events to a JSON lines file (UC_ADMIN_AUDIT_STREAM in
// end2end/playwright.config.ts); the audit page says where, and the last event the file got.
test("the audit page shows where audit events are streamed, in English, French and German", async ({ page }) => {
  await signIn(page);
  await page.goto("/audit");
  const sink = page.getByTestId("audit-stream-sink");
  await expect(page.getByRole("heading", { name: "Streaming to a SIEM" })).toBeVisible();
  await expect(sink).toHaveCount(1);
  await expect(sink).toContainText("JSON lines");
  await expect(sink).toContainText("file:end2end/.db/audit.jsonl");
  // The sign-in above is an audit event; the streamer sends it within about a second.
  await expect(async () => {
    await page.reload();
    await expect(sink).toContainText("last event sent: no.", { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await expectAccessible(page);

  await hydrated(page);
  await chooseLanguage(page, "fr");
  await expect(page.getByRole("heading", { name: "Envoi vers un SIEM" })).toBeVisible();
  await expect(sink).toContainText("Lignes JSON");
  await expect(sink).toContainText("dernier événement envoyé : n°");

  await chooseLanguage(page, "de");
  await expect(page.getByRole("heading", { name: "Weiterleitung an ein SIEM" })).toBeVisible();
  await expect(sink).toContainText("JSON-Zeilen");
  await expect(sink).toContainText("zuletzt gesendetes Ereignis: Nr.");
  await chooseLanguage(page, "en");
});
