// Shared set-up of the browser tests: the real lifeline binary on a random
// port with a temporary data folder, Debian's chromium driven by
// playwright-core, a guard that fails on any request to another host, and a
// console watcher that fails on any console error except the failed
// responses a test expects (an optional endpoint's 404, a 4xx it provokes).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const SHOTS = process.env.SCREENSHOTS || join(process.cwd(), "var", "screenshots");
mkdirSync(SHOTS, { recursive: true });

export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--no-first-run", "--disable-sync"];

// startServer runs the binary and resolves with {url, stop} once it prints
// its address.
// lastURL is the address of the server started last: newPage signs in there.
let lastURL = "";

export function startServer() {
  const bin = process.env.LIFELINE_BIN;
  if (!bin) throw new Error("LIFELINE_BIN is not set (run the tests with make test-browser)");
  const dir = mkdtempSync(join(tmpdir(), "lifeline-e2e-"));
  const proc = spawn(bin, ["serve", "--addr", "127.0.0.1:0", "--data-dir", dir], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the server did not start in 120 s:\n" + log)), 120000);
    const onData = (b) => {
      log += b.toString();
      const m = /serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        lastURL = m[1];
        resolve({
          url: m[1],
          log: () => log,
          stop: () => new Promise((res) => {
            proc.once("exit", () => { rmSync(dir, { recursive: true, force: true }); res(); });
            proc.kill("SIGTERM");
          })
        });
      }
    };
    proc.stdout.on("data", onData);
    proc.stderr.on("data", onData);
    proc.once("exit", (code) => { clearTimeout(timer); reject(new Error("the server exited with " + code + ":\n" + log)); });
  });
}

export async function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: CHROMIUM_ARGS, headless: true });
}

// OPTIONAL are endpoints a page may probe that a server need not have:
// their 404 (and the auth endpoint's 401) is expected.
const OPTIONAL = [/\/tiles\/basemap\.json$/, /\/v1\/auth\/me$/];

// newPage opens a page that records console errors, page errors, failed
// responses and every request to another host (which it aborts). It signs in
// first through the real sign-in endpoint, as opts.as (default the demo
// district's demo-admin; each demo account's password is its username), so
// the page gets the same session cookie a person would; opts.as === null
// stays signed out.
export async function newPage(browser, opts = {}) {
  const ctx = await browser.newContext({
    viewport: opts.viewport || { width: 1280, height: 800 },
    locale: opts.locale || "en-US",
    timezoneId: opts.timezoneId || "Europe/Berlin", // not the district's zone: times must still be Shanghai's
    isMobile: !!opts.isMobile, hasTouch: !!opts.isMobile, deviceScaleFactor: 1
  });
  const as = opts.as === undefined ? "demo-admin" : opts.as;
  if (as !== null) {
    const r = await ctx.request.post(lastURL + "/v1/auth/login", { data: { username: as, password: as } });
    if (r.status() !== 200) throw new Error("sign-in as " + as + ": HTTP " + r.status() + " " + (await r.text()));
  }
  const page = await ctx.newPage();
  const w = { foreign: [], errors: [], failed: [], expectFail: [] };
  await ctx.route("**/*", (route) => {
    const u = new URL(route.request().url());
    if (u.protocol === "data:" || u.protocol === "blob:") return route.continue();
    if (u.hostname !== "127.0.0.1") {
      w.foreign.push(u.href);
      return route.abort();
    }
    return route.continue();
  });
  page.on("response", (r) => {
    if (r.status() >= 400) w.failed.push({ status: r.status(), url: r.url() });
  });
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    w.errors.push({ text: m.text(), url: (m.location() || {}).url || "" });
  });
  page.on("pageerror", (e) => w.errors.push({ text: "page error: " + e.message, url: "" }));
  page.watch = w;
  // expectFailure(re) marks responses whose URL matches re as expected to fail.
  page.expectFailure = (re) => w.expectFail.push(re);
  return page;
}

// checkClean fails when the page logged a console error that is not an
// expected failed response, or asked another host for anything.
export function checkClean(assert, page) {
  const w = page.watch;
  assert.deepEqual(w.foreign, [], "requests to another host");
  const expected = OPTIONAL.concat(w.expectFail);
  const unexpectedFailures = w.failed.filter((f) => !expected.some((re) => re.test(f.url.split("?")[0]) || re.test(f.url)));
  assert.deepEqual(unexpectedFailures, [], "unexpected failed responses");
  const errors = w.errors.filter((e) => {
    // A failed response is logged by chromium as "Failed to load resource";
    // it is fine only when that response was expected to fail.
    if (/^Failed to load resource/.test(e.text)) return !expected.some((re) => re.test(e.url.split("?")[0]) || re.test(e.url));
    return true;
  });
  assert.deepEqual(errors, [], "console errors");
}

export async function ready(page) {
  await page.waitForSelector("body[data-ready=true]", { timeout: 30000 });
}

export async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, name + ".png") });
}

// screenPoint is the page position of [lon, lat] on the planner map.
export async function screenPoint(page, lonlat) {
  return page.evaluate((p) => {
    const m = window.lifeline.map;
    const r = m.getCanvas().getBoundingClientRect();
    const q = m.project(p);
    return { x: r.left + q.x, y: r.top + q.y };
  }, lonlat);
}

export async function clickMap(page, lonlat) {
  const s = await screenPoint(page, lonlat);
  await page.mouse.click(s.x, s.y);
}
