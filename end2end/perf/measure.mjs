// Page speed of a running UC Admin ("Speed a person can feel"): cold loads in Debian's Chromium
// through Playwright, then Lighthouse. Meant for the release build (scripts/bench.sh starts
// target/release/uc-admin on a fresh demo database and runs this); any build can be measured.
//
//   UC_ADMIN_PERF_URL=http://127.0.0.1:3190 node end2end/perf/measure.mjs
//
// Environment:
//   UC_ADMIN_PERF_URL         the portal's base URL (required)
//   UC_ADMIN_PERF_USER        operator to sign in as [admin]
//   UC_ADMIN_PERF_PASSWORD    their password [Demo-Passw0rd!, the demo password of the tests]
//   UC_ADMIN_PERF_RUNS        cold loads per page [10]
//   UC_ADMIN_PERF_LOAD_TIMEOUT_S  time bound of one load, until hydrated [60]
//   UC_ADMIN_PERF_DEADLINE_S  time bound of the whole run [900]
//   UC_ADMIN_PERF_OUT         folder for the Lighthouse reports [a new one under the temp folder]
//   UC_ADMIN_PERF_LIGHTHOUSE  0 skips Lighthouse [1]
//   CHROMIUM_PATH             the browser [/usr/bin/chromium]; Lighthouse gets it as CHROME_PATH
//
// Each page is loaded RUNS times, each time in a new browser context (empty HTTP cache, so the
// WASM is downloaded and compiled every time; the DevTools cache switch is on as well) carrying
// the session cookie of one sign-in. Per load: first contentful paint; when <body> got
// data-hydrated="true" (set by the App's Effect once hydrated; a MutationObserver in an init
// script notes performance.now()); the WASM from its fetch start (resource timing of
// /pkg/uc-admin.wasm) to WebAssembly.instantiate(Streaming) resolving, and its transfer size.
// The first load of each page also clicks at once after hydration (a column heading's sort
// link, or a tree link) and checks the router handled it in the page (no new document).
//
// Output: a table for people, then one line per figure:
//   BENCH|<measure>|<figure with unit>|<goal>|pass|miss|info
// Exit status: 0 when everything was measured (whether or not goals were met), 1 when a
// measurement failed, 2 on a usage error or an unreachable portal, 3 when the deadline passed.

import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "@playwright/test";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "../..");

const env = (name, fallback) => (process.env[name] ?? "") || fallback;
const BASE = env("UC_ADMIN_PERF_URL", "").replace(/\/+$/, "");
const USER = env("UC_ADMIN_PERF_USER", "admin");
const PASSWORD = env("UC_ADMIN_PERF_PASSWORD", "Demo-Passw0rd!");
const RUNS = Number(env("UC_ADMIN_PERF_RUNS", "10"));
const LOAD_TIMEOUT_MS = Number(env("UC_ADMIN_PERF_LOAD_TIMEOUT_S", "60")) * 1000;
const DEADLINE_MS = Number(env("UC_ADMIN_PERF_DEADLINE_S", "900")) * 1000;
const LIGHTHOUSE = env("UC_ADMIN_PERF_LIGHTHOUSE", "1") !== "0";
const CHROMIUM = env("CHROMIUM_PATH", "/usr/bin/chromium");
const LIGHTHOUSE_BIN = env("UC_ADMIN_LIGHTHOUSE_BIN", join(ROOT, "tools/node_modules/.bin/lighthouse"));
const LIGHTHOUSE_TIMEOUT_MS = 240_000;

const HYDRATED_GOAL_MS = 300;
const LIGHTHOUSE_GOAL = 95; // both categories
const WASM_PATH = "/pkg/uc-admin.wasm";

class Failure extends Error {
  constructor(message, code = 1) {
    super(message);
    this.code = code;
  }
}

function log(...args) {
  console.log(...args);
}
function note(message) {
  console.error(`measure: ${message}`);
}

// ---------------------------------------------------------------------------------------------
// Time bound of the whole run: on expiry close what is open and exit 3.

let browser = null;
const children = new Set();
function cleanUp() {
  for (const child of children) {
    try {
      child.kill("SIGKILL");
    } catch {}
  }
  if (browser) browser.close().catch(() => {});
}
const deadline = setTimeout(() => {
  note(`the whole run took longer than ${DEADLINE_MS / 1000} s (UC_ADMIN_PERF_DEADLINE_S); stopped`);
  process.exitCode = 3;
  cleanUp();
  setTimeout(() => process.exit(3), 2000).unref();
}, DEADLINE_MS);
deadline.unref();
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    note(`${signal}: stopping`);
    process.exitCode = 130;
    cleanUp();
    setTimeout(() => process.exit(130), 1000).unref();
  });
}

