import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { chooseLanguage, expectAccessible, hydrated, openPool, signIn } from "./helpers";

// Job windows and pace, and the retry after a pool filled up. The operator (in Paris, as the
// browser says) schedules a move of six users for tomorrow 22:00, inside a 22:00–05:00 window
// at half a chunk a second; a wrong pace is refused first, in the language. The job waits,
// scheduled, on its page and in the list. Meanwhile the destination fills up (its capacity is
// lowered to three more users); "Start now" runs it: three move, three are refused as the pool
// being full. Once the pool has room again, *Retry* previews and moves exactly those three.

test.use({ timezoneId: "Europe/Paris" });

const TEXTS = {
  en: {
    badPace: "The pace is not a number of chunks per second between 0.01 and 100.",
    pace: "0.5",
    startsAt: "Runs as a job, starting",
    window: "Runs only between 22:00 and 05:00 (Europe/Paris)",
    scheduled: "Scheduled",
    starts: "Starts",
    completed: "Completed",
    full: "The destination pool was full when the user's turn came",
    retry: "Retry the 3 users left out…",
    moved: "Moved: 3. Refused: 0.",
  },
  fr: {
    badPace: "La cadence n’est pas un nombre de lots par seconde entre 0,01 et 100.",
    pace: "0,5",
    startsAt: "S’exécute en tâche, à partir du",
    window: "S’exécute uniquement entre 22:00 et 05:00 (Europe/Paris)",
    scheduled: "Planifiée",
    starts: "Démarre le",
    completed: "Terminée",
    full: "Le pool de destination était plein quand le tour de l’utilisateur est venu",
    retry: "Réessayer avec les 3 utilisateurs écartés…",
    moved: "Déplacés : 3. Refusés : 0.",
  },
  de: {
    badPace: "Das Tempo ist keine Anzahl Teilmengen pro Sekunde zwischen 0,01 und 100.",
    pace: "0,5",
    startsAt: "Läuft als Auftrag, Start am",
    window: "Läuft nur zwischen 22:00 und 05:00 (Europe/Paris)",
    scheduled: "Geplant",
    starts: "Startet am",
    completed: "Abgeschlossen",
    full: "Der Zielpool war voll, als der Benutzer an der Reihe war",
    retry: "Die 3 ausgelassenen Benutzer erneut versuchen…",
    moved: "Verschoben: 3. Abgelehnt: 0.",
  },
};

const DESTINATION = "pool02.contoso.com";

async function chooseDestination(page: Page) {
  const select = page.locator("#move-destination");
  const value = await select.locator("option", { hasText: DESTINATION }).getAttribute("value");
  await select.selectOption(value ?? "");
}

/** The destination's id and capacity, from the topology overview. */
async function destination(page: Page): Promise<{ id: number; capacity: number; users: number }> {
  const response = await page.request.post("/api/topology_overview", { data: {} });
  expect(response.ok()).toBeTruthy();
  const overview = await response.json();
  const pool = overview.pools.find((p: any) => p.pool.fqdn === DESTINATION);
  return { id: pool.pool.id, capacity: pool.pool.capacity, users: pool.user_count };
}

async function setCapacity(page: Page, id: number, capacity: number) {
  const response = await page.request.post("/api/change_pool", { data: { pool: id, capacity, available: true } });
  expect(response.ok(), await response.text()).toBeTruthy();
}

/** Tomorrow's date in Paris, as a datetime-local input writes it. */
function tomorrowAt(time: string): string {
  const tomorrow = new Date(Date.now() + 24 * 3600 * 1000);
  const day = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Paris", year: "numeric", month: "2-digit", day: "2-digit" }).format(tomorrow);
  return `${day}T${time}`;
}

for (const language of ["en", "fr", "de"] as const) {
  test(`in ${language}, a move is scheduled in a night window, then started when its pool filled up, and its refused users retried`, async ({ page, allowProblems }) => {
    allowProblems(/status of 400/); // the wrong pace
    test.setTimeout(120_000);
    const texts = TEXTS[language];
    await signIn(page, "admin");
    await chooseLanguage(page, language);
    const pool = await destination(page);
    await openPool(page, "pool01.contoso.com");
    const rows = page.getByTestId("users-table").locator("tbody tr");
    for (let i = 0; i < 6; i++) await rows.nth(i).locator("input[type=checkbox]").check();
    await page.getByTestId("move-selected").click();
    await chooseDestination(page);
    await page.getByTestId("move-schedule-toggle").click();
    // The operator's own time zone, from the browser.
    await expect(page.getByTestId("move-zone")).toHaveValue("Europe/Paris");

    await page.getByTestId("move-pace").fill("fast");
    await page.getByTestId("move-preview").click();
    await expect(page.getByRole("alert")).toContainText(texts.badPace);
    await page.locator(".wizard-step .wizard-actions button").first().click();

    await page.getByTestId("move-start").fill(tomorrowAt("22:00"));
    await page.getByTestId("move-opens").fill("22:00");
    await page.getByTestId("move-closes").fill("05:00");
    await page.getByTestId("move-pace").fill(texts.pace);
    await page.getByTestId("move-preview").click();
    const note = page.getByTestId("schedule-note");
    await expect(note).toContainText(texts.startsAt);
    await expect(note).toContainText("22:00 Europe/Paris");
    await expect(note).toContainText(texts.window);
    await expectAccessible(page);
    await page.getByTestId("move-run").click();

    await expect(page).toHaveURL(/\/jobs\/\d+$/);
    const jobUrl = page.url();
    await expect(page.getByTestId("job-state")).toHaveText(texts.scheduled);
    await expect(page.getByTestId("job-when").first()).toContainText(`${texts.starts} `);
    await expect(page.getByTestId("job-schedule")).toContainText(texts.window);
    await expectAccessible(page);
    await page.goto("/jobs");
    await hydrated(page);
    const row = page.getByTestId("jobs-table").locator("tbody tr").first();
    await expect(row).toContainText(texts.scheduled);
    await expect(row.getByTestId("job-when")).toContainText("22:00 Europe/Paris");

    // Others fill the destination meanwhile: room for three.
    await setCapacity(page, pool.id, (await destination(page)).users + 3);
    try {
      await page.goto(jobUrl);
      await hydrated(page);
      await page.getByTestId("job-resume").click();
      await expect(page.getByTestId("job-state")).toHaveText(texts.completed, { timeout: 30_000 });
      const reasons = page.getByTestId("job-left-out-table").locator("tbody tr");
      await expect(reasons).toHaveCount(1);
      await expect(reasons.first()).toContainText(texts.full);
      await expectAccessible(page);

      // Room again; the retry previews exactly the three refused users, then moves them.
      await setCapacity(page, pool.id, pool.capacity);
      await page.getByRole("button", { name: texts.retry }).click();
      await expect(page).toHaveURL(/\/move\?scope=selected/);
      await chooseDestination(page);
      await page.getByTestId("move-preview").click();
      await expect(page.getByTestId("move-table").locator("tbody tr")).toHaveCount(3);
      await page.getByTestId("move-run").click();
      await expect(page.getByTestId("move-results-totals")).toContainText(texts.moved);
    } finally {
      if ((await destination(page)).capacity !== pool.capacity) await setCapacity(page, pool.id, pool.capacity);
    }
  });
}
