// The staff dashboard walk-through of the issue, in headless Chromium (playwright-core):
// STAFF of `demo` signs in and sees the seeded queue; "Call next" moves the first customer to
// "Called" on this board and on a second signed-in browser within 2 s; dragging the third
// customer to the top is saved (a reload shows it) and the customers' places follow; the
// keyboard alternative moves a row too; a board that was offline shows what changed meanwhile
// once it reconnects; seat, complete, pause and a bulk call show on the other board; a customer
// joining from another page appears without a reload; a customer's chat message shows the
// unread badge, staff answers with a quick template, the customer receives it and the entry's
// notification history lists it. STAFF gets the 403 page on /dashboard/users and a 403 from the
// users API. axe-core finds no violation on the board, settings and the other pages; any
// Content-Security-Policy violation or script error fails the run.
//
// Run by crates/web/tests/dashboard_browser.rs with QMS_PORT, QMS_SLUG, QMS_QUEUE_ID,
// QMS_STAFF_EMAIL, QMS_OWNER_EMAIL, QMS_PASSWORD; QMS_LIVE=1 when the server has its Socket.IO
// side (the live checks run only then); QMS_SCREENSHOTS=<dir> keeps PNGs at 1280, 768 and
// 390 px wide.

import { chromium } from "playwright-core";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};
const port = env("QMS_PORT");
const slug = env("QMS_SLUG");
const queueId = env("QMS_QUEUE_ID");
const staffEmail = env("QMS_STAFF_EMAIL");
const ownerEmail = env("QMS_OWNER_EMAIL");
const password = env("QMS_PASSWORD");
const live = process.env.QMS_LIVE === "1";
const shots = process.env.QMS_SCREENSHOTS;
if (shots) {
  mkdirSync(shots, { recursive: true });
  // This folder is the walk-through's own: start it afresh so no old picture stays behind.
  for (const f of readdirSync(shots)) if (f.endsWith(".png")) rmSync(join(shots, f));
}
const base = `http://${slug}.localhost:${port}`;
const LIVE_MS = 2000;

const problems = [];
const step = (m) => console.log(`- ${m}`);
const expect = (c, m) => { if (!c) throw new Error(m); };

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

function watch(page, name) {
  page.on("console", (msg) => {
    const text = msg.text();
    const expected = /status of (403|404|422)/.test(text) || (!live && /socket\.io|WebSocket/i.test(text));
    if (msg.type() === "error" && !expected) problems.push(`${name} console: ${text}`);
    if (/Content Security Policy/i.test(text)) problems.push(`${name} CSP: ${text}`);
  });
  page.on("pageerror", (e) => problems.push(`${name} script error: ${e.message}`));
  return page;
}

async function newPage(name, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport });
  return watch(await context.newPage(), name);
}