// Rejects after ms with a message naming what took too long.
function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Failure(`${what}: no result within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------
// Figures

function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}
const ms = (x) => (Number.isFinite(x) ? `${Math.round(x)} ms` : "—");
function bytes(n) {
  if (!Number.isFinite(n)) return "—";
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}
const benchLines = [];
let benchPrinted = 0;
function bench(measure, figure, goal, status) {
  benchLines.push(`BENCH|${measure}|${figure}|${goal}|${status}`);
}
function printBench() {
  for (; benchPrinted < benchLines.length; benchPrinted++) log(benchLines[benchPrinted]);
}

// ---------------------------------------------------------------------------------------------
// In every document, before the page's own scripts: note when <body> gets data-hydrated, and
// when each WebAssembly compile/instantiate call starts and settles.

const INIT_SCRIPT = `(() => {
  if (window.__ucPerf) return;
  const perf = { hydratedAt: null, wasm: [] };
  Object.defineProperty(window, "__ucPerf", { value: perf });
  const check = () => {
    if (perf.hydratedAt !== null) return;
    const body = document.body;
    if (body && body.getAttribute("data-hydrated") === "true") perf.hydratedAt = performance.now();
  };
  // <body> does not exist yet when this runs: watch the whole document.
  new MutationObserver(check).observe(document, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["data-hydrated"],
  });
  const W = WebAssembly;
  for (const name of ["instantiateStreaming", "instantiate", "compileStreaming", "compile"]) {
    const original = W[name];
    if (typeof original !== "function") continue;
    W[name] = function (...args) {
      const call = { fn: name, calledAt: performance.now(), doneAt: null, error: null };
      perf.wasm.push(call);
      const result = original.apply(this, args);
      Promise.resolve(result).then(
        () => { call.doneAt = performance.now(); },
        (e) => { call.doneAt = performance.now(); call.error = String(e); },
      );
      return result;
    };
  }
})();`;

// ---------------------------------------------------------------------------------------------
// The portal

async function reachable() {
  const url = `${BASE}/login`;
  let lastError = null;
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5000), redirect: "manual" });
      if (response.status === 200) return;
      lastError = new Error(`HTTP ${response.status}`);
    } catch (e) {
      lastError = e;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  const cause = lastError?.cause?.code ?? lastError?.cause?.message ?? lastError?.message ?? "unknown";
  throw new Failure(
    `UC Admin is not reachable at ${url} (${cause}). Start the portal first (scripts/bench.sh starts ` +
      `target/release/uc-admin) and set UC_ADMIN_PERF_URL to its address.`,
    2,
  );
}

function contextOptions(storageState) {
  return {
    baseURL: BASE,
    storageState,
    viewport: { width: 1366, height: 900 },
    locale: "en-US",
  };
}

async function hydrated(page, what) {
  await page
    .waitForFunction(() => window.__ucPerf && window.__ucPerf.hydratedAt !== null, null, {
      timeout: LOAD_TIMEOUT_MS,
      polling: 50,
    })
    .catch((e) => {
      throw new Failure(`${what}: <body data-hydrated="true"> not seen within ${LOAD_TIMEOUT_MS / 1000} s (${e.message.split("\n")[0]})`);
    });
}

// Signs in once through the form (as end2end/tests/helpers.ts does); returns the storage state
// and the pool and user to measure.
async function signIn() {
  const context = await browser.newContext(contextOptions(undefined));
  try {
    await context.addInitScript(INIT_SCRIPT);
    const page = await context.newPage();
    await page.goto("/login", { timeout: LOAD_TIMEOUT_MS });
    await hydrated(page, "sign-in page");
    await page.locator("#username").fill(USER);
    await page.locator("#password").fill(PASSWORD);
    await page.locator("form.form-stack button[type=submit]").click();
    try {
      await page.waitForURL(/\/browse\/forest$/, { timeout: LOAD_TIMEOUT_MS });
    } catch {
      const alert = await page.locator("[role=alert], .alert-error, .form-error").allInnerTexts().catch(() => []);
      throw new Failure(`signing in as ${USER} failed (still at ${page.url()}${alert.length ? `: ${alert.join(" ")}` : ""})`);
    }
    await page.getByTestId("users-table").waitFor({ timeout: LOAD_TIMEOUT_MS });

    // A pool's user list: pool01.contoso.com as the tests use it, else the first pool in the tree.
    let poolLink = page.locator("a.tree-node", { hasText: "pool01.contoso.com" });
    if ((await poolLink.count()) === 0) poolLink = page.locator('a.tree-node[data-node^="pool-"]');
    if ((await poolLink.count()) === 0) throw new Failure("no pool in the tree of /browse/forest");
    const poolPath = await poolLink.first().getAttribute("href");
    const poolName = (await poolLink.first().locator(".tree-label").innerText()).trim();
    // A user: the first of the forest's list.
    const userLink = page.getByTestId("users-table").locator('tbody tr a[href^="/users/"]').first();
    const userPath = await userLink.getAttribute("href");
    if (!poolPath || !userPath) throw new Failure("no pool or user link found on /browse/forest");
    const storageState = await context.storageState();
    return { storageState, poolPath, poolName, userPath };
  } finally {
    await context.close();
  }
}

// After hydration, one click at once; the app must handle it in the page. A new document (the
// browser following the link itself) would lose the marker set here.
async function firstClick(page, kind) {
  await page.evaluate(() => {
    window.__ucPerfSameDocument = true;
  });
  const started = Date.now();
  if (kind === "sort") {
    const heading = page.locator('th[data-sort-key="sip_uri"]');
    const before = await heading.getAttribute("aria-sort");
    await heading.locator("a.sort-link").click({ timeout: 10_000 });
    await page.waitForFunction(
      (before) => {
        const th = document.querySelector('th[data-sort-key="sip_uri"]');
        return th && th.getAttribute("aria-sort") !== before && /sort=/.test(location.search);
      },
      before,
      { timeout: LOAD_TIMEOUT_MS, polling: 20 },
    );
  } else {
    // A tree link: the forest's list.
    await page.locator('a.tree-node[data-node="enterprise-pools"]').click({ timeout: 10_000 });
    await page.waitForFunction(
      () =>
        location.pathname === "/browse/enterprise-pools" &&
        document.querySelector('a.tree-node[data-node="enterprise-pools"][aria-current="page"]') &&
        document.querySelector('[data-testid="users-table"] tbody tr'),
      null,
      { timeout: LOAD_TIMEOUT_MS, polling: 20 },
    );
  }
  const elapsed = Date.now() - started;
  const same = await page.evaluate(() => window.__ucPerfSameDocument === true);
  if (!same) throw new Failure(`${kind} click: the browser loaded a new document; the hydrated app did not handle it`);
  return elapsed;
}

// One cold load of path; returns its figures.
async function coldLoad(path, storageState, { click, expect: expectSelector }) {
  const context = await browser.newContext(contextOptions(storageState));
  try {
    await context.addInitScript(INIT_SCRIPT);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
    const response = await page.goto(path, { waitUntil: "commit", timeout: LOAD_TIMEOUT_MS });
    if (!response || response.status() !== 200) throw new Failure(`${path}: HTTP ${response ? response.status() : "no response"}`);
    await hydrated(page, path);
    const clickMs = click ? await firstClick(page, click) : null;
    if (new URL(page.url()).pathname === "/login") throw new Failure(`${path}: sent to /login: the session was not accepted`);
    if (!click && expectSelector) await page.locator(expectSelector).first().waitFor({ timeout: 10_000 });
    // First contentful paint is recorded shortly after the paint; wait for it a little.
    await page
      .waitForFunction(() => performance.getEntriesByName("first-contentful-paint").length > 0, null, { timeout: 10_000 })
      .catch(() => {});
    await page
      .waitForFunction(() => window.__ucPerf.wasm.some((c) => c.doneAt !== null), null, { timeout: 10_000 })
      .catch(() => {});
    const raw = await page.evaluate((wasmPath) => {
      const fcp = performance.getEntriesByName("first-contentful-paint")[0];
      const nav = performance.getEntriesByType("navigation")[0];
      const wasm = performance.getEntriesByType("resource").filter((e) => new URL(e.name).pathname === wasmPath);
      return {
        fcp: fcp ? fcp.startTime : null,
        ttfb: nav ? nav.responseStart : null,
        hydratedAt: window.__ucPerf.hydratedAt,
        calls: window.__ucPerf.wasm.map((c) => ({ ...c })),
        resources: wasm.map((e) => ({
          startTime: e.startTime,
          responseEnd: e.responseEnd,
          transferSize: e.transferSize,
          encodedBodySize: e.encodedBodySize,
          decodedBodySize: e.decodedBodySize,
          initiatorType: e.initiatorType,
        })),
      };
    }, WASM_PATH);
    await cdp.detach().catch(() => {});
    if (raw.resources.length === 0) throw new Failure(`${path}: no resource timing entry for ${WASM_PATH}`);
    const done = raw.calls.filter((c) => c.doneAt !== null && !c.error && c.fn.startsWith("instantiate"));
    if (done.length === 0) throw new Failure(`${path}: WebAssembly.instantiate(Streaming) never resolved (${JSON.stringify(raw.calls)})`);
    const first = raw.resources[0];
    const ready = done[done.length - 1].doneAt;
    return {
      fcp: raw.fcp ?? NaN,
      ttfb: raw.ttfb ?? NaN,
      hydrated: raw.hydratedAt,
      wasm: ready - first.startTime,
      wasmDownload: first.responseEnd - first.startTime,
      hydrateWork: raw.hydratedAt - ready,
      wasmTransfer: first.encodedBodySize,
      wasmDecoded: first.decodedBodySize,
      wasmFetches: raw.resources.length,
      fromCache: raw.resources.every((r) => r.transferSize === 0),
      click: clickMs,
    };
  } finally {
    await context.close().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// Lighthouse

function run(command, args, { timeoutMs, logFile, extraEnv }) {
  return new Promise((resolvePromise, reject) => {
    const out = createWriteStream(logFile);
    const child = spawn(command, args, {
      env: { ...process.env, ...extraEnv },
      stdio: ["pipe", "pipe", "pipe"],
    });
    children.add(child);
    child.stdin.end();
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Failure(`${command} took longer than ${timeoutMs / 1000} s (log: ${logFile})`));
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      children.delete(child);
      reject(new Failure(`${command}: ${e.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      out.end();
      resolvePromise({ code, signal });
    });
  });
}

