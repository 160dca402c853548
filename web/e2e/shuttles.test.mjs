// Browser tests of the dispatcher's shuttle screen (the Shuttles tab of the
// planner page, web/static/shuttles.js) against the real server and its
// demo registry: plan a day, the Gantt chart against the server's own
// timetable, an urgent call, a cancelled trip and who must be told, the
// registry (edit, CSV import with per-row errors), and what a viewer sees.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, newPage, checkClean, ready, shot } from "./helpers.mjs";

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

// planDate is the first day after today in the district (Asia/Shanghai)
// that is not a Sunday (the demo's dialysis sessions are Monday to
// Saturday), so that every trip of the day lies ahead whatever the hour.
function planDates() {
  const fmt = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" });
  const out = [];
  for (let k = 1; k < 5; k++) {
    const s = fmt.format(new Date(Date.now() + k * 86400000));
    if (new Date(s + "T12:00:00Z").getUTCDay() !== 0) out.push(s);
  }
  return out;
}
const [DATE, DATE2] = planDates();

// api calls the server from the page, with the page's session.
function api(page, method, path, body) {
  return page.evaluate(async ([m, p, b]) => {
    const r = await fetch(p, { method: m, headers: b ? { "Content-Type": "application/json" } : {}, body: b ? JSON.stringify(b) : undefined });
    const text = await r.text();
    let data = null;
    try { data = JSON.parse(text); } catch (e) { data = text; }
    return { status: r.status, data };
  }, [method, path, body || null]);
}

// gantt reads the chart: its rows (van) and bars (trip, van, row's van).
function gantt(page) {
  return page.evaluate(() => ({
    rows: Array.from(document.querySelectorAll("#sh-gantt .vanrow")).map((g) => +g.getAttribute("data-van")),
    bars: Array.from(document.querySelectorAll("#sh-gantt .bar")).map((b) => ({
      trip: +b.getAttribute("data-trip"), van: +b.getAttribute("data-van"), row: +b.closest(".vanrow").getAttribute("data-van"),
      label: b.getAttribute("aria-label"), tabindex: b.getAttribute("tabindex"), urgent: b.classList.contains("urgent")
    }))
  }));
}

// sameAsServer checks the chart against the server's timetable: one row
// per used van, one bar per planned trip, on its van's row.
function sameAsServer(g, tt) {
  const used = tt.vans.filter((v) => v.stops.length > 0).map((v) => v.van).sort((a, b) => a - b);
  assert.deepEqual(g.rows.slice().sort((a, b) => a - b), used, "one row per used van");
  assert.equal(g.rows.length, tt.vans_used);
  const trips = new Map();
  tt.vans.forEach((v) => v.stops.forEach((s) => trips.set(s.trip_id, v.van)));
  assert.equal(trips.size, tt.planned, "the server's planned trips are its vans' trips");
  assert.equal(g.bars.length, trips.size, "one bar per trip");
  for (const b of g.bars) {
    assert.equal(trips.get(b.trip), b.van, "trip " + b.trip + " on its van");
    assert.equal(b.row, b.van);
    assert.equal(b.tabindex, "0", "bars are keyboard-focusable");
    assert.ok(b.label && b.label.length > 20, "bar label: " + b.label);
  }
}

