// Browser tests of the planner page (index.html) against the real server.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startServer, launch, newPage, checkClean, ready, shot, clickMap, SHOTS } from "./helpers.mjs";

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

async function openPlanner(opts) {
  const page = await newPage(browser, opts);
  await page.goto(server.url + "/");
  await ready(page);
  return page;
}

// pointAlong is the point halfway along a LineString by length.
function pointAlong(coords, frac) {
  let total = 0;
  const seg = [];
  for (let i = 0; i + 1 < coords.length; i++) {
    const d = Math.hypot(coords[i + 1][0] - coords[i][0], coords[i + 1][1] - coords[i][1]);
    seg.push(d);
    total += d;
  }
  let want = total * frac;
  for (let i = 0; i < seg.length; i++) {
    if (want <= seg[i]) {
      const f = seg[i] ? want / seg[i] : 0;
      return [coords[i][0] + f * (coords[i + 1][0] - coords[i][0]), coords[i][1] + f * (coords[i + 1][1] - coords[i][1])];
    }
    want -= seg[i];
  }
  return coords[coords.length - 1];
}

test("draw a sealed zone across a route: the route changes to avoid it", async () => {
  const page = await openPlanner();
  await shot(page, "01-planner");
  const bounds = await page.evaluate(() => {
    const b = [Infinity, Infinity, -Infinity, -Infinity];
    window.lifeline.S.compounds.forEach((c) => c.geometry.coordinates.flat(2).forEach((p) => {
      b[0] = Math.min(b[0], p[0]); b[1] = Math.min(b[1], p[1]); b[2] = Math.max(b[2], p[0]); b[3] = Math.max(b[3], p[1]);
    }));
    return b;
  });
  const midLat = (bounds[1] + bounds[3]) / 2;
  const from = [bounds[0] + 0.25 * (bounds[2] - bounds[0]), midLat + 0.1 * (bounds[3] - bounds[1])];
  const to = [bounds[0] + 0.8 * (bounds[2] - bounds[0]), midLat - 0.1 * (bounds[3] - bounds[1])];

  await page.click("#tabbtn-point");
  await page.click("#route-from");
  await clickMap(page, from);
  await page.click("#route-to");
  await clickMap(page, to);
  await page.waitForSelector("#route-card[data-version]");
  const before = await page.evaluate(() => window.lifeline.S.route.geometry);
  assert.ok(before && before.coordinates.length >= 2, "a route is drawn");
  assert.match(await page.textContent("#route-card"), /\d+\.\d\d km, about \d+ min/);
  await shot(page, "02-route-before");

  // a small square around the middle of the route, clear of both ends
  const mid = pointAlong(before.coordinates, 0.5);
  const dLat = 0.0004, dLon = dLat / Math.cos(mid[1] * Math.PI / 180);
  const square = [[mid[0] - dLon, mid[1] - dLat], [mid[0] + dLon, mid[1] - dLat], [mid[0] + dLon, mid[1] + dLat], [mid[0] - dLon, mid[1] + dLat]];
  await page.click("#tabbtn-zones");
  await page.click("#draw-start");
  for (const p of square) await clickMap(page, p);
  assert.match(await page.textContent("#drawbar-text"), /4/);
  await page.click("#draw-finish");
  await page.selectOption("#zone-form select[name=kind]", "sealed");
  await page.fill("#zone-form input[name=name]", "E2E sealed block");
  await shot(page, "03-zone-drawn");
  await page.click("#zone-form button[type=submit]");
  await page.waitForSelector("#zone-list >> text=E2E sealed block");

  await page.waitForFunction((b) => {
    const g = window.lifeline.S.route.geometry;
    return g && JSON.stringify(g.coordinates) !== b;
  }, JSON.stringify(before.coordinates), { timeout: 20000 });
  const afterGeom = await page.evaluate(() => window.lifeline.S.route.geometry);
  const inside = afterGeom.coordinates.filter((p) => p[0] > square[0][0] && p[0] < square[1][0] && p[1] > square[0][1] && p[1] < square[2][1]);
  assert.deepEqual(inside, [], "the new route has no point inside the sealed square");
  await page.click("#tabbtn-point");
  await shot(page, "04-route-after");
  checkClean(assert, page);
  await page.context().close();
});

