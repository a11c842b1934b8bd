// Administration in headless Chromium against a real `govflow serve` (docs/console.md
// "Administration"):
// - a tenant administrator adds a person (a one-time password shown once), grants a role,
//   creates a team and adds the person, rotates a connection's secret (asked to confirm; the
//   secret never shows again), and a bad team id is named next to its field;
// - the partner's administrator changes the product name and brand colour with a live preview
//   and sees them applied at once and after a reload; a bad colour is named next to its field;
// - the approvals page names the requester instead of showing a "user:usr_" id;
// - web/src/lib/people.ts (compiled with the console's esbuild) against the same server: names
//   for the tenant's people, readable fallbacks, one request per tenant.
// Keyboard-reachable controls, no errors in the browser console. Screenshots in
// build/e2e-artifacts/.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";
import { launchBrowser, newPage, repoRoot, screenshot } from "./lib/browser.mjs";
import { apply, cli, seed, startGovflow, writeBranding } from "./lib/govflow.mjs";
import { signIn, unexpectedErrors } from "./lib/console.mjs";

const kLee = { email: "lee@northwind.example", name: "Lee Partner", password: "lee-password-123" };
const kAna = { email: "ana@acme.example", name: "Ana Admin", password: "ana-password-123",
  tenant: "acme", role: "tenant_admin" };
const kOlga = { email: "olga@acme.example", name: "Olga Operator", password: "olga-password-123",
  tenant: "acme", role: "operator" };

const kConfig = `apiVersion: govflow/v1
kind: Config
tenants:
  - id: acme
    name: Acme Retail
    connections:
      - id: shop
        kind: shopify.webhooks
        secret: first-webhook-secret-value
      - id: storefront
        kind: shopify.admin
        shop_url: http://127.0.0.1:9
        access_token: shpat_e2e
`;

let server;
let browser;

const signedIn = (user) => signIn(browser, server.baseUrl, user);