test("plan the demo day, read the Gantt chart, answer an urgent call, cancel a trip and see who must be told", async () => {
  const page = await openPlanner({ as: "demo-dispatcher" });
  await page.click("#tabbtn-shuttles");
  assert.equal(await page.locator("#tab-shuttles").isVisible(), true);
  await page.fill("#sh-date", DATE);
  await page.waitForFunction((d) => document.getElementById("sh-status").textContent.includes(d), DATE);
  assert.equal(await page.locator("#sh-gantt .bar").count(), 0, "no timetable yet");
  await page.fill("#sh-day [name=limit]", "3");
  await page.fill("#sh-day [name=vans]", "8");
  await page.click("#sh-plan");
  await page.waitForSelector("#sh-cancel:not([hidden])", { timeout: 10000 });
  await page.waitForSelector("#sh-version-n", { timeout: 60000 });
  await page.waitForSelector("#sh-gantt .bar");
  assert.equal(await page.textContent("#sh-version-n"), "v1");
  assert.equal(await page.locator("#sh-cancel").isVisible(), false, "the cancel button goes once the plan is published");
  await shot(page, "shuttles-01-planned");

  let tt = (await api(page, "GET", "/v1/shuttles/timetables/" + DATE)).data;
  assert.equal(tt.version, 1);
  assert.ok(tt.planned >= 40, "a demo day has trips: " + tt.planned);
  assert.equal(tt.check.problems.length, 0);
  let g = await gantt(page);
  sameAsServer(g, tt);
  // the figures line and the outputs
  assert.match(await page.textContent("#sh-figures"), new RegExp(tt.planned + " of " + tt.trips));
  assert.equal(await page.getAttribute("#sh-csv", "href"), "/v1/shuttles/timetables/" + DATE + "/versions/1?format=csv");
  assert.equal(await page.locator("#sh-vanlinks li").count(), tt.vans.length, "iCal and a printable list per van");
  const csv = await page.evaluate((u) => fetch(u).then((r) => r.text()), await page.getAttribute("#sh-csv", "href"));
  assert.ok(csv.split("\n").length > tt.planned, "the CSV has a line per stop");
  // every van's day on the map (numbered stops)
  const stops = tt.vans.reduce((n, v) => n + v.stops.length, 0);
  await page.waitForFunction((n) => document.querySelectorAll(".nummark.vanstop").length === n, stops);

  // a bar from the keyboard: its trip card, and its van alone on the map
  const first = g.bars[0];
  await page.focus(`#sh-gantt .bar[data-trip="${first.trip}"]`);
  await page.keyboard.press("Enter");
  await page.waitForSelector("#sh-tripcard");
  assert.equal(await page.evaluate(() => document.activeElement.id), "sh-tripcard");
  const van = tt.vans.find((v) => v.van === first.van);
  const pick = van.stops.find((s) => s.trip_id === first.trip && s.action === "pick_up");
  const card = await page.textContent("#sh-tripcard");
  assert.ok(card.includes(pick.pseudonym) && card.includes(pick.time) && card.includes(pick.place), "trip card: " + card);
  await page.waitForFunction((n) => document.querySelectorAll(".nummark.vanstop").length === n, van.stops.length);
  await shot(page, "shuttles-02-trip");

  // an urgent call: a labour rider from the registry search. A call no van
  // can take in time is the server's 422, shown word for word; then the
  // next rider is tried.
  page.expectFailure(/\/v1\/shuttles\/urgent$/);
  const labour = (await api(page, "GET", "/v1/riders?category=labour&limit=10")).data.riders;
  await page.click("#sh-urgent-box > summary");
  let answer = null;
  for (const r of labour) {
    await page.fill("#sh-urgent [name=q]", r.pseudonym);
    await page.waitForFunction((p) => { const o = document.querySelector("#sh-urgent [name=rider] option"); return o && o.textContent.startsWith(p); }, r.pseudonym);
    await page.selectOption("#sh-urgent [name=rider]", String(r.id));
    await page.fill("#sh-urgent [name=at]", "10:00");
    const [resp] = await Promise.all([
      page.waitForResponse((x) => x.url().endsWith("/v1/shuttles/urgent")),
      page.click("#sh-urgent-send")
    ]);
    const body = await resp.json();
    if (resp.status() === 200) {
      answer = body;
      break;
    }
    await page.waitForSelector("#sh-urgent-result .card.error");
    assert.ok((await page.textContent("#sh-urgent-result .card.error")).includes(body.message), "the server's error word for word");
  }
  assert.ok(answer, "some labour rider could be taken");
  await page.waitForSelector("#sh-answer");
  const a = answer.answer;
  assert.equal(await page.getAttribute("#sh-answer", "data-van"), String(a.van));
  assert.ok((await page.textContent("#sh-answer .big")).includes(a.pickup_time), "the answer's pick-up time");
  assert.ok((await page.textContent("#sh-answer .big")).includes(String(a.van)), "the answer's van");
  await page.waitForFunction((v) => document.getElementById("sh-version-n") && document.getElementById("sh-version-n").textContent === "v" + v, answer.version);
  tt = (await api(page, "GET", "/v1/shuttles/timetables/" + DATE)).data;
  g = await gantt(page);
  sameAsServer(g, tt);
  const ub = g.bars.find((b) => b.trip === a.trip_id);
  assert.ok(ub && ub.row === a.van && ub.urgent, "the urgent trip's bar is on the answer's van: " + JSON.stringify(ub));
  await shot(page, "shuttles-03-urgent");

  // cancel an afternoon trip from its card: who must be told
  const later = [];
  tt.vans.forEach((v) => v.stops.forEach((s) => { if (s.action === "pick_up" && s.start > 13 * 3600 && !s.urgent) later.push({ van: v.van, s }); }));
  assert.ok(later.length, "an afternoon pick-up");
  const victim = later[0];
  await page.click(`#sh-gantt .bar[data-trip="${victim.s.trip_id}"]`);
  await page.waitForFunction((p) => document.getElementById("sh-tripcard") && document.getElementById("sh-tripcard").textContent.includes(p), victim.s.pseudonym);
  await page.fill("#sh-tripcard [name=at]", "11:00");
  const [cresp] = await Promise.all([
    page.waitForResponse((x) => x.url().includes("/changes")),
    page.click("#sh-cancel-trip")
  ]);
  assert.equal(cresp.status(), 200);
  const after = await cresp.json();
  await page.waitForSelector("#sh-told");
  const told = await page.textContent("#sh-told");
  const notice = after.changes.riders.find((r) => r.trip_id === victim.s.trip_id);
  assert.ok(notice && notice.what === "cancelled" && notice.old_time === victim.s.time, "the server's notice: " + JSON.stringify(notice));
  for (const r of after.changes.riders) {
    assert.ok(told.includes(r.pseudonym), "told " + r.pseudonym);
    if (r.old_time) assert.ok(told.includes(r.old_time));
    if (r.new_time) assert.ok(told.includes(r.new_time));
  }
  for (const d of after.changes.drivers) assert.ok(told.includes(d.route_list), "driver of van " + d.van + " gets list " + d.route_list);
  assert.equal(await page.textContent("#sh-version-n"), "v" + after.version);
  g = await gantt(page);
  sameAsServer(g, after);
  assert.ok(!g.bars.some((b) => b.trip === victim.s.trip_id), "the cancelled trip's bar is gone");
  // what changed since publication: the urgent call and the cancellation
  const changed = await page.textContent("#sh-changed-box");
  assert.match(changed, /\(2\)/);
  assert.ok(changed.includes(a.pickup_time) && changed.includes(victim.s.pseudonym));
  await shot(page, "shuttles-04-cancelled");

  // a van out of service from the form: its stops after 11:00 go to other
  // vans (or are reported unplanned), and the drivers and riders are told
  const out = after.vans.find((v) => v.van !== a.van && v.stops.some((s) => s.start > 11 * 3600 + 600));
  assert.ok(out, "a van with stops after 11:00");
  await page.click("#sh-vanout-box > summary");
  await page.selectOption("#sh-vanout [name=van]", String(out.van));
  await page.fill("#sh-vanout [name=at]", "11:00");
  const [vresp] = await Promise.all([page.waitForResponse((x) => x.url().includes("/changes")), page.click("#sh-vanout button[type=submit]")]);
  assert.equal(vresp.status(), 200);
  const v3 = await vresp.json();
  await page.waitForFunction((v) => document.getElementById("sh-version-n").textContent === "v" + v, v3.version);
  g = await gantt(page);
  sameAsServer(g, v3);
  const left = v3.vans.find((v) => v.van === out.van);
  // after 11:00 the van only lets off the riders it had on board then
  const boardedBefore = new Set((left ? left.stops : []).filter((s) => s.action === "pick_up" && Math.min(s.arrival, s.start) < 11 * 3600).map((s) => s.trip_id));
  for (const s of left ? left.stops : []) {
    if (s.start >= 11 * 3600) assert.ok(s.action === "drop_off" && boardedBefore.has(s.trip_id), "van " + out.van + " after 11:00: " + JSON.stringify(s));
  }
  const told3 = await page.textContent("#sh-told");
  assert.ok(v3.changes.riders.length > 0, "riders of the van are told");
  for (const r of v3.changes.riders) assert.ok(told3.includes(r.pseudonym), "told " + r.pseudonym);
  assert.equal(await page.locator("#sh-vanout [name=van] option[value='" + out.van + "']").count(), 0, "the van is out");
  await shot(page, "shuttles-05-van-out");
  checkClean(assert, page);
  await page.context().close();
});