test("run a site plan: sites are listed and drawn with numbers", async () => {
  const page = await openPlanner();
  await page.click("#tabbtn-sites");
  await page.fill("#sites-form input[name=p]", "4");
  await page.click("#sites-form details summary");
  const body = JSON.parse(await page.inputValue("#sites-form textarea[name=body]"));
  body.time_limit_seconds = 2;
  await page.fill("#sites-form textarea[name=body]", JSON.stringify(body));
  await page.click("#sites-run");
  await page.waitForSelector("#plan-count", { timeout: 60000 });
  const count = await page.textContent("#plan-count");
  const n = parseInt(count, 10);
  assert.ok(n >= 4, "at least 4 sites: " + count);
  assert.equal(await page.locator(".nummark.sitenum").count(), n, "one numbered marker per site");
  // readable figures: the shared sites as the server counted them
  const first = await page.evaluate(() => window.lifeline.S.planResult.summary);
  assert.equal(await page.textContent("#plan-card tr[data-fig=shared_sites] td"), String(first.shared_sites));
  assert.match(await page.textContent("#plan-card tr[data-fig=within_10_min] td"), /^\d+(\.\d)? %$/);
  await shot(page, "05-site-plan");

  // two plans side by side: pin this one, plan again with 6 sites
  await page.click("#plan-pin");
  await page.fill("#sites-form input[name=p]", "6");
  const body6 = JSON.parse(await page.inputValue("#sites-form textarea[name=body]"));
  body6.time_limit_seconds = 2;
  await page.fill("#sites-form textarea[name=body]", JSON.stringify(body6));
  await page.click("#sites-run");
  await page.waitForSelector("#plan-card #plan-unpin", { timeout: 60000 });
  const second = await page.evaluate(() => window.lifeline.S.planResult.summary);
  const cells = await page.$$eval("#plan-card tr[data-fig=shared_sites] td", (tds) => tds.map((td) => td.textContent));
  assert.deepEqual(cells, [String(first.shared_sites), String(second.shared_sites)]);
  assert.equal(second.shared_sites, 6);
  const rings = await page.evaluate(() => window.lifeline.map.querySourceFeatures("pinned").length);
  assert.ok(rings >= first.shared_sites, "the pinned plan's sites are drawn: " + rings);
  await shot(page, "05b-site-plans-compared");
  checkClean(assert, page);
  await page.context().close();
});

test("a zone's people: residents and the key-population registry, as the server counts them", async () => {
  const page = await openPlanner();
  await page.click("#tabbtn-zones");
  const ids = await page.$$eval("#zone-list li[data-zone]", (lis) => lis.map((li) => li.getAttribute("data-zone")));
  assert.ok(ids.length > 0, "the demo district has zones");
  // the first zone whose compounds hold registered riders, by the server's own count
  let id = null, want = null;
  for (const z of ids) {
    const r = await (await page.request.get(server.url + "/v1/zones/" + z + "/population")).json();
    if (r.key_population && r.key_population.total > 0) { id = z; want = r; break; }
  }
  assert.ok(id, "some demo zone holds key population");
  const li = "#zone-list li[data-zone='" + id + "']";
  await page.click(li + " .pop-btn");
  await page.waitForSelector(li + " .pop >> text=/registry/");
  const text = await page.textContent(li + " .pop");
  assert.ok(text.includes("In the registry: " + want.key_population.total + " key residents"), text);
  assert.ok(text.includes(new Intl.NumberFormat("en-GB", { maximumFractionDigits: 0 }).format(want.estimate.population)), text);
  assert.equal(await page.getAttribute(li + " .pop-btn", "aria-expanded"), "true");
  await shot(page, "05-zone-people");
  checkClean(assert, page);
  await page.context().close();
});

