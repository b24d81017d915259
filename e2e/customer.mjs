// The customer pages in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core):
// open `/` on the tenant's host, try the join form with bad input (field messages, nothing
// stored), join, land on the status page at place 1, get called through the staff API (the page
// shows it within 2 s without a reload), leave from another customer's page, and run axe-core on
// every page. Each page's transferred size is measured with the browser cache off. Screenshots at
// a phone's size go to e2e/screenshots/customer/.
//
// Run by crates/web/tests/customer_browser.rs with:
//   BASE_URL  http://demo.localhost:PORT    TOKEN  a staff bearer token    QUEUE_ID  the queue
// Prints one JSON line: {"ok":true,"weights":{...},"axe":{...},"calledMs":N}.
import { chromium } from "playwright-core";
import { readFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import http from "node:http";
import dns from "node:dns";
import { io } from "socket.io-client";

const here = path.dirname(fileURLToPath(import.meta.url));
const BASE = process.env.BASE_URL;
const TOKEN = process.env.TOKEN;
const QUEUE = process.env.QUEUE_ID;
const shots = path.join(here, "screenshots", "customer");
mkdirSync(shots, { recursive: true });
const axeSource = readFileSync(path.join(here, "node_modules/axe-core/axe.min.js"), "utf8");

const failures = [];
function check(cond, what) {
  if (!cond) failures.push(what);
  return cond;
}

// Node cannot resolve *.localhost (Chromium can): API calls go to 127.0.0.1 with the tenant's
// Host header.
const target = new URL(BASE);
function request(method, url, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const data = body ? JSON.stringify(body) : null;
    const req = http.request({
      host: "127.0.0.1", port: target.port, method, path: url,
      headers: { Host: target.host, "Content-Type": "application/json", ...(data ? { "Content-Length": Buffer.byteLength(data) } : {}), ...headers },
    }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => { text += c; });
      res.on("end", () => resolve({ status: res.statusCode, body: text ? JSON.parse(text) : null }));
    });
    req.on("error", reject);
    if (data) req.write(data);
    req.end();
  });
}
const api = (method, url, body) => request(method, url, body, { Authorization: `Bearer ${TOKEN}` });

// The staff board's socket (the official Node client): *.localhost is 127.0.0.1 here too.
const lookup = dns.lookup;
dns.lookup = (host, options, callback) => {
  if (typeof options === "function") { callback = options; options = {}; }
  if (host === "localhost" || host.endsWith(".localhost")) {
    return options && options.all
      ? process.nextTick(callback, null, [{ address: "127.0.0.1", family: 4 }])
      : process.nextTick(callback, null, "127.0.0.1", 4);
  }
  return lookup.call(dns, host, options, callback);
};
const boardEvents = [];
function staffBoard() {
  return new Promise((resolve, reject) => {
    const socket = io(BASE, { auth: { token: TOKEN }, transports: ["websocket"], forceNew: true, timeout: 5000 });
    socket.on("queue:update", (u) => boardEvents.push(u));
    socket.on("connect_error", (e) => reject(e));
    socket.on("connect", () => socket.emit("join-queue", QUEUE, (ack) => (ack && ack.ok ? resolve(socket) : reject(new Error(JSON.stringify(ack))))));
  });
}

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: "en-US" };

/** A page whose network cache is off, that counts the bytes each document load transfers. */
async function openPage(context) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  const types = new Map();
  page.weight = { bytes: 0, files: [] };
  cdp.on("Network.responseReceived", (e) => types.set(e.requestId, { type: e.type, url: e.response.url }));
  cdp.on("Network.loadingFinished", (e) => {
    const t = types.get(e.requestId);
    if (t && ["Document", "Stylesheet", "Script"].includes(t.type)) {
      page.weight.bytes += e.encodedDataLength;
      page.weight.files.push([new URL(t.url).pathname, e.encodedDataLength]);
    }
  });
  page.cspErrors = [];
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) page.cspErrors.push(m.text());
  });
  page.on("pageerror", (e) => page.cspErrors.push(`page error: ${e.message}`));
  return page;
}

/** Loads `url` (or runs `action`, which navigates) and answers the bytes it transferred. */
async function weigh(page, action) {
  page.weight = { bytes: 0, files: [] };
  await action();
  await page.waitForLoadState("networkidle").catch(() => {});
  const measured = { bytes: page.weight.bytes, files: page.weight.files.slice() };
  page.weight = { bytes: 0, files: [] };
  return measured;
}

const axeResults = {};
async function axe(page, name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document);
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
  });
  axeResults[name] = result;
  check(result.length === 0, `axe on ${name}: ${JSON.stringify(result)}`);
}

