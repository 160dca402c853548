// Browser tests of the sign-in and accounts pages against the real server:
// both in Chinese (chosen from the browser) and switchable to English, a
// wrong password shown as the server says it, an administrator creating an
// account.
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

test("sign in and manage accounts in Chinese, then switch to English", async () => {
  const page = await newPage(browser, { as: null, locale: "zh-CN" });
  page.expectFailure(/\/v1\/auth\/login$/); // the wrong password below
  await page.goto(server.url + "/signin.html");
  assert.equal(await page.textContent("button[type=submit]"), "登录");
  assert.equal(await page.getAttribute("html", "lang"), "zh-CN");

  // A wrong password: the page shows the server's own message.
  const resp = await page.request.post(server.url + "/v1/auth/login", { data: { username: "demo-admin", password: "wrong-password" } });
  const serverSays = (await resp.json()).message;
  assert.ok(serverSays, "the server's error has a message");
  await page.fill("#username", "demo-admin");
  await page.fill("#password", "wrong-password");
  await page.click("button[type=submit]");
  await page.waitForSelector("#status.error");
  assert.equal(await page.textContent("#status"), serverSays);

  await page.fill("#password", "demo-admin");
  await page.click("button[type=submit]");
  await page.waitForSelector("#who:not([hidden])");
  assert.equal(await page.textContent("#who-role"), "管理员");
  await shot(page, "20-signin-zh");

  await page.click("#admin-link");
  await page.waitForSelector("#accounts tr");
  assert.equal(await page.textContent("h2"), "新建账户");
  const roles = await page.$$eval("#add-role option", (os) => os.map((o) => o.value + "=" + o.textContent));
  assert.deepEqual(roles, ["viewer=查看者", "driver=司机", "dispatcher=调度员", "planner=规划员", "admin=管理员"]);
  await page.fill("#add-user", "nurse-li");
  await page.selectOption("#add-role", "driver");
  await page.click("#add button[type=submit]");
  await page.waitForSelector("#secret:not([hidden])");
  assert.equal(await page.textContent("#status"), "已创建 nurse-li（司机）。");
  assert.match(await page.textContent("#secret"), /nurse-li 的一次性登录链接（只显示一次）：http:\/\/127\.0\.0\.1:\d+\/signin\.html#link=/);
  await page.waitForFunction(() => Array.from(document.querySelectorAll("#accounts td")).some((td) => td.textContent === "nurse-li"));
  await shot(page, "21-admin-zh");

  await page.selectOption("#lang", "en");
  assert.equal(await page.textContent("h2"), "New account");
  await page.waitForFunction(() => Array.from(document.querySelectorAll("#accounts select option:checked")).some((o) => o.textContent === "driver"));
  await shot(page, "22-admin-en");
  checkClean(assert, page);
  await page.context().close();
});