test("the capacitated model asks for its round, and the server's error is shown word for word", async () => {
  const page = await openPlanner();
  await page.click("#tabbtn-sites");
  await page.selectOption("#sites-form select[name=model]", "capacitated");
  assert.equal(await page.getAttribute("#sites-form input[name=deadline]", "required"), "", "deadline is required for capacitated");
  await page.fill("#sites-form input[name=deadline]", "400"); // the server allows at most 336 hours
  await page.fill("#sites-form input[name=throughput]", "60");
  page.expectFailure(/\/v1\/sites\/plan$/);
  await page.click("#sites-run");
  await page.waitForSelector("#sites-error");
  const sent = JSON.parse(await page.inputValue("#sites-form textarea[name=body]"));
  assert.deepEqual(sent.round, { deadline_hours: 400, people_per_desk_hour: 60 });
  const resp = await page.request.post(server.url + "/v1/sites/plan", { data: sent });
  assert.equal(resp.status(), 422);
  const want = await resp.json();
  const shown = await page.textContent("#sites-error");
  assert.equal(shown, want.message + " [" + want.code + ", HTTP 422] at " + want.details.path);
  assert.match(await page.textContent("#toast-text"), new RegExp(want.message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  await shot(page, "06-site-error");
  checkClean(assert, page);
  await page.context().close();
});

let routeListCode = null;
let routeListStops = null;
test("solve a van day from the form: numbered stops on the map and a driver's list", async () => {
  const page = await openPlanner();
  await page.click("#tabbtn-vans");
  const rides = await page.locator("#ship-rows fieldset").count();
  assert.ok(rides >= 1, "the example has patient rides");
  const problem = JSON.parse(await page.inputValue("#vans-form textarea[name=body]"));
  assert.ok(problem.vehicles.length >= 1 && problem.shipments.length === rides, "the form wrote the JSON");
  assert.ok(problem.shipments.every((s) => s.class >= 1 && s.pickup.location && s.delivery.location));
  // pick the first ride's pick-up again on the map: the JSON follows
  const target = problem.shipments[0].pickup.location;
  await page.click("#ship-rows fieldset >> nth=0 >> button.pick >> nth=0");
  await page.waitForSelector("#pickbar:not([hidden])");
  await clickMap(page, target);
  const problem2 = JSON.parse(await page.inputValue("#vans-form textarea[name=body]"));
  const moved = problem2.shipments[0].pickup.location;
  assert.ok(Math.abs(moved[0] - target[0]) < 1e-4 && Math.abs(moved[1] - target[1]) < 1e-4, "picked point " + moved + " near " + target);
  await page.fill("#vans-form input[name=limit]", "2");
  await page.click("#vans-run");
  await page.waitForSelector("#vans-summary", { timeout: 60000 });
  const vr = await page.evaluate(() => window.lifeline.S.vanRoutes.map((r) => r.stops.length));
  assert.ok(vr.length >= 1, "at least one route");
  await page.waitForTimeout(500);
  assert.equal(await page.locator(".nummark.vanstop").count(), vr.reduce((a, b) => a + b, 0), "a numbered marker per stop");
  routeListCode = (await page.textContent("a.routelist >> nth=0")).trim();
  assert.match(routeListCode, /^\d{6,}$/);
  routeListStops = await page.evaluate(() => window.lifeline.S.vanRoutes[0].stops.map((s) => s.label));
  await shot(page, "07-vans-solved");
  checkClean(assert, page);
  await page.context().close();
});

test("a long solve can be cancelled", async () => {
  const page = await openPlanner();
  await page.click("#tabbtn-vans");
  await page.fill("#vans-form input[name=limit]", "60");
  await page.click("#vans-run");
  await page.waitForSelector("#vans-cancel:not([hidden])");
  await shot(page, "08-vans-running");
  await page.click("#vans-cancel");
  await page.waitForSelector("#vans-cancelled", { timeout: 10000 });
  assert.equal(await page.isDisabled("#vans-run"), false);
  checkClean(assert, page);
  await page.context().close();
});

test("driver's list on a phone: the route on a map, names, windows, geo: links, print view", async () => {
  assert.ok(routeListCode, "the van test made a route list");
  const page = await newPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true });
  await page.goto(server.url + "/driver?id=" + routeListCode);
  await page.waitForSelector(".stop");
  const list = await (await page.request.get(server.url + "/v1/route-lists/" + routeListCode)).json();
  const titles = await page.locator(".stop .title").allTextContents();
  assert.equal(titles.length, list.stops.length);
  list.stops.forEach((s, i) => {
    if (s.name) assert.equal(titles[i], s.name, "stop " + i + " shows the place name");
    assert.doesNotMatch(titles[i], /^-?\d+\.\d+, ?-?\d+\.\d+$/, "no bare coordinates as a title");
  });
  const geo = await page.locator("a.nav").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
  assert.equal(geo.length, list.stops.filter((s) => s.point).length);
  geo.forEach((h) => assert.match(h, /^geo:-?\d+\.\d+,-?\d+\.\d+\?q=/));
  // time windows as the server's list gives them (the van form's ride windows)
  const withWindows = list.stops.filter((s) => s.time_windows && s.time_windows.length).length;
  assert.ok(withWindows > 0, "the van day's list has stops with time windows");
  assert.equal(await page.locator(".stop .fact >> text=/\\d\\d:\\d\\d–\\d\\d:\\d\\d/").count(), withWindows, "each window shown");
  const eta = await page.locator(".stop .eta b").allTextContents();
  eta.forEach((e) => assert.match(e, /^\d\d:\d\d$/));
  await page.waitForSelector("#drivermap canvas");
  const box = await page.locator("#drivermap").boundingBox();
  assert.ok(box.width >= 350 && box.height >= 200, "the map is phone-wide");
  const btn = page.locator(".donebtn >> nth=0");
  const bb = await btn.boundingBox();
  assert.ok(bb.height >= 44, "big buttons (" + bb.height + " px)");
  await btn.click();
  assert.equal(await btn.getAttribute("aria-pressed"), "true");
  await page.reload();
  await page.waitForSelector(".stop");
  assert.equal(await page.locator(".donebtn >> nth=0").getAttribute("aria-pressed"), "true", "done marks survive a reload");
  await page.waitForTimeout(800);
  await shot(page, "09-driver-phone");
  await page.emulateMedia({ media: "print" });
  assert.equal(await page.locator("form.lookup").isVisible(), false, "print view hides the form");
  await page.screenshot({ path: join(SHOTS, "10-driver-print.png"), fullPage: true });
  checkClean(assert, page);
  await page.context().close();
});