const weights = {};
let calledMs = null;
let page3 = null;
try {
  const context = await browser.newContext(phone);
  const page = await openPage(context);

  // 1. The business's queues.
  weights.home = await weigh(page, () => page.goto(BASE + "/"));
  check(await page.locator("h1").first().textContent() === "Join the queue", "home heading");
  await axe(page, "home");
  await page.screenshot({ path: path.join(shots, "home.png"), fullPage: true });

  // 2. The join form: bad input first.
  weights.join = await weigh(page, () => page.getByRole("link", { name: /^Join / }).first().click());
  check(page.url().endsWith(`/queue/${QUEUE}`), `join page url ${page.url()}`);
  await axe(page, "join");
  await page.screenshot({ path: path.join(shots, "join.png"), fullPage: true });
  await page.getByLabel("Your name").fill("");
  await page.getByLabel("Phone number").fill("123");
  await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Join the queue" }).click()]);
  const fieldErrors = await page.locator(".field-error").allTextContents();
  check(fieldErrors.some((t) => t.includes("Please enter your name.")), `name message: ${fieldErrors}`);
  check(fieldErrors.some((t) => t.includes("phone number does not look right")), `phone message: ${fieldErrors}`);
  check(await page.getByLabel("Phone number").getAttribute("aria-invalid") === "true", "phone marked invalid");
  await axe(page, "join-errors");
  await page.screenshot({ path: path.join(shots, "join-errors.png"), fullPage: true });
  const before = await api("GET", `/api/queues/${QUEUE}`);
  check(before.status === 200 && (before.body.stats?.waiting ?? before.body.waiting ?? 0) === 0, `nothing stored: ${JSON.stringify(before.body?.stats)}`);

  // 3. Join for real; the status page shows place 1, and the staff board hears of it.
  const board = await staffBoard();
  await page.getByLabel("Your name").fill("Aisyah");
  await page.getByLabel("Phone number").fill("012-345 6789");
  await page.getByLabel("Number of people").selectOption("3");
  weights.status = await weigh(page, () => Promise.all([
    page.waitForURL(/\/queue\/status\//),
    page.getByRole("button", { name: "Join the queue" }).click(),
  ]));
  const sessionId = page.url().split("/").pop();
  const heard = Date.now();
  while (!boardEvents.some((u) => u.action === "customer-joined" && u.entry && u.entry.sessionId === sessionId) && Date.now() - heard < 2000) {
    await new Promise((r) => setTimeout(r, 50));
  }
  check(boardEvents.some((u) => u.action === "customer-joined" && u.entry && u.entry.sessionId === sessionId),
    `the staff board heard of the join from the form: ${JSON.stringify(boardEvents.map((u) => u.action))}`);
  board.close();
  check(await page.locator("#position").textContent() === "1", "position 1 on the status page");
  check(await page.evaluate(() => localStorage.getItem("qms.place")) === sessionId, "session kept in localStorage");
  await page.waitForTimeout(500);
  await axe(page, "status");
  await page.screenshot({ path: path.join(shots, "status.png"), fullPage: true });

  // 4. A second customer, on their own phone, waits behind.
  const other = await browser.newContext(phone);
  const page2 = await openPage(other);
  const joinB = (await request("POST", `/api/queues/${QUEUE}/join`,
    { customerName: "Ben", customerPhone: "+60 12-345 0002", partySize: 2 },
    { "X-Forwarded-For": "198.18.9.9" })).body;
  await page2.goto(`${BASE}/queue/status/${joinB.sessionId}`);
  check(await page2.locator("#position").textContent() === "2", "second customer at place 2");

  // 5. Staff call the first customer: the page shows it within 2 s, without a reload.
  await page.evaluate(() => { window.__sameDocument = true; });
  await page.waitForFunction(() => window.io && document.readyState === "complete");
  await page.waitForTimeout(300);
  const entry = await api("GET", `/api/queues/entry/${sessionId}`);
  const t0 = Date.now();
  const call = await api("POST", `/api/queues/${QUEUE}/call/${entry.body.id}`);
  check(call.status === 200, `call answered ${call.status}`);
  try {
    await page.waitForSelector("#called:not([hidden])", { timeout: 2000 });
    calledMs = Date.now() - t0;
  } catch {
    check(false, "the called screen did not appear within 2 s");
  }
  check(await page.locator("#headline").textContent() === "It is your turn!", "headline says called");
  check(await page.evaluate(() => window.__sameDocument === true), "no reload");
  await page.screenshot({ path: path.join(shots, "called.png") });

  // The second customer moved up to place 1 live.
  try {
    await page2.waitForFunction(() => document.getElementById("position").textContent === "1", null, { timeout: 3000 });
  } catch {
    check(false, "the second customer's place did not update live");
  }

  // A third customer waits behind the second.
  const third = await browser.newContext(phone);
  const pageC = await openPage(third);
  const joinC = (await request("POST", `/api/queues/${QUEUE}/join`,
    { customerName: "Chen", customerPhone: "+60 12-345 0003", partySize: 4 },
    { "X-Forwarded-For": "198.18.9.10" })).body;
  await pageC.goto(`${BASE}/queue/status/${joinC.sessionId}`);
  check(await pageC.locator("#position").textContent() === "2", "third customer at place 2");
  await pageC.waitForFunction(() => window.io && document.readyState === "complete");
  await pageC.waitForTimeout(300);

  // 6. The second customer leaves from their own page (a form, no script needed); the third
  //    moves up live.
  await page2.locator("summary", { hasText: "Leave the queue" }).click();
  await Promise.all([page2.waitForURL(/\/queue\/status\//), page2.getByRole("button", { name: "Yes, leave the queue" }).click()]);
  check(await page2.locator("#headline").textContent() === "You have left the queue.", "left the queue");
  const b = await api("GET", `/api/queues/entry/${joinB.sessionId}`);
  check(b.body.status === "cancelled", `second entry cancelled: ${b.body.status}`);
  await page2.screenshot({ path: path.join(shots, "cancelled.png"), fullPage: true });
  try {
    await pageC.waitForFunction(() => document.getElementById("position").textContent === "1", null, { timeout: 3000 });
  } catch {
    check(false, "the third customer did not move up live when the second left from the page");
  }

  // 7. The chat: the customer writes, the staff answer, both appear without a reload.
  await page.locator("#called-ok").click();
  await page.getByLabel("Message").fill("Is there parking nearby?");
  await page.getByRole("button", { name: "Send" }).click();
  try {
    await page.waitForSelector("#chat-log li.mine >> text=Is there parking nearby?", { timeout: 3000 });
  } catch {
    check(false, "the customer's chat message did not appear");
  }
  const reply = await api("POST", "/api/queue/webchat/send", { sessionId, content: "Yes, behind the shop." });
  check(reply.status === 201, `staff reply answered ${reply.status}`);
  try {
    await page.waitForSelector("#chat-log li >> text=Yes, behind the shop.", { timeout: 2000 });
  } catch {
    check(false, "the staff's chat reply did not appear within 2 s");
  }
  await page.screenshot({ path: path.join(shots, "chat.png"), fullPage: true });

  // 8. A new phone finds the place again with the phone number and the code.
  const fresh = await browser.newContext(phone);
  page3 = await openPage(fresh);
  await page3.goto(BASE + "/webchat");
  await page3.waitForSelector("#recover:not([hidden])", { timeout: 3000 });
  await axe(page3, "webchat-recover");
  await page3.screenshot({ path: path.join(shots, "webchat-recover.png"), fullPage: true });
  await page3.getByLabel("Phone number").fill("012-345 6789");
  await page3.getByLabel("6-digit code").fill(entry.body.verificationCode);
  await page3.getByRole("button", { name: "Find my place" }).click();
  try {
    await page3.waitForSelector("#chat-log li >> text=Yes, behind the shop.", { timeout: 3000 });
  } catch {
    check(false, "recovery by phone and code did not restore the chat");
  }
  check(await page3.evaluate(() => localStorage.getItem("qms.place")) === sessionId, "recovered session kept");

  // 9. The chat page and the poster, and the home page in Chinese.
  weights.webchat = await weigh(page, () => page.goto(BASE + "/webchat"));
  await page.waitForTimeout(500);
  await axe(page, "webchat");
  await page.screenshot({ path: path.join(shots, "webchat.png"), fullPage: true });
  await page.goto(`${BASE}/queue/${QUEUE}/poster`);
  await axe(page, "poster");
  await page.screenshot({ path: path.join(shots, "poster.png"), fullPage: true });
  await page.goto(`${BASE}/?lang=zh-CN`);
  await page.screenshot({ path: path.join(shots, "home-zh.png"), fullPage: true });
  await page.goto(`${BASE}/?lang=en`);
  for (const p of [page, page2, pageC, page3]) check(p.cspErrors.length === 0, `console/CSP errors: ${p.cspErrors}`);
} catch (e) {
  failures.push(`exception: ${e.stack || e}`);
} finally {
  await browser.close();
}

const out = { ok: failures.length === 0, failures, weights, axe: axeResults, calledMs };
console.log(JSON.stringify(out));
process.exit(out.ok ? 0 : 1);