test("the registry: search, edit a rider in the form, the server's error word for word, CSV import with its per-row errors", async () => {
  const page = await openPlanner({ as: "demo-dispatcher" });
  await page.click("#tabbtn-shuttles");
  await page.click("#sh-registry > summary");
  await page.fill("#sh-search [name=q]", "D-001");
  await page.click("#sh-search button[type=submit]");
  await page.waitForSelector("#sh-riders tbody tr");
  const id = await page.getAttribute("#sh-riders tbody tr", "data-id");
  await page.click("#sh-riders tbody tr button");
  await page.waitForSelector("#sh-rider-form");
  const before = (await api(page, "GET", "/v1/riders/" + id)).data;
  assert.equal(await page.inputValue("#sh-rider-form [name=name]"), before.name);
  assert.equal(await page.locator("#sh-rider-form fieldset.rowcard").count(), before.sessions.length, "one row per weekly session");
  // a bad phone: the server's message, and the field gets the focus
  page.expectFailure(/\/v1\/riders\/\d+$/);
  await page.fill("#sh-rider-form [name=phone]", "call me");
  await page.click("#sh-rider-save");
  await page.waitForSelector("#sh-reg-result .card.error");
  const err = await page.textContent("#sh-reg-result .card.error");
  assert.match(err, /phone: want digits/);
  assert.match(err, /validation_failed|invalid|HTTP 422/);
  assert.equal(await page.evaluate(() => document.activeElement.name), "phone");
  // a good edit is saved
  await page.fill("#sh-rider-form [name=phone]", "+86 100 0000 0001");
  await page.check("#sh-rider-form [name='mobility.wheelchair']");
  await page.click("#sh-rider-save");
  await page.waitForSelector("#sh-rider-saved");
  const saved = (await api(page, "GET", "/v1/riders/" + id)).data;
  assert.equal(saved.phone, "+86 100 0000 0001");
  assert.equal(saved.mobility.wheelchair, true);
  assert.deepEqual(saved.sessions, before.sessions, "the sessions are kept");
  assert.equal(saved.name, before.name);
  await shot(page, "shuttles-06-registry");

  // CSV import: a bad spreadsheet lists every bad row, and nothing is written
  page.expectFailure(/\/v1\/riders\/import$/);
  const fac = (await api(page, "GET", "/v1/facilities?kind=hospital")).data.facilities.find((f) => (f.accepts || []).includes("green"));
  const cp = (await api(page, "GET", "/v1/compounds")).data.compounds[0];
  const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date());
  const head = "pseudonym,name,phone,compound_id,lon,lat,boarding_label,boarding_kind,category,colour,code_set_on,facility_id\n";
  const good = `X-901,Test Rider,+86 100 1111 2222,${cp.id},${cp.gates[0][0]},${cp.gates[0][1]},gate 1,gate,other,green,${today},${fac.id}\n`;
  const bad = head + good + `X-902,Test Two,+86 100 1111 3333,999999,${cp.gates[0][0]},${cp.gates[0][1]},gate 1,gate,other,green,${today},${fac.id}\n` +
    `X-903,Test Three,+86 100 1111 4444,${cp.id},${cp.gates[0][0]},${cp.gates[0][1]},gate 1,gate,other,purple,${today},${fac.id}\n`;
  await page.setInputFiles("#sh-import", { name: "bad.csv", mimeType: "text/csv", buffer: Buffer.from(bad) });
  await page.waitForSelector("#sh-import-errors");
  const rows = await page.$$eval("#sh-import-errors tbody tr", (l) => l.map((r) => Array.from(r.cells).map((c) => c.textContent)));
  assert.deepEqual(rows.map((r) => r[0]), ["3", "4"], "rows 3 and 4 are bad: " + JSON.stringify(rows));
  assert.equal(rows[0][1], "compound_id");
  assert.match(rows[1][1], /colour/);
  assert.match(await page.textContent("#sh-import-errors"), /2 bad rows, nothing was imported/);
  assert.equal((await api(page, "GET", "/v1/riders?q=X-901")).data.count, 0, "nothing was written");
  await shot(page, "shuttles-07-import-errors");
  await page.setInputFiles("#sh-import", { name: "good.csv", mimeType: "text/csv", buffer: Buffer.from(head + good) });
  await page.waitForSelector("#sh-import-ok");
  assert.match(await page.textContent("#sh-import-ok"), /1 riders imported/);
  assert.equal((await api(page, "GET", "/v1/riders?q=X-901")).data.count, 1);
  checkClean(assert, page);
  await page.context().close();
});