test("a bad driver code shows the server's message word for word", async () => {
  const page = await newPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true });
  page.expectFailure(/\/v1\/route-lists\//);
  await page.goto(server.url + "/driver?id=0000000001");
  await page.waitForSelector("#error:not([hidden])");
  const want = await (await page.request.get(server.url + "/v1/route-lists/0000000001")).json();
  assert.equal(await page.textContent("#error"), want.message + " [" + want.code + ", HTTP 404] at " + want.details.path);
  await shot(page, "11-driver-bad-code");
  checkClean(assert, page);
  await page.context().close();
});

test("the planner on a phone: the map fills the screen, the panel is a bottom sheet", async () => {
  const page = await openPlanner({ viewport: { width: 390, height: 844 }, isMobile: true });
  const map = await page.locator("#map").boundingBox();
  assert.ok(map.width >= 389 && map.height >= 760, "map " + JSON.stringify(map));
  const panel = await page.locator("#panel").boundingBox();
  assert.ok(panel.y > 844 * 0.4 && panel.y + panel.height <= 845, "bottom sheet " + JSON.stringify(panel));
  assert.equal(await page.evaluate(() => document.getElementById("legend").open), false, "legend starts collapsed");
  await shot(page, "12-phone-planner");
  await page.click("#sheet-toggle");
  assert.equal(await page.locator("#tab-zones").isVisible(), false, "the sheet folds away");
  const folded = await page.locator("#panel").boundingBox();
  assert.ok(folded.height < 120, "folded sheet " + folded.height);
  await page.click("#legend summary");
  await shot(page, "13-phone-sheet-folded");
  checkClean(assert, page);
  await page.context().close();
});