before(async () => {
  server = await startGovflow((dataDir) => {
    seed(dataDir, { partner: { id: "northwind", name: "Northwind Integrations", admin: kLee },
      tenants: [], users: [] });
    apply(dataDir, kConfig);
    for (const u of [kAna, kOlga]) {
      cli(dataDir, ["users", "create", u.email, "--name", u.name, "--tenant", "acme", "--role", u.role,
        "--password-stdin", "--as", kLee.email], u.password);
    }
    writeBranding(dataDir, { product_name: "Northwind Ops", colors: { primary: "#0a7d4f" } });
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function openTab(page, tab) {
  await page.goto(`${server.baseUrl}/#/admin/${tab}`);
  await page.waitForSelector(`#tab-${tab}[aria-current="page"]`);
}

test("a tenant administrator adds a person, grants a role, builds a team and rotates a secret", async () => {
  const page = await signedIn(kAna);
  await openTab(page, "users");
  await page.waitForSelector("#users-table");
  // The heading has focus after the page loads (keyboard users land on it).
  assert.equal(await page.evaluate(() => document.activeElement?.tagName), "H1");
  assert.match(await page.textContent("#users-table"), /Olga Operator/);
  // Approver roles carry approvals.decide, which a tenant administrator does not hold: not offered.
  const offered = await page.$$eval("#create-user-role option", (os) => os.map((o) => o.value));
  assert.ok(offered.includes("operator") && !offered.includes("pricing_manager"), offered.join(","));

  await page.fill("#create-user-email", "nina@acme.example");
  await page.fill("#create-user-display_name", "Nina New");
  await page.selectOption("#create-user-role", "operator");
  await page.click("#create-user-submit");
  await page.waitForSelector("#one-time-password");
  const otp = await page.textContent("#one-time-password");
  assert.ok(otp.length >= 20, `a one-time password is shown once: ${otp}`);
  await page.waitForFunction(() => /Nina New/.test(document.querySelector("#users-table")?.textContent ?? ""));
  await screenshot(page, "admin-user-created");

  // Grant Nina a second role.
  const nina = await page.$eval("#grant-role-user", (s) =>
    [...s.options].find((o) => o.textContent.startsWith("Nina New"))?.value);
  assert.ok(nina, "Nina is offered in the grant form");
  await page.selectOption("#grant-role-user", nina);
  await page.selectOption("#grant-role-role", "viewer");
  await page.click("#grant-role-submit");
  await page.waitForFunction((id) => {
    const row = document.querySelector(`tr[data-user="${id}"]`);
    return /viewer/.test(row?.textContent ?? "") && /operator/.test(row?.textContent ?? "");
  }, nina);
  await screenshot(page, "admin-role-granted");

  // Teams: a bad id is named next to its field and creates nothing; then the right one.
  await openTab(page, "teams");
  await page.waitForSelector("#create-team");
  assert.match(await page.textContent("#teams-list"), /No teams yet/);
  await page.fill("#create-team-display_name", "Order ops");
  await page.fill("#create-team-id", "Order Ops");
  await page.click("#create-team-submit");
  await page.waitForFunction(() => (document.querySelector("#create-team-id-error")?.textContent ?? "") !== "");
  assert.match(await page.textContent("#create-team-id-error"), /lower-case/);
  assert.equal(await page.evaluate(() => document.activeElement?.id), "create-team-id", "focus on the field in error");
  assert.equal(await page.getAttribute("#create-team-id", "aria-invalid"), "true");
  await screenshot(page, "admin-team-field-error");
  await page.fill("#create-team-id", "order_ops");
  await page.click("#create-team-submit");
  await page.waitForSelector('tr[data-team="order_ops"]');
  await page.waitForSelector("#add-member");
  await page.selectOption("#add-member-team", "order_ops");
  await page.selectOption("#add-member-user_id", nina);
  await page.click("#add-member-submit");
  await page.waitForFunction(() => /Nina New/.test(document.querySelector('tr[data-team="order_ops"]')?.textContent ?? ""));
  assert.doesNotMatch(await page.textContent("#teams-table"), /user:usr_/, "members are named");
  await screenshot(page, "admin-team-member");

  // Connections: the secret shows only as a fingerprint; rotating asks first.
  await openTab(page, "connections");
  await page.waitForSelector('tr[data-connection="shop"]');
  const before = await page.textContent('tr[data-connection="shop"] .fingerprint');
  assert.doesNotMatch(await page.textContent("body"), /first-webhook-secret-value/);
  await page.selectOption("#rotate-secret-connection", "shop");
  await page.fill("#rotate-secret-secret", "second-webhook-secret-value");
  await page.click("#rotate-secret-submit");
  await page.waitForSelector("#confirm-ok");
  await screenshot(page, "admin-rotate-confirm");
  await page.click("#confirm-ok");
  await page.waitForFunction(() => /Rotated/.test(document.querySelector("#connections-result")?.textContent ?? ""));
  await page.waitForFunction((fp) => {
    const now = document.querySelector('tr[data-connection="shop"] .fingerprint')?.textContent;
    return now && now !== fp;
  }, before);
  assert.doesNotMatch(await page.textContent('tr[data-connection="shop"]'), /never/, "the rotation time is shown");
  assert.doesNotMatch(await page.textContent("body"), /second-webhook-secret-value/);
  assert.equal(await page.inputValue("#rotate-secret-secret"), "", "the typed secret is cleared");
  await screenshot(page, "admin-secret-rotated");

  // The dashboards' dimensions: the storefront's brand, and SKU categories from CSV lines (a
  // line without a comma is refused naming it, and nothing is saved).
  await page.selectOption("#brand-label-connection", "shop");
  await page.fill("#brand-label-brand", "Acme Outdoor");
  await page.click("#brand-label-submit");
  await page.waitForFunction(() => /Acme Outdoor/.test(document.querySelector("#connections-result")?.textContent ?? ""));
  await page.waitForFunction(() =>
    /Acme Outdoor/.test(document.querySelector('tr[data-connection="shop"]')?.textContent ?? ""));
  await page.fill("#sku-categories-items", "sku,category\nTEE-ORG-S,APPAREL\nno comma here");
  await page.click("#sku-categories-submit");
  await page.waitForFunction(() => /line 3/.test(document.body.textContent ?? ""));
  await page.fill("#sku-categories-items", "sku,category\nTEE-ORG-S,APPAREL\nMUG-CER,KITCHEN");
  await page.click("#sku-categories-submit");
  await page.waitForFunction(() => /2 set/.test(document.querySelector("#connections-result")?.textContent ?? ""));
  const saved = await page.evaluate(async () =>
    (await fetch("/api/v1/tenants/acme/metrics/sku-categories")).json());
  assert.deepEqual(saved.items.map((x) => `${x.sku}=${x.category}`), ["MUG-CER=KITCHEN", "TEE-ORG-S=APPAREL"]);

  // A tenant administrator sees no branding tab (a partner permission).
  assert.equal(await page.$("#tab-branding"), null);
  assert.deepEqual(unexpectedErrors(page, [400]), []);
  await page.context().close();
});

test("the partner's administrator changes the product name and colour and sees them applied", async () => {
  const page = await signedIn(kLee);
  await openTab(page, "branding");
  await page.waitForSelector("#branding-form-product_name");
  // A bad colour is named next to its field; nothing changes.
  await page.fill("#branding-form-colors-primary", "blue");
  await page.click("#branding-form-submit");
  await page.waitForFunction(() => (document.querySelector("#branding-form-colors-primary-error")?.textContent ?? "") !== "");
  assert.equal(await page.textContent("#product-name"), "Northwind Ops");
  await screenshot(page, "admin-branding-field-error");

  await page.fill("#branding-form-product_name", "Harbor Console");
  await page.fill("#branding-form-colors-primary", "#aa3311");
  // The preview follows the typing.
  await page.waitForFunction(() => /Harbor Console/.test(document.querySelector("#preview-bar")?.textContent ?? ""));
  assert.equal(await page.$eval("#preview-bar", (el) => getComputedStyle(el).backgroundColor), "rgb(170, 51, 17)");
  await screenshot(page, "admin-branding-preview");
  await page.click("#branding-form-submit");
  await page.waitForFunction(() => document.querySelector("#product-name")?.textContent === "Harbor Console");
  const primary = () => page.evaluate(() =>
    getComputedStyle(document.documentElement).getPropertyValue("--brand-primary").trim());
  assert.equal(await primary(), "#aa3311");
  assert.equal(await page.title(), "Harbor Console");
  await screenshot(page, "admin-branding-saved");
  // The server serves the new brand without a restart.
  await page.reload();
  await page.waitForSelector("#product-name");
  assert.equal(await page.textContent("#product-name"), "Harbor Console");
  assert.equal(await primary(), "#aa3311");
  assert.deepEqual(unexpectedErrors(page, [400]), []);
  await page.context().close();
});

test("the approvals page names the requester instead of a user id", async () => {
  const out = cli(server.dataDir, ["prices", "request", "--as", kOlga.email, "--tenant", "acme",
    "--sku", "MUG-CER-NAV", "--price", "21.00", "--current-price", "28.00", "--variant", "42",
    "--reason", "spring sale"]);
  const taskId = out.match(/apr_\w+/)?.[0];
  assert.ok(taskId, `the change waits for approval: ${out}`);
  const page = await signedIn(kAna);
  await page.goto(`${server.baseUrl}/#/approvals`);
  await page.waitForSelector(`tr[data-task="${taskId}"]`);
  const row = await page.textContent(`tr[data-task="${taskId}"]`);
  assert.match(row, /Olga Operator/);
  assert.doesNotMatch(await page.textContent("#inbox-table"), /user:usr_/);
  await screenshot(page, "approvals-requester-named");
  await page.goto(`${server.baseUrl}/#/approvals/${taskId}`);
  await page.waitForSelector("#task-facts");
  assert.match(await page.textContent("#task-facts"), /Requested byOlga Operator/);
  assert.doesNotMatch(await page.textContent("main"), /user:usr_/);
  assert.deepEqual(unexpectedErrors(page), []);
  await page.context().close();
});

// web/src/lib/people.ts, compiled with the console's esbuild, its `fetch` pointed at the real
// server with a signed-in session (what the browser's same-origin fetch does).
test("people.ts names the tenant's people once per tenant and falls back readably", async () => {
  const require = createRequire(import.meta.url);
  const esbuild = require(path.join(repoRoot, "web", "node_modules", "esbuild"));
  const out = esbuild.buildSync({
    entryPoints: [path.join(repoRoot, "web", "src", "lib", "people.ts")],
    bundle: true, format: "esm", platform: "neutral", write: false,
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), "people-"));
  try {
    const file = path.join(dir, "people.mjs");
    writeFileSync(file, out.outputFiles[0].text);
    const signIn = await fetch(`${server.baseUrl}/api/v1/session`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: kOlga.email, password: kOlga.password }),
    });
    assert.equal(signIn.status, 200);
    const cookie = signIn.headers.get("set-cookie").split(";")[0];
    const realFetch = globalThis.fetch;
    let reads = 0;
    globalThis.fetch = (url, init = {}) => {
      if (String(url).includes("/people")) ++reads;
      return realFetch(`${server.baseUrl}${url}`, { ...init, headers: { ...init.headers, Cookie: cookie } });
    };
    try {
      const people = await import(pathToFileURL(file).href);
      await Promise.all([people.loadPeople("acme"), people.loadPeople("acme")]);
      await people.loadPeople("acme");
      assert.equal(reads, 1, "one read per tenant");
      // An operator (no users.read) gets names, not e-mail addresses.
      const list = await (await realFetch(`${server.baseUrl}/api/v1/tenants/acme/people`,
        { headers: { Cookie: cookie } })).json();
      const ana = list.items.find((p) => p.display_name === kAna.name);
      assert.ok(ana && ana.principal.startsWith("user:usr_"), JSON.stringify(list));
      assert.equal(ana.email, undefined);
      assert.equal(people.personName(ana.principal), kAna.name);
      assert.equal(people.personName("system:sla_monitor"), "System (sla monitor)");
      assert.equal(people.personName("user:usr_0123456789abcdef"), "User usr_01234567…");
      assert.equal(people.personName("token:tok_1"), "API token tok_1");
      assert.equal(people.personName(""), "—");
      // A tenant one may not see: no names, no failure.
      await people.loadPeople("globex");
      assert.equal(people.personName("user:usr_unknown"), "User usr_unknown");
    } finally {
      globalThis.fetch = realFetch;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