test("a viewer has no Shuttles tab and reads no personal data", async () => {
  // what a dispatcher sees: the secrets
  const disp = await openPlanner({ as: "demo-dispatcher" });
  const riders = (await api(disp, "GET", "/v1/riders?limit=10000")).data.riders;
  const secrets = new Set();
  riders.forEach((r) => { secrets.add(r.name); secrets.add(r.phone); });
  const full = await api(disp, "GET", "/v1/shuttles/timetables/" + DATE);
  if (full.status === 200) {
    full.data.vans.forEach((v) => v.stops.forEach((s) => {
      if ((s.direction === "inbound" && s.action === "pick_up") || (s.direction === "outbound" && s.action === "drop_off")) secrets.add(s.place);
    }));
  }
  await disp.context().close();

  const page = await openPlanner({ as: "demo-viewer" });
  assert.equal(await page.locator("#tabbtn-shuttles").isVisible(), false, "no Shuttles tab");
  assert.equal(await page.locator("#tab-shuttles").isVisible(), false);
  assert.equal(await page.locator("#tabbtn-vans").isVisible(), false);
  page.expectFailure(/\/v1\/(shuttles|riders)/);
  const list = await api(page, "GET", "/v1/riders?limit=10000");
  assert.equal(list.status, 200);
  assert.equal(list.data.masked, true);
  assert.equal(list.data.riders.length, riders.length);
  const answers = [JSON.stringify(list.data)];
  if (full.status === 200) {
    const tt = await api(page, "GET", "/v1/shuttles/timetables/" + DATE);
    assert.equal(tt.status, 200);
    assert.equal(tt.data.masked, true);
    answers.push(JSON.stringify(tt.data));
    for (const f of ["csv", "html", "ics"]) {
      answers.push(await page.evaluate((u) => fetch(u).then((r) => r.text()), "/v1/shuttles/timetables/" + DATE + "?format=" + f));
    }
  }
  for (const text of answers) {
    for (const s of secrets) {
      if (s) assert.ok(!text.includes(s) && !text.includes(JSON.stringify(s).slice(1, -1)), "the viewer reads " + s);
    }
  }
  assert.equal((await api(page, "GET", "/v1/riders?q=Demo")).status, 403, "no search of personal data");
  assert.equal((await api(page, "POST", "/v1/shuttles/urgent", { date: DATE, rider_id: riders[0].id, at: "10:00" })).status, 403);
  assert.equal((await api(page, "GET", "/v1/riders/" + riders[0].id)).status, 403);
  await shot(page, "shuttles-08-viewer");
  checkClean(assert, page);
  await page.context().close();
});