test("Chinese from the browser, English by choice (kept), times in Asia/Shanghai", async () => {
  const page = await openPlanner({ locale: "zh-CN", timezoneId: "America/New_York" });
  assert.equal(await page.evaluate(() => document.documentElement.lang), "zh-CN");
  assert.equal((await page.textContent("#tabbtn-zones")).trim(), "管控区");
  // every visible text outside user data (translate=no) and form values is Chinese
  const english = await page.evaluate(() => {
    const out = [];
    const allowed = /^(lifeline|GeoJSON|JSON|p|English|POST \/v1\/sites\/plan)$/;
    const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const p = n.parentElement;
      if (!p || p.closest("[translate=no], script, style, textarea, option[value=en], .maplibregl-ctrl-attrib, [hidden]")) continue;
      const words = (n.textContent.match(/[A-Za-z][A-Za-z\-]{2,}/g) || []).filter((w) => !allowed.test(w) && !/^(GeoJSON|JSON|POST|sites|plan|HTTP)$/.test(w));
      if (words.length) out.push(n.textContent.trim().slice(0, 80));
    }
    return out;
  });
  assert.deepEqual(english, [], "English text in the Chinese page");
  const shanghaiDay = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", weekday: "short", year: "numeric", month: "short", day: "numeric" }).format(new Date());
  assert.ok((await page.textContent("#day-out")).startsWith(shanghaiDay), "the day slider shows Shanghai's date");
  assert.equal(await page.getAttribute(".maplibregl-ctrl-zoom-in", "aria-label"), "放大", "MapLibre's own controls speak Chinese");
  const zhRoads = await page.evaluate(() => {
    const m = window.lifeline.map;
    return m.getLayer("bm-road-names") ? JSON.stringify(m.getLayoutProperty("bm-road-names", "text-field")) : null;
  });
  if (zhRoads !== null) assert.equal(zhRoads, '["get","name"]', "Chinese street names");
  await shot(page, "14-chinese");
  await page.selectOption("#lang", "en");
  assert.equal((await page.textContent("#tabbtn-zones")).trim(), "Zones");
  assert.equal(await page.getAttribute(".maplibregl-ctrl-zoom-in", "aria-label"), "Zoom in");
  const roadNames = await page.evaluate(() => {
    const m = window.lifeline.map;
    return m.getLayer("bm-road-names") ? JSON.stringify(m.getLayoutProperty("bm-road-names", "text-field")) : null;
  });
  if (roadNames !== null) assert.match(roadNames, /name_en/, "English street names where the basemap has them");
  assert.equal(await page.locator(".maplibregl-ctrl-zoom-in").count(), 1, "controls are replaced, not added twice");
  await page.reload();
  await ready(page);
  assert.equal(await page.evaluate(() => document.documentElement.lang), "en-GB", "the choice is kept");
  assert.equal((await page.textContent("#tabbtn-sites")).trim(), "Sampling sites");
  checkClean(assert, page);
  await page.context().close();
});

