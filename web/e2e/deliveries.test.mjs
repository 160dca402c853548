// Browser test of the dispatcher's medicine-deliveries screen and the
// driver's reports, against the real server (demo district).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, newPage, checkClean, shot } from "./helpers.mjs";

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

// tomorrow in the district (UTC+8): a day whose cut is never too late.
function tomorrow() {
  const d = new Date(Date.now() + 8 * 3600 * 1000 + 24 * 3600 * 1000);
  return d.toISOString().slice(0, 10);
}

test("deliveries: the day's requests, a cut planned on the map, a driver's offline report reaching the dispatcher", async () => {
  const page = await newPage(browser, { as: "demo-dispatcher" });
  const day = tomorrow();
  // the hotline takes 12 requests for tomorrow (the demo's day is today)
  const compounds = (await (await page.request.get(server.url + "/v1/compounds")).json()).compounds;
  for (let i = 0; i < 12; i++) {
    const c = compounds[(i * 7) % compounds.length];
    const r = await page.request.post(server.url + "/v1/deliveries/requests", {
      headers: { "Idempotency-Key": "e2e-" + day + "-" + i },
      data: { date: day, compound_id: c.id, building: String(1 + (i % 5)), flat: "1-" + (101 + i), name: "E2E Resident " + i,
        phone: "+86 100 0000 " + String(1000 + i), items: [{ name: "Amlodipine 5 mg", quantity: 1 + (i % 3) }], insurance_card: i % 2 === 0,
        urgency: i === 5 ? "urgent" : "routine" }
    });
    assert.equal(r.status(), 201, await r.text());
  }
  await page.goto(server.url + "/deliveries.html");
  await page.waitForSelector("#dl-balanced");
  // today's demo day: 113 requests received, the counts balance
  assert.match(await page.textContent("#dl-counts"), /113 requests in/);
  assert.match(await page.textContent("#dl-balanced"), /Balanced/);
  assert.equal(await page.locator("#dl-requests tr").count(), 113);

  await page.fill("#dl-date", day);
  await page.click("#dl-day button[type=submit]");
  await page.waitForFunction(() => document.querySelectorAll("#dl-requests tr").length === 12);
  await page.click("#dl-cut");
  await page.waitForFunction(() => /planned, vans used/.test(document.getElementById("dl-status").textContent), null, { timeout: 60000 });
  assert.match(await page.textContent("#dl-status"), /; 0 not planned/);
  await page.waitForSelector("#dl-vans tr.dl-van");
  const vans = await page.locator("#dl-vans tr.dl-van").count();
  assert.ok(vans >= 2, "both legs have routes (" + vans + ")");
  assert.match(await page.textContent("#dl-counts"), /12 batched/);
  await page.waitForSelector("#dl-map canvas");
  await page.waitForTimeout(2000); // basemap tiles
  await shot(page, "20-deliveries-dispatcher");

  // the driver of the first leg-1 route reports its first stop done with no
  // connection: the report waits on the phone and goes out once online
  const routes = (await (await page.request.get(server.url + "/v1/deliveries/routes?date=" + day)).json()).routes;
  const leg1 = routes.find((r) => r.leg === 1);
  const phone = await newPage(browser, { as: "demo-dispatcher", viewport: { width: 390, height: 844 }, isMobile: true });
  phone.expectFailure(/\/stops\/\d+\/status$/);
  await phone.goto(server.url + "/driver?id=" + leg1.route_list);
  await phone.waitForSelector(".donebtn");
  await phone.context().setOffline(true);
  await phone.click(".donebtn >> nth=0");
  await phone.waitForSelector("#outbox:not([hidden])");
  assert.match(await phone.textContent("#outbox"), /1 reports are waiting/);
  assert.equal(await phone.locator(".donebtn >> nth=0").getAttribute("aria-pressed"), "true", "shown done while queued");
  await phone.context().setOffline(false);
  await phone.evaluate(() => window.dispatchEvent(new Event("online")));
  await phone.waitForSelector("#outbox[hidden]", { state: "attached", timeout: 30000 });
  const list = await (await phone.request.get(server.url + "/v1/route-lists/" + leg1.route_list)).json();
  assert.equal(list.stops.find((s) => s.kind === "pickup").status, "done", "the server has the report");
  await shot(phone, "21-deliveries-driver-report");

  await page.click("#dl-day button[type=submit]");
  await page.waitForFunction(() => /[1-9]\d* collected/.test(document.getElementById("dl-counts").textContent));
  assert.match(await page.textContent("#dl-vans"), /1 of \d+ done/);
  checkClean(assert, phone);
  checkClean(assert, page);
  await phone.context().close();
  await page.context().close();
});

test("deliveries: a cut that cannot be served goes back to the queue, and the dispatcher sees it", async () => {
  const page = await newPage(browser, { as: "demo-dispatcher" });
  const day = new Date(Date.now() + 8 * 3600 * 1000 + 3 * 24 * 3600 * 1000).toISOString().slice(0, 10);
  // a fleet whose only shift starts after the supply points close
  const fleet = (await (await page.request.get(server.url + "/v1/deliveries/vans")).json()).vans;
  const late = [Object.assign({}, fleet[0], { shift_start: "19:00", shift_end: "21:00" })];
  let r = await page.request.put(server.url + "/v1/deliveries/vans", { data: { vans: late } });
  assert.equal(r.status(), 200, await r.text());
  try {
    const compounds = (await (await page.request.get(server.url + "/v1/compounds")).json()).compounds;
    for (let i = 0; i < 2; i++) {
      r = await page.request.post(server.url + "/v1/deliveries/requests", {
        headers: { "Idempotency-Key": "e2e-late-" + day + "-" + i },
        data: { date: day, compound_id: compounds[i].id, building: "2", flat: "3-" + (301 + i), name: "E2E Late " + i,
          phone: "+86 100 0000 " + String(2000 + i), items: [{ name: "Metformin 500 mg", quantity: 1 }], urgency: "routine" }
      });
      assert.equal(r.status(), 201, await r.text());
    }
    await page.goto(server.url + "/deliveries.html");
    await page.waitForSelector("#dl-balanced");
    await page.fill("#dl-date", day);
    await page.click("#dl-day button[type=submit]");
    await page.waitForFunction(() => document.querySelectorAll("#dl-requests tr").length === 2);
    await page.click("#dl-cut");
    await page.waitForFunction(() => /planned, vans used/.test(document.getElementById("dl-status").textContent), null, { timeout: 60000 });
    assert.match(await page.textContent("#dl-status"), /2 requests back in the queue for the next cut/);
    await page.waitForSelector("#dl-carried");
    assert.match(await page.textContent("#dl-carried"), /2 carried to a later cut/);
    assert.match(await page.textContent("#dl-batches"), /back in the queue \(\d+ requests\): leg 1: time window cannot be reached/);
    assert.match(await page.textContent("#dl-requests"), /carried to the next cut-off \(carried 1×\): back in the queue/);
    assert.match(await page.textContent("#dl-counts"), /2 received/);
    assert.match(await page.textContent("#dl-balanced"), /Balanced/);
    await shot(page, "22-deliveries-carried");
    checkClean(assert, page);
  } finally {
    r = await page.request.put(server.url + "/v1/deliveries/vans", { data: { vans: fleet } });
    assert.equal(r.status(), 200, await r.text());
    await page.context().close();
  }
});