test("the shuttle screen in Chinese: today in Beijing by default, arrow keys across the Gantt chart, contrast AA", async () => {
  const page = await openPlanner({ as: "demo-dispatcher", locale: "zh-CN" });
  assert.equal(await page.textContent("#tabbtn-shuttles"), "班车");
  await page.click("#tabbtn-shuttles");
  const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date());
  assert.equal(await page.inputValue("#sh-date"), today, "the date picker starts on today in Beijing (the browser is in Berlin)");
  await page.fill("#sh-date", DATE);
  await page.waitForSelector("#sh-gantt .bar");
  const tt = (await api(page, "GET", "/v1/shuttles/timetables/" + DATE)).data;
  sameAsServer(await gantt(page), tt);
  // the axis is the district's clock: the first hour label is the hour of
  // the earliest departure in the server's timetable
  const h0 = Math.floor(Math.min(...tt.vans.map((v) => v.leaves_s)) / 3600);
  assert.equal(await page.textContent("#sh-gantt .axis text"), String(h0).padStart(2, "0") + ":00");
  // keyboard: Right goes to the van's next trip, Down to the next van's row
  const rows = await page.$$eval("#sh-gantt .vanrow", (l) => l.map((g) => Array.from(g.querySelectorAll(".bar")).sort((a, b) => a.getAttribute("x") - b.getAttribute("x")).map((b) => b.getAttribute("data-trip"))));
  const r = rows.findIndex((x) => x.length >= 2);
  await page.focus(`#sh-gantt .bar[data-trip="${rows[r][0]}"]`);
  assert.match(await page.evaluate(() => document.activeElement.getAttribute("aria-label")), /号车/);
  await page.keyboard.press("ArrowRight");
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute("data-trip")), rows[r][1]);
  if (rows[r + 1]) {
    await page.keyboard.press("ArrowDown");
    assert.ok(rows[r + 1].includes(await page.evaluate(() => document.activeElement.getAttribute("data-trip"))), "down to the next van");
  }
  await page.keyboard.press(" ");
  await page.waitForSelector("#sh-tripcard");
  assert.match(await page.textContent("#sh-tripcard"), /上车/);
  const focus = await page.evaluate(() => { const e = document.querySelector("#sh-gantt .bar"); e.focus(); const cs = getComputedStyle(e); return { stroke: cs.stroke, width: parseFloat(cs.strokeWidth) }; });
  assert.ok(focus.width >= 2.5, "a focused bar is outlined: " + JSON.stringify(focus));
  await page.click("#sh-urgent-box > summary");
  const results = await page.evaluate(() => {
    function bg(e) {
      for (; e; e = e.parentElement) {
        const c = getComputedStyle(e).backgroundColor;
        if (c && c !== "transparent" && !/rgba\(.*, 0\)$/.test(c)) return c;
      }
      return "rgb(255, 255, 255)";
    }
    const text = ["#sh-summary-card h3", "#sh-figures", "#sh-vanlinks a", ".urgent-summary", "#sh-urgent-send", ".gantt-legend", "#sh-changed-box summary", "#sh-tripcard th", "#sh-tripcard td"];
    const svgText = [".gantt .axis text", ".gantt-labels .rowlabel"];
    return text.map((s) => {
      const e = document.querySelector(s);
      return e ? { s, ratio: LL.contrast(getComputedStyle(e).color, bg(e)) } : { s, missing: true };
    }).concat(svgText.map((s) => {
      const e = document.querySelector(s);
      return e ? { s, ratio: LL.contrast(getComputedStyle(e).fill, "#ffffff") } : { s, missing: true };
    }));
  });
  for (const x of results) {
    assert.ok(!x.missing, x.s + " is on the page");
    assert.ok(x.ratio >= 4.5, `${x.s}: ${x.ratio.toFixed(2)}:1`);
  }
  await shot(page, "shuttles-09-chinese");
  checkClean(assert, page);
  await page.context().close();
});