test("tabs follow the ARIA pattern and the keyboard; focus is visible", async () => {
  const page = await openPlanner();
  const tabs = await page.locator("[role=tablist] [role=tab]").count();
  assert.equal(tabs, 5);
  for (const id of ["zones", "sites", "vans", "shuttles", "point"]) {
    assert.equal(await page.getAttribute("#tabbtn-" + id, "aria-controls"), "tab-" + id);
    assert.equal(await page.getAttribute("#tab-" + id, "role"), "tabpanel");
  }
  await page.focus("#tabbtn-zones");
  await page.keyboard.press("ArrowRight");
  assert.equal(await page.evaluate(() => document.activeElement.id), "tabbtn-sites");
  assert.equal(await page.getAttribute("#tabbtn-sites", "aria-selected"), "true");
  assert.equal(await page.locator("#tab-sites").isVisible(), true);
  assert.equal(await page.locator("#tab-zones").isVisible(), false);
  await page.keyboard.press("End");
  assert.equal(await page.evaluate(() => document.activeElement.id), "tabbtn-point");
  await page.keyboard.press("ArrowRight");
  assert.equal(await page.evaluate(() => document.activeElement.id), "tabbtn-zones", "wraps around");
  // Tab from the tab list reaches the panel's controls, with a visible outline
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  const focused = await page.evaluate(() => {
    const e = document.activeElement, cs = getComputedStyle(e);
    return { tag: e.tagName, id: e.id, outline: cs.outlineStyle, width: parseFloat(cs.outlineWidth) };
  });
  assert.notEqual(focused.outline, "none", "focus outline on " + JSON.stringify(focused));
  assert.ok(focused.width >= 2);
  // the map takes the keyboard (MapLibre pans with the arrow keys)
  const c0 = await page.evaluate(() => window.lifeline.map.getCenter().lng);
  await page.focus(".maplibregl-canvas");
  await page.keyboard.press("ArrowRight");
  await page.waitForTimeout(600);
  assert.ok(await page.evaluate(() => window.lifeline.map.getCenter().lng) > c0, "arrow key pans the map");
  // drawing works from the keyboard: add the map centre as a corner
  await page.click("#tabbtn-zones");
  await page.focus("#draw-start");
  await page.keyboard.press("Enter");
  await page.focus("#draw-centre");
  await page.keyboard.press("Enter");
  assert.match(await page.textContent("#drawbar-text"), /1/);
  await page.keyboard.press("Escape");
  assert.equal(await page.locator("#drawbar").isVisible(), false);
  checkClean(assert, page);
  await page.context().close();
});

test("text colours meet WCAG AA contrast", async () => {
  const page = await openPlanner();
  const results = await page.evaluate(() => {
    function bg(e) {
      for (; e; e = e.parentElement) {
        const c = getComputedStyle(e).backgroundColor;
        if (c && c !== "transparent" && !/rgba\(.*, 0\)$/.test(c)) return c;
      }
      return "rgb(255, 255, 255)";
    }
    const sel = ["body", ".bar .sub", ".muted", ".small", "#tabbtn-zones", "#tabbtn-sites", "button.primary", "button.danger", ".badge.sealed",
      ".badge.controlled", ".badge.prevention", ".status.active", ".status", ".zoneitem .small", ".legend label", ".keys .keyrow", "a.link", "#asof-now"];
    return sel.map((s) => {
      const e = document.querySelector(s);
      if (!e) return { s, missing: true };
      return { s, fg: getComputedStyle(e).color, bg: bg(e), ratio: LL.contrast(getComputedStyle(e).color, bg(e)) };
    });
  });
  for (const r of results) {
    assert.ok(!r.missing, r.s + " is on the page");
    assert.ok(r.ratio >= 4.5, `${r.s}: ${r.fg} on ${r.bg} = ${r.ratio.toFixed(2)}:1`);
  }
  // the error card and toast
  const err = await page.evaluate(() => [LL.contrast("#7f1919", "#fdecec"), LL.contrast("#ffffff", "#b71c1c")]);
  err.forEach((r) => assert.ok(r >= 4.5));
  checkClean(assert, page);
  await page.context().close();
});