function failingAudits(report, categoryId, limit = 8) {
  const category = report.categories[categoryId];
  const rows = [];
  for (const ref of category.auditRefs) {
    const audit = report.audits[ref.id];
    if (!audit || audit.score === null || audit.scoreDisplayMode === "notApplicable" || audit.scoreDisplayMode === "informative" || audit.scoreDisplayMode === "manual") continue;
    const threshold = ref.weight > 0 ? 1 : 0.9;
    if (audit.score >= threshold) continue;
    rows.push({
      id: ref.id,
      title: audit.title,
      score: audit.score,
      displayValue: audit.displayValue ?? "",
      weight: ref.weight,
      lost: ref.weight * (1 - audit.score),
      savingsMs: audit.details?.overallSavingsMs ?? audit.metricSavings?.LCP ?? 0,
    });
  }
  // Weighted ones first (points lost), then the diagnostics by their savings.
  rows.sort((a, b) => b.lost - a.lost || b.savingsMs - a.savingsMs || a.score - b.score);
  return rows.slice(0, limit);
}

async function lighthouse(pages, storageState, outDir) {
  if (!existsSync(LIGHTHOUSE_BIN)) {
    throw new Failure(`Lighthouse is not installed (${LIGHTHOUSE_BIN}): run 'npm ci' in tools/, or UC_ADMIN_PERF_LIGHTHOUSE=0 to skip it`);
  }
  const origin = new URL(BASE);
  const cookie = storageState.cookies
    .filter((c) => c.domain.replace(/^\./, "") === origin.hostname)
    .map((c) => `${c.name}=${c.value}`)
    .join("; ");
  if (!/(^|; )(__Host-)?uc_session=/.test(cookie)) throw new Failure("no uc_session cookie after signing in");
  const results = [];
  for (const { label, path } of pages) {
    const base = join(outDir, `lighthouse-${label}`);
    const args = [
      `${BASE}${path}`,
      "--preset=desktop",
      "--only-categories=performance,accessibility",
      "--chrome-flags=--headless=new --no-sandbox --disable-gpu --no-first-run --disable-background-networking --disable-component-update --disable-sync",
      `--extra-headers=${JSON.stringify({ Cookie: cookie })}`,
      "--output=json",
      "--output=html",
      `--output-path=${base}`,
      "--max-wait-for-load=60000",
      "--quiet",
    ];
    const logFile = `${base}.log`;
    const started = Date.now();
    const { code, signal } = await run(LIGHTHOUSE_BIN, args, {
      timeoutMs: LIGHTHOUSE_TIMEOUT_MS,
      logFile,
      extraEnv: { CHROME_PATH: CHROMIUM },
    });
    const jsonFile = `${base}.report.json`;
    if (code !== 0 || !existsSync(jsonFile)) {
      const tail = existsSync(logFile) ? readFileSync(logFile, "utf8").trim().split("\n").slice(-8).join("\n") : "";
      throw new Failure(`Lighthouse failed on ${path} (exit ${code ?? signal}); log ${logFile}:\n${tail}`);
    }
    const report = JSON.parse(readFileSync(jsonFile, "utf8"));
    if (report.runtimeError) throw new Failure(`Lighthouse on ${path}: ${report.runtimeError.code}: ${report.runtimeError.message}`);
    const finalPath = new URL(report.finalDisplayedUrl ?? report.finalUrl).pathname;
    if (finalPath === "/login") throw new Failure(`Lighthouse on ${path} was sent to /login: the Cookie header was not accepted`);
    const score = (id) => (report.categories[id]?.score == null ? NaN : Math.round(report.categories[id].score * 100));
    results.push({
      label,
      path,
      seconds: (Date.now() - started) / 1000,
      report,
      html: `${base}.report.html`,
      performance: score("performance"),
      accessibility: score("accessibility"),
      metrics: ["first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift", "speed-index"].map(
        (id) => [id, report.audits[id]?.displayValue ?? "—"],
      ),
      warnings: report.runWarnings ?? [],
    });
  }
  return results;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  if (!BASE || !/^https?:\/\//.test(BASE)) {
    throw new Failure("set UC_ADMIN_PERF_URL to the portal's base URL, e.g. UC_ADMIN_PERF_URL=http://127.0.0.1:3190", 2);
  }
  if (!Number.isInteger(RUNS) || RUNS < 1) throw new Failure("UC_ADMIN_PERF_RUNS must be a whole number ≥ 1", 2);
  if (!existsSync(CHROMIUM)) throw new Failure(`no browser at ${CHROMIUM} (CHROMIUM_PATH)`, 2);
  await reachable();

  const outDir = env("UC_ADMIN_PERF_OUT", "") || mkdtempSync(join(tmpdir(), "uc-admin-perf-"));
  mkdirSync(outDir, { recursive: true });
  log(`UC Admin page speed: ${BASE}, ${RUNS} cold load(s) per page; reports in ${outDir}`);

  browser = await within(
    60_000,
    "starting Chromium",
    chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    }),
  );
  const { storageState, poolPath, poolName, userPath } = await within(3 * LOAD_TIMEOUT_MS, "signing in", signIn());
  log(`signed in as ${USER}; pool ${poolName} (${poolPath}), user ${userPath}`);

  const pages = [
    { label: "browse", path: "/browse/forest", click: "sort", expect: '[data-testid="users-table"]' },
    { label: "pool", path: poolPath, click: "sort", expect: '[data-testid="users-table"]' },
    { label: "user", path: userPath, click: "tree", expect: ".page-header h1" },
    { label: "search", path: "/search", click: "tree", expect: "form.search-form" },
  ];

  const measured = [];
  for (const p of pages) {
    const loads = [];
    for (let i = 0; i < RUNS; i++) {
      const load = await within(LOAD_TIMEOUT_MS + 60_000, `cold load ${i + 1} of ${p.path}`, coldLoad(p.path, storageState, { click: i === 0 ? p.click : null, expect: p.expect }));
      if (load.fromCache) throw new Failure(`${p.path}: ${WASM_PATH} came from a cache; the load was not cold`);
      loads.push(load);
      process.stderr.write(`measure: ${p.path} ${i + 1}/${RUNS}: FCP ${ms(load.fcp)}, hydrated ${ms(load.hydrated)}, wasm ${ms(load.wasm)}\n`);
    }
    measured.push({ ...p, loads });
  }

  // People's table.
  const cols = ["page", "FCP", "hydrated", "WASM fetch→ready", "of it download", "ready→hydrated", "TTFB", "first click"];
  const rows = measured.map((m) => {
    const pick = (key) => m.loads.map((l) => l[key]);
    const range = (key) => {
      const v = pick(key).filter(Number.isFinite);
      return `${ms(median(v))} (${Math.round(Math.min(...v))}–${Math.round(Math.max(...v))})`;
    };
    return [m.path, range("fcp"), range("hydrated"), range("wasm"), ms(median(pick("wasmDownload"))), ms(median(pick("hydrateWork"))), ms(median(pick("ttfb"))), ms(m.loads[0].click)];
  });
  const widths = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  log("");
  log(`Median of ${RUNS} cold loads (min–max); times from navigation start:`);
  log(line(cols));
  log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) log(line(r));
  const wasmTransfer = median(measured.flatMap((m) => m.loads.map((l) => l.wasmTransfer)));
  const wasmDecoded = median(measured.flatMap((m) => m.loads.map((l) => l.wasmDecoded)));
  const fetches = Math.max(...measured.flatMap((m) => m.loads.map((l) => l.wasmFetches)));
  log(`${WASM_PATH}: ${bytes(wasmTransfer)} transferred, ${bytes(wasmDecoded)} decoded${fetches > 1 ? `; fetched ${fetches} times in one load (the preload was not used)` : ""}`);
  log(`first click (first load of each page, at once after hydration): handled in the page by the router`);
  // The release bundle (wasm-opt -Oz) is a few MB; the debug one about 35 MB.
  if (wasmDecoded > 15e6) note(`the WASM is ${bytes(wasmDecoded)}: this looks like a debug bundle, not the release build`);

  for (const m of measured) {
    const med = (key) => median(m.loads.map((l) => l[key]));
    const n = `${m.path} (median of ${RUNS})`;
    bench(`first contentful paint, ${n}`, ms(med("fcp")), "—", "info");
    const h = med("hydrated");
    bench(`hydrated, ${n}`, ms(h), `≤ ${HYDRATED_GOAL_MS} ms`, h <= HYDRATED_GOAL_MS ? "pass" : "miss");
    bench(`WASM download+compile, ${n}`, ms(med("wasm")), "—", "info");
  }
  bench(`WASM transfer size, ${WASM_PATH}`, bytes(wasmTransfer), "—", "info");

  let lighthouseResults = [];
  if (LIGHTHOUSE) {
    const lhPages = [measured[0], measured[2], measured[3]];
    log("");
    log(`Lighthouse 12.2.3 (desktop preset, simulated throttling; categories performance and accessibility):`);
    lighthouseResults = await lighthouse(lhPages, storageState, outDir);
    for (const r of lighthouseResults) {
      log(`  ${r.path}: performance ${r.performance}, accessibility ${r.accessibility}  (${r.metrics.map(([id, v]) => `${id.replace(/-/g, " ")} ${v}`).join(", ")}) — ${r.html}`);
      for (const w of r.warnings) log(`    warning: ${w}`);
      for (const cat of ["performance", "accessibility"]) {
        if (r[cat] >= LIGHTHOUSE_GOAL) continue;
        log(`    ${cat} below ${LIGHTHOUSE_GOAL}: failing audits (id | title | score | value):`);
        for (const a of failingAudits(r.report, cat)) {
          log(`      ${a.id} | ${a.title} | ${a.score.toFixed(2)} | ${a.displayValue}${a.weight > 0 ? ` (weight ${a.weight})` : ""}`);
        }
      }
    }
    for (const r of lighthouseResults) {
      for (const cat of ["performance", "accessibility"]) {
        const s = r[cat];
        bench(`Lighthouse ${cat}, ${r.path}`, String(s), `≥ ${LIGHTHOUSE_GOAL}`, s >= LIGHTHOUSE_GOAL ? "pass" : "miss");
      }
    }
  }

  log("");
  printBench();
  writeFileSync(join(outDir, "figures.json"), JSON.stringify({ base: BASE, runs: RUNS, measured, lighthouse: lighthouseResults.map(({ report, ...r }) => r) }, null, 2));
}

main()
  .then(async () => {
    clearTimeout(deadline);
    if (browser) await within(20_000, "closing Chromium", browser.close()).catch(() => {});
    process.exit(0);
  })
  .catch((e) => {
    // What was measured before the failure still counts.
    printBench();
    note(e instanceof Failure ? e.message : (e?.stack ?? String(e)));
    if (!process.exitCode) process.exitCode = e instanceof Failure ? e.code : 1;
    cleanUp();
    setTimeout(() => process.exit(), 3000).unref();
  });
