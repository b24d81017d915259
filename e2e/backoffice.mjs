// The BackOffice walk-through of the issue, in headless Chromium (playwright-core):
// an operator signs in on admin.localhost, creates tenant `acme` on the BASIC plan through the
// form (the subdomain check reacts while typing), acme.localhost serves its page and its OWNER
// signs in through the invitation link; switching acme off makes acme.localhost answer 404 and
// switching it on brings it back; every action shows in the audit log. axe-core checks each
// console page, and any Content-Security-Policy violation or script error fails the run.
//
// Run by crates/web/tests/backoffice.rs with QMS_PORT, QMS_OPERATOR_EMAIL and QMS_PASSWORD;
// QMS_SCREENSHOTS=<dir> keeps a PNG of each page.

import { chromium } from "playwright-core";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const port = process.env.QMS_PORT;
const operator = process.env.QMS_OPERATOR_EMAIL;
const password = process.env.QMS_PASSWORD;
const shots = process.env.QMS_SCREENSHOTS;
if (!port || !operator || !password) throw new Error("QMS_PORT, QMS_OPERATOR_EMAIL and QMS_PASSWORD are required");
const admin = `http://admin.localhost:${port}`;
const acme = `http://acme.localhost:${port}`;

const problems = [];
function step(message) { console.log(`- ${message}`); }
function expect(condition, message) { if (!condition) throw new Error(message); }

const userDataDir = mkdtempSync(join(tmpdir(), "qms-backoffice-"));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  viewport: { width: 1280, height: 900 },
});

function watch(page, name) {
  page.on("console", (msg) => {
    const text = msg.text();
    // A 404 of a switched-off tenant is expected; anything else an error is not.
    if (msg.type() === "error" && !/status of 404/.test(text)) problems.push(`${name} console: ${text}`);
    if (/Content Security Policy/i.test(text)) problems.push(`${name} CSP: ${text}`);
  });
  page.on("pageerror", (e) => problems.push(`${name} script error: ${e.message}`));
  return page;
}

let shot = 0;
async function check(page, label) {
  if (shots) await page.screenshot({ path: join(shots, `${String(++shot).padStart(2, "0")}-${label}.png`), fullPage: true });
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
  });
  const serious = result.filter((v) => v.impact === "serious" || v.impact === "critical");
  for (const v of serious) problems.push(`axe on ${label}: ${v.id} (${v.impact}) ${v.help} at ${v.nodes.join(", ")}`);
}

try {
  const page = watch(await context.newPage(), "console");

  step("sign in on admin.localhost");
  await page.goto(`${admin}/backoffice/login`);
  await check(page, "login");
  await page.fill("#email", operator);
  await page.fill("#password", password);
  await Promise.all([page.waitForURL(`${admin}/backoffice`), page.click("button[type=submit]")]);
  expect((await page.textContent("h1")).includes("Platform"), "the dashboard after signing in");
  await check(page, "dashboard");

  step("the create form checks the subdomain while it is typed");
  await page.click("text=New tenant");
  await page.waitForURL(`${admin}/backoffice/tenants/create`);
  await page.fill("#name", "Acme Foods");
  await page.waitForFunction(() => document.querySelector("#slug").value === "acme-foods");
  await page.waitForFunction(() => /Available/.test(document.querySelector("#slug-status").textContent));
  await page.fill("#slug", "");
  await page.locator("#slug").pressSequentially("ad", { delay: 40 });
  await page.waitForFunction(() => /Not allowed/.test(document.querySelector("#slug-status").textContent));
  await page.locator("#slug").pressSequentially("min", { delay: 40 });
  await page.waitForFunction(() => /Reserved/.test(document.querySelector("#slug-status").textContent));
  await page.fill("#slug", "");
  await page.locator("#slug").pressSequentially("acme", { delay: 40 });
  await page.waitForFunction(() => /Available: acme\./.test(document.querySelector("#slug-status").textContent));

  step("plan BASIC fills in its limits");
  await page.selectOption("#plan", "BASIC");
  expect(await page.inputValue("#max_users_per_tenant") === "10", "BASIC allows 10 users");
  expect(await page.isChecked("#analytics"), "BASIC has analytics");
  await page.fill("#owner_name", "Ann Owner");
  await page.fill("#owner_email", "owner@acme.example");
  await check(page, "create-form");
  await page.click("button:has-text('Create tenant')");
  await page.waitForSelector("#invite-url");
  expect((await page.textContent("h1")).includes("Acme Foods is ready"), "the tenant is created");
  await check(page, "created");
  const invite = new URL((await page.textContent("#invite-url")).trim());
  invite.port = port;

  step("acme.localhost serves its page");
  // The tenant's own pages are checked by their own tests; here only what they answer counts.
  const site = await context.newPage();
  let res = await site.goto(`${acme}/`);
  expect(res.status() === 200, `acme.localhost answers ${res.status()}`);
  expect((await site.content()).includes("Acme Foods"), "acme's page names the business");

  step("the owner accepts the invitation and signs in");
  await site.goto(invite.toString());
  await site.fill("#password", "a long owner password 42");
  await site.click("button[type=submit]");
  await site.waitForSelector("text=Your password is set");
  await site.goto(`${acme}/auth/login`);
  await site.fill("#email", "owner@acme.example");
  await site.fill("#password", "a long owner password 42");
  await Promise.all([site.waitForURL(`${acme}/dashboard`), site.click("button[type=submit]")]);

  step("switching acme off makes it 404, on brings it back");
  await page.click("text=Open the tenant");
  await page.waitForSelector("#toggle");
  await check(page, "tenant");
  await Promise.all([page.waitForURL(/done=deactivated/), page.click("#toggle")]);
  res = await site.goto(`${acme}/`);
  expect(res.status() === 404, `switched off, acme.localhost answers ${res.status()}`);
  await Promise.all([page.waitForURL(/done=activated/), page.click("#toggle")]);
  res = await site.goto(`${acme}/`);
  expect(res.status() === 200, `switched on, acme.localhost answers ${res.status()}`);

  step("every action is in the audit log");
  await page.click("nav >> text=Audit log");
  await page.waitForSelector("#audit");
  const audit = await page.textContent("#audit");
  for (const action of ["auth.login", "tenant.create", "tenant.deactivate", "tenant.activate"]) {
    expect(audit.includes(action), `${action} is in the audit log`);
  }
  await check(page, "audit-log");
  await page.click("#audit tbody tr:first-child a");
  await page.waitForSelector("pre.json");
  expect((await page.textContent("pre.json")).includes("isActive"), "the details show before and after");

  step("the owner's session does not open the console");
  const stranger = watch(await context.newPage(), "stranger");
  await stranger.goto(`${acme}/backoffice`);
  expect((await stranger.title()).includes("not found"), "no console on a tenant's host");

  expect(problems.length === 0, `problems:\n${problems.join("\n")}`);
  console.log("backoffice walk-through: ok");
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