test("each role sees only its tabs and controls; no auth endpoint means every role", async () => {
  const page = await openPlanner();
  for (const id of ["zones", "sites", "vans", "shuttles", "point"]) assert.equal(await page.locator("#tabbtn-" + id).isVisible(), true, id + " visible in dev mode");
  await page.evaluate(() => window.lifeline.applyMe({ username: "wang", role: "driver" }));
  assert.equal(await page.locator("#tabbtn-sites").isVisible(), false);
  assert.equal(await page.locator("#tabbtn-vans").isVisible(), false);
  assert.equal(await page.locator("#tabbtn-zones").isVisible(), false);
  assert.equal(await page.locator("#tabbtn-point").isVisible(), true);
  assert.equal(await page.locator("#tab-point").isVisible(), true, "the driver lands on a tab they may use");
  await page.evaluate(() => window.lifeline.applyMe({ username: "li", role: "dispatcher" }));
  assert.equal(await page.locator("#tabbtn-vans").isVisible(), true);
  assert.equal(await page.locator("#tabbtn-sites").isVisible(), false);
  await page.click("#tabbtn-zones");
  assert.equal(await page.locator("#draw-start").isVisible(), false, "a dispatcher cannot draw zones");
  assert.equal(await page.locator("#zone-list .edit").first().isVisible(), false, "nor edit them");
  await page.evaluate(() => window.lifeline.applyMe({ username: "zhao", role: "planner" }));
  assert.equal(await page.locator("#draw-start").isVisible(), true);
  assert.equal(await page.locator("#zone-list .edit").first().isVisible(), true);
  assert.equal(await page.locator("#tabbtn-vans").isVisible(), false);
  checkClean(assert, page);
  await page.context().close();
});

test("edit a zone's corner from the keyboard, lift it, export and import zones", async () => {
  const page = await openPlanner();
  const zones = await (await page.request.get(server.url + "/v1/zones?format=geojson")).json();
  const z = zones.features.find((f) => !f.properties.effective_until && f.properties.kind === "controlled");
  assert.ok(z, "an open controlled zone");
  const id = z.properties.id;
  const before = z.geometry.coordinates[0][0][0];
  await page.click(`#zone-list li[data-zone="${id}"] button.edit`);
  await page.waitForSelector(".vertex");
  assert.ok(await page.evaluate(() => document.activeElement.classList.contains("vertex")), "the first corner has the focus");
  for (let i = 0; i < 5; i++) await page.keyboard.press("ArrowLeft");
  await shot(page, "16-edit-vertex");
  await page.click("#draw-finish"); // Save shape
  await page.waitForFunction(() => !document.querySelector(".vertex"));
  const after = await (await page.request.get(server.url + "/v1/zones/" + id)).json();
  assert.equal((after.properties || after).name, z.properties.name, "the zone kept its name");
  const xs = (after.geometry.type === "MultiPolygon" ? after.geometry.coordinates[0][0] : after.geometry.coordinates[0]).map((p) => p[0]);
  assert.ok(Math.min(...xs) < before[0] - 1e-6, "a corner moved west: " + Math.min(...xs) + " < " + before[0]);

  // lift it now
  await page.click(`#zone-list li[data-zone="${id}"] button.danger`);
  // wait for the lift's own answer (a toast of the shape's save may still be showing)
  const [liftResp] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith("/v1/zones/" + id + "/lift") && r.request().method() === "POST"),
    page.click(`#zone-list li[data-zone="${id}"] form button[type=submit]`)
  ]);
  assert.equal(liftResp.status(), 200, "the lift is accepted");
  const lifted = await (await page.request.get(server.url + "/v1/zones/" + id)).json();
  assert.ok((lifted.properties || lifted).effective_until, "the zone has an end");

  // export is a GeoJSON download of every zone; importing it back adds them again
  const href = await page.getAttribute("#zones-export", "href");
  const exported = await (await page.request.get(server.url + href)).json();
  assert.equal(exported.type, "FeatureCollection");
  const n0 = exported.features.length;
  const one = { type: "FeatureCollection", features: [{ type: "Feature", geometry: exported.features[0].geometry,
    properties: { kind: "prevention", name: "E2E imported", reason: "test", effective_from: "2026-11-01T00:00:00+08:00" } }] };
  await page.setInputFiles("#zones-import", { name: "zones.geojson", mimeType: "application/geo+json", buffer: Buffer.from(JSON.stringify(one)) });
  await page.waitForSelector("#zone-list >> text=E2E imported");
  const all = await (await page.request.get(server.url + "/v1/zones?format=geojson")).json();
  assert.equal(all.features.length, n0 + 1);
  // the day slider moves the map back before the import's day: fewer zones active
  const active0 = await page.evaluate(() => window.lifeline.S.zonesActive.length);
  await page.focus("#day");
  await page.keyboard.press("Home");
  await page.waitForFunction((n) => window.lifeline.S.zonesActive.length !== n, active0);
  assert.match(await page.textContent("#day-out"), /\d/);
  await shot(page, "17-day-slider");
  checkClean(assert, page);
  await page.context().close();
});