let shot = 0;
async function screenshot(page, label) {
  if (!shots) return;
  const size = page.viewportSize();
  for (const width of [1280, 768, 390]) {
    await page.setViewportSize({ width, height: width === 390 ? 844 : 1024 });
    await page.screenshot({ path: join(shots, `${String(++shot).padStart(2, "0")}-${label}-${width}.png`), fullPage: true });
    const wide = await page.evaluate(() => {
      if (document.documentElement.scrollWidth <= window.innerWidth) return null;
      return Array.from(document.querySelectorAll("body *"))
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !(e.parentElement && e.parentElement.getBoundingClientRect().right > window.innerWidth + 1))
        .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}.${e.className}`);
    });
    if (wide) problems.push(`${label} is wider than ${width} px: ${wide.join(", ")}`);
  }
  await page.setViewportSize(size);
}

async function axe(page, label) {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
  });
  for (const v of violations) problems.push(`axe on ${label}: ${v.id} (${v.impact}) ${v.help} at ${v.nodes.join(", ")}`);
}

async function signIn(page, email) {
  await page.goto(`${base}/auth/login`);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await Promise.all([page.waitForURL(`${base}/dashboard`), page.click("button[type=submit]")]);
}

const panel = `section.panel[data-queue="${queueId}"]`;
const names = (page, lane) => page.$$eval(`${panel} ol[data-lane=${lane}] li.row .name`, (els) => els.map((e) => e.textContent));

async function waitForLane(page, lane, name, what) {
  const started = Date.now();
  await page.waitForFunction(([sel, n]) => Array.from(document.querySelectorAll(sel)).some((e) => e.textContent === n),
    [`${panel} ol[data-lane=${lane}] li.row .name`, name], { timeout: LIVE_MS });
  step(`  ${what}: ${Date.now() - started} ms`);
}

async function waitLive(page) {
  await page.waitForFunction(() => document.getElementById("conn")?.getAttribute("data-state") === "live", null, { timeout: 10000 });
}

try {
  step("STAFF signs in and sees the seeded queue");
  const a = await newPage("board A");
  await signIn(a, staffEmail);
  await axe(a, "overview");
  await screenshot(a, "overview");
  await a.goto(`${base}/dashboard/queues`);
  const seeded = await names(a, "waiting");
  expect(JSON.stringify(seeded) === JSON.stringify(["Aisyah", "Wei Ming", "Priya", "John"]), `seeded line: ${seeded}`);
  expect((await a.textContent(`${panel} h2`)).includes("Dine-in"), "the queue's name");
  if (live) await waitLive(a);
  await axe(a, "board");
  await screenshot(a, "board");

  step("a second browser is signed in on the same board");
  const b = await newPage("board B", { width: 768, height: 1024 });
  await signIn(b, staffEmail);
  await b.goto(`${base}/dashboard/queues`);
  if (live) await waitLive(b);

  step("\"Call next\" moves Aisyah to Called here and on the other browser");
  await a.click(`${panel} [data-act=call-next]`);
  await waitForLane(a, "called", "Aisyah", "this board");
  if (live) await waitForLane(b, "called", "Aisyah", "the second browser");
  expect(!(await names(a, "waiting")).includes("Aisyah"), "Aisyah left the waiting lane");

  step("drag the third customer (John) to the top");
  const order = await names(a, "waiting");
  expect(JSON.stringify(order) === JSON.stringify(["Wei Ming", "Priya", "John"]), `line before the drag: ${order}`);
  const handle = a.locator(`${panel} ol[data-lane=waiting] li.row:nth-child(3) .handle`);
  const top = a.locator(`${panel} ol[data-lane=waiting] li.row:nth-child(1)`);
  const from = await handle.boundingBox();
  const to = await top.boundingBox();
  const saved = a.waitForResponse((r) => r.url().endsWith(`/api/queues/${queueId}/order`) && r.request().method() === "PUT");
  await a.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await a.mouse.down();
  await a.mouse.move(from.x + from.width / 2, to.y + 4, { steps: 12 });
  await a.mouse.up();
  expect((await saved).status() === 200, "the new order is saved");
  await a.waitForFunction((sel) => document.querySelector(sel)?.textContent === "John", `${panel} ol[data-lane=waiting] li.row:first-child .name`);
  if (live) {
    const started = Date.now();
    await b.waitForFunction((sel) => document.querySelector(sel)?.textContent === "John", `${panel} ol[data-lane=waiting] li.row:first-child .name`, { timeout: LIVE_MS });
    step(`  the second browser shows the new order: ${Date.now() - started} ms`);
  }
  await a.reload();
  const after = await names(a, "waiting");
  expect(JSON.stringify(after) === JSON.stringify(["John", "Wei Ming", "Priya"]), `order after a reload: ${after}`);
  const places = await a.evaluate(async (q) => {
    const r = await fetch(`/api/queues/${q}`, { headers: { Accept: "application/json" } });
    const body = await r.json();
    const out = {};
    for (const e of body.entries) {
      const own = await (await fetch(`/api/queues/entry/${e.sessionId}`)).json();
      out[e.customerName] = [e.position, own.position];
    }
    return out;
  }, queueId);
  expect(JSON.stringify(places) === JSON.stringify({ John: [1, 1], "Wei Ming": [2, 2], Priya: [3, 3] }), `places: ${JSON.stringify(places)}`);

  step("the keyboard moves a row too (arrow keys on the handle)");
  const kbSaved = a.waitForResponse((r) => r.url().endsWith(`/api/queues/${queueId}/order`) && r.request().method() === "PUT");
  await a.focus(`${panel} ol[data-lane=waiting] li.row:nth-child(2) .handle`);
  await a.keyboard.press("ArrowUp");
  expect((await kbSaved).status() === 200, "the keyboard move is saved");
  await a.waitForFunction((sel) => document.activeElement?.closest(sel) && document.activeElement.classList.contains("handle"), `${panel} li.row`);
  await a.reload();
  const kb = await names(a, "waiting");
  expect(JSON.stringify(kb) === JSON.stringify(["Wei Ming", "John", "Priya"]), `order after the keyboard move: ${kb}`);
  if (live) await waitLive(a);

  if (live) {
    step("after a reconnect the board reads itself again: a change made while it was offline shows");
    await a.evaluate(() => window.QMS_BOARD.socket().disconnect());
    await a.waitForFunction(() => document.getElementById("conn").getAttribute("data-state") === "offline");
    const called = await b.evaluate(async (q) => {
      const csrf = document.querySelector('meta[name="csrf-token"]').content;
      const r = await fetch(`/api/queues/${q}/call-next`, { method: "POST", headers: { "X-CSRF-Token": csrf, Accept: "application/json" } });
      return (await r.json()).customerName;
    }, queueId);
    await a.waitForTimeout(300);
    expect((await names(a, "waiting")).includes(called), "the offline board has not seen the call yet");
    await a.evaluate(() => window.QMS_BOARD.socket().connect());
    await waitForLane(a, "called", called, "resync after the reconnect");
    expect(!(await names(a, "waiting")).includes(called), `${called} left the waiting lane`);
    await a.click(`${panel} li.row:has(.name:text-is("${called}")) [data-act=requeue]`);
    await a.waitForFunction(([sel, n]) => Array.from(document.querySelectorAll(sel)).some((e) => e.textContent === n), [`${panel} ol[data-lane=waiting] li.row .name`, called]);
    const order = await names(a, "waiting");
    expect(order[order.length - 1] === called, `requeue puts ${called} at the end: ${order}`);

    step("seat, complete and pause are one tap each and show on the other board");
    await a.click(`${panel} ol[data-lane=called] li.row:has(.name:text-is("Aisyah")) [data-act=seat]`);
    await waitForLane(b, "seated", "Aisyah", "seated on the second browser");
    await a.click(`${panel} ol[data-lane=seated] li.row:has(.name:text-is("Aisyah")) [data-act=complete]`);
    await b.waitForFunction((sel) => !Array.from(document.querySelectorAll(sel)).some((e) => e.textContent === "Aisyah"),
      `${panel} li.row .name`, { timeout: LIVE_MS });
    await a.click(`${panel} [data-act=toggle]`);
    await b.waitForFunction((sel) => document.querySelector(sel)?.textContent === "paused", `${panel} [data-stat=state]`, { timeout: LIVE_MS });
    expect((await b.textContent(`${panel} [data-act=toggle]`)) === "Resume joining", "the other board offers to resume");
    await a.click(`${panel} [data-act=toggle]`);
    await b.waitForFunction((sel) => document.querySelector(sel)?.textContent === "accepting", `${panel} [data-stat=state]`, { timeout: LIVE_MS });

    step("select two customers and call them together");
    const two = (await names(a, "waiting")).slice(0, 2);
    for (const n of two) await a.check(`${panel} ol[data-lane=waiting] li.row:has(.name:text-is("${n}")) .pick`);
    expect((await a.textContent(`${panel} [data-act=call-selected]`)).includes("(2)"), "the button counts the selection");
    await a.click(`${panel} [data-act=call-selected]`);
    for (const n of two) await waitForLane(b, "called", n, `${n} called on the second browser`);
    // This board clears its selection when its own answer arrives, which may come after the
    // other board heard the event.
    await a.waitForFunction((sel) => document.querySelector(sel)?.disabled === true,
      `${panel} [data-act=call-selected]`, { timeout: LIVE_MS })
      .catch(() => { throw new Error("the selection is cleared"); });
  }

  let session = null;
  const c = await newPage("customer", { width: 390, height: 844 });
  await c.goto(`${base}/`);
  if (live) {
    step("a customer joins from another page and appears without a reload");
    await a.evaluate(() => { window.__sameBoard = true; });
    const joined = await c.evaluate(async (q) => {
      const r = await fetch(`/api/queues/${q}/join`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ customerName: "Mei Ling", customerPhone: "+60123459999", partySize: 5 }),
      });
      return { status: r.status, body: await r.json() };
    }, queueId);
    expect(joined.status === 201, `join answered ${joined.status}`);
    session = joined.body.sessionId;
    await waitForLane(a, "waiting", "Mei Ling", "the new customer on the board");
    expect(await a.evaluate(() => window.__sameBoard === true), "the board was not reloaded");

    step("the customer writes; the badge shows; staff answers with a template; the customer reads it");
    await c.addScriptTag({ url: "/static/vendor/socket.io-4.8.4.min.js" });
    await c.evaluate((sid) => new Promise((resolve, reject) => {
      window.got = [];
      const s = window.io({ transports: ["websocket"] });
      window.sock = s;
      s.on("message", (m) => window.got.push(m));
      s.on("webchat:history", () => resolve());
      s.on("connect", () => s.emit("webchat:join", sid));
      setTimeout(() => reject(new Error("no webchat:history for the customer")), 5000);
    }), session);
    await c.evaluate((sid) => window.sock.emit("webchat:message", { sessionId: sid, content: "Is my table ready?" }), session);
    const row = `${panel} li.row[data-session="${session}"]`;
    const started = Date.now();
    await a.waitForFunction((sel) => {
      const badge = document.querySelector(`${sel} [data-act=chat] .badge`);
      return badge && !badge.hidden && badge.textContent === "1";
    }, row, { timeout: LIVE_MS });
    step(`  unread badge: ${Date.now() - started} ms`);
    await screenshot(a, "board-badge");
    await a.click(`${row} [data-act=chat]`);
    await a.waitForSelector("#chat:not([hidden])");
    await a.waitForFunction(() => Array.from(document.querySelectorAll("#chat-log .msg")).some((m) => m.textContent.includes("Is my table ready?")), null, { timeout: LIVE_MS });
    await a.waitForSelector("#chat-templates [data-template]");
    await a.click("#chat-templates [data-template]");
    const text = await a.inputValue("#chat-text");
    expect(text === "Hi Mei Ling, your table for ticket " + joined.body.ticketNumber + " is ready!", `the template is filled in: ${text}`);
    await axe(a, "chat");
    await screenshot(a, "chat");
    await a.click("#chat-form button[type=submit]");
    const answered = Date.now();
    await c.waitForFunction((t) => window.got.some((m) => m.content === t && String(m.sender).toLowerCase() === "staff"), text, { timeout: LIVE_MS });
    step(`  the customer received the answer: ${Date.now() - answered} ms`);
    await a.waitForFunction((t) => Array.from(document.querySelectorAll("#chat-log .msg-staff")).some((m) => m.textContent.includes(t)), text, { timeout: LIVE_MS });
    await a.click("#chat-history summary");
    await a.waitForFunction((t) => document.getElementById("chat-notifications").textContent.includes(t), text, { timeout: LIVE_MS });
    step("  the quick message is in the notification history");
    const badge = await a.$eval(`${row} [data-act=chat] .badge`, (el) => el.hidden);
    expect(badge, "the badge is cleared once the chat is open");
    await a.keyboard.press("Escape");
    await a.waitForSelector("#chat", { state: "hidden" });

    step("the overview follows too");
    await b.goto(`${base}/dashboard`);
    await waitLive(b);
    const before = Number(await b.textContent("[data-kpi=waiting]"));
    await a.click(`${panel} [data-act=call-next]`);
    const overviewStart = Date.now();
    await b.waitForFunction((n) => Number(document.querySelector("[data-kpi=waiting]").textContent) === n, before - 1, { timeout: LIVE_MS });
    step(`  waiting now on the overview: ${Date.now() - overviewStart} ms`);
  } else {
    step("live checks skipped: the server has no Socket.IO side (QMS_LIVE is not 1)");
  }

  step("STAFF may not open /dashboard/users nor call the users API");
  const res = await a.goto(`${base}/dashboard/users`);
  expect(res.status() === 403, `/dashboard/users answered ${res.status()} to STAFF`);
  expect((await a.textContent("h1")).includes("Not allowed"), "the 403 page");
  await axe(a, "forbidden");
  const api = await a.evaluate(async () => (await fetch("/api/users", { headers: { Accept: "application/json" } })).status);
  expect(api === 403, `GET /api/users answered ${api} to STAFF`);
  const invite = await a.evaluate(async () => {
    const csrf = document.querySelector('meta[name="csrf-token"]').content;
    const r = await fetch("/api/users", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ email: "x@example.com", fullName: "X", role: "ADMIN" }),
    });
    return r.status;
  });
  expect(invite === 403, `POST /api/users answered ${invite} to STAFF`);

  step("the owner's settings, users and analytics pages pass axe");
  const o = await newPage("owner");
  await signIn(o, ownerEmail);
  await o.goto(`${base}/dashboard/settings`);
  await axe(o, "settings");
  await screenshot(o, "settings");
  step("a refused form shows its field errors");
  await o.fill(`#queue-${queueId}-maxCapacity`, "0");
  await Promise.all([o.waitForNavigation(), o.click(`#queue-${queueId} button[type=submit]`)]);
  expect((await o.textContent(`#queue-${queueId}-maxCapacity-note`)).includes("between 1 and 1000"), "the capacity error");
  await axe(o, "settings-with-errors");
  step("logo upload");
  const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
  await o.goto(`${base}/dashboard/settings#branding`);
  await o.setInputFiles("#logo-file", { name: "logo.png", mimeType: "image/png", buffer: png });
  await Promise.all([o.waitForURL(/saved=branding/), o.click("#logo-form button[type=submit]")]);
  await o.waitForSelector(".dash-logo");
  await o.setInputFiles("#logo-file", { name: "logo.gif", mimeType: "image/gif", buffer: Buffer.from("GIF89a0000000000") });
  await o.click("#logo-form button[type=submit]");
  await o.waitForFunction(() => /PNG, JPEG or WebP/.test(document.getElementById("logo-note").textContent) && document.getElementById("logo-note").className === "field-error");
  for (const path of ["users", "analytics"]) {
    await o.goto(`${base}/dashboard/${path}`);
    await axe(o, path);
    await screenshot(o, path);
  }

  expect(problems.length === 0, `problems:\n${problems.join("\n")}`);
  console.log(`dashboard walk-through: ok${live ? "" : " (without the live checks)"}`);
} finally {
  await browser.close();
}