test("a long plan can be cancelled: the solve stops and nothing is published", async () => {
  const page = await openPlanner({ as: "demo-dispatcher" });
  await page.click("#tabbtn-shuttles");
  await page.fill("#sh-date", DATE2);
  await page.waitForFunction((d) => document.getElementById("sh-status").textContent.includes(d), DATE2);
  await page.fill("#sh-day [name=limit]", "60");
  const [presp] = await Promise.all([page.waitForResponse((x) => x.url().includes("/v1/shuttles/plan")), page.click("#sh-plan")]);
  const jobID = (await presp.json()).id;
  assert.ok(jobID, "the plan is a job of the solve queue");
  await page.waitForSelector("#sh-cancel:not([hidden])");
  await page.waitForFunction(() => !document.getElementById("sh-progress").hidden);
  await page.waitForTimeout(700);
  await shot(page, "shuttles-10-solving");
  const t0 = Date.now();
  const [del] = await Promise.all([page.waitForResponse((x) => x.request().method() === "DELETE" && x.url().includes("/v1/jobs/")), page.click("#sh-cancel")]);
  assert.ok(del.status() < 300, "DELETE " + del.status());
  await page.waitForFunction(() => document.getElementById("sh-cancel").hidden && !document.getElementById("sh-plan").disabled);
  assert.ok(Date.now() - t0 < 10000, "cancelled well before the 60 s budget");
  const job = (await api(page, "GET", "/v1/jobs/" + jobID)).data;
  assert.equal(job.state, "cancelled", "the job is cancelled: " + JSON.stringify(job));
  assert.deepEqual((await api(page, "GET", "/v1/shuttles/timetables/" + DATE2 + "/versions")).data.versions, [], "nothing published");
  assert.equal(await page.locator("#sh-gantt .bar").count(), 0);
  checkClean(assert, page);
  await page.context().close();
});