test("10,000 zones render from one GeoJSON source (timed)", async () => {
  const page = await openPlanner();
  const times = await page.evaluate(async () => {
    const L = window.lifeline, m = L.map;
    const c = m.getBounds();
    const w = c.getEast() - c.getWest(), h = c.getNorth() - c.getSouth();
    const kinds = ["sealed", "controlled", "prevention"];
    const zones = [];
    for (let i = 0; i < 100; i++) {
      for (let j = 0; j < 100; j++) {
        const x = c.getWest() + w * (i + 0.1) / 100, y = c.getSouth() + h * (j + 0.1) / 100, dx = w * 0.8 / 100, dy = h * 0.8 / 100;
        zones.push({ type: "Feature", id: i * 100 + j + 1, geometry: { type: "Polygon", coordinates: [[[x, y], [x + dx, y], [x + dx, y + dy], [x, y + dy], [x, y]]] },
          properties: { id: i * 100 + j + 1, kind: kinds[(i + j) % 3], name: "z" + i + "-" + j } });
      }
    }
    const saved = L.S.zonesActive;
    const out = [], tiles = [];
    for (let run = 0; run < 3; run++) {
      L.setZones([]);
      await new Promise((r) => m.once("idle", r));
      const t0 = performance.now();
      let tiled = null;
      const onData = (e) => { if (e.sourceId === "zones" && e.isSourceLoaded && tiled === null) tiled = performance.now() - t0; };
      m.on("sourcedata", onData);
      L.setZones(zones);
      await new Promise((r) => m.once("idle", r));
      m.off("sourcedata", onData);
      out.push(performance.now() - t0);
      tiles.push(tiled === null ? NaN : tiled);
    }
    return { out, tiles, saved: saved.length, rendered: m.queryRenderedFeatures({ layers: ["zones-fill"] }).length };
  });
  const sorted = times.out.slice().sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  assert.ok(times.rendered > 1000, "many zones on screen: " + times.rendered);
  await shot(page, "15-10k-zones");
  const tiledMedian = times.tiles.slice().sort((a, b) => a - b)[Math.floor(times.tiles.length / 2)];
  const line = `10,000 zones: setData -> map idle, median of ${sorted.length} runs ${median.toFixed(0)} ms (runs ${times.out.map((x) => x.toFixed(0)).join(", ")} ms); ` +
    `source tiled (sourcedata loaded) median ${tiledMedian.toFixed(0)} ms; ${times.rendered} rendered features in view`;
  writeFileSync(join(SHOTS, "render-10k.txt"), line + "\n");
  console.log("# " + line);
  checkClean(assert, page);
  await page.context().close();
});
