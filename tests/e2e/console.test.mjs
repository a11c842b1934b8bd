// The console in headless Chromium against a real `govflow serve`: the sign-in screen in the
// partner's brand (name and colour from branding.json), a clear message for a wrong password,
// the shell with the brand and the signed-in person, tenant isolation in the picker, sign-out,
// no govflow name on screen and no errors in the browser console. Screenshots in
// build/e2e-artifacts/.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, newPage, screenshot } from "./lib/browser.mjs";
import { seed, startGovflow, writeBranding } from "./lib/govflow.mjs";
import { unexpectedErrors } from "./lib/console.mjs";

const kBrand = {
  product_name: "Northwind Ops",
  colors: { primary: "#0a7d4f", accent: "#f2a900" },
  support: { email: "help@northwind.example" },
};
const kPrimaryRgb = "rgb(10, 125, 79)";

const kAna = { email: "ana@acme.example", name: "Ana Acme", password: "ana-password-123",
  tenant: "acme", role: "tenant_admin" };
const kGus = { email: "gus@globex.example", name: "Gus Globex", password: "gus-password-123",
  tenant: "globex", role: "tenant_admin" };
const kLee = { email: "lee@northwind.example", name: "Lee Partner", password: "lee-password-123" };

let server;
let browser;

before(async () => {
  server = await startGovflow((dataDir) => {
    seed(dataDir, {
      partner: { id: "northwind", name: "Northwind Integrations", admin: kLee },
      tenants: [{ id: "acme", name: "Acme Retail" }, { id: "globex", name: "Globex Manufacturing" }],
      users: [kAna, kGus],
    });
    writeBranding(dataDir, kBrand);
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// The browser logs every 4xx response as "Failed to load resource"; the 401s the console
// expects (who am I, before signing in; a wrong password) are answers, not errors. Anything
// else (a script error, another failed request) fails the test.
async function signIn(page, user, password = user.password) {
  await page.fill("#email", user.email);
  await page.fill("#password", password);
  await page.click("button[type=submit]");
}

test("the sign-in screen shows the partner's product name and colour", async () => {
  const page = await newPage(browser);
  await page.goto(server.baseUrl);
  await page.waitForSelector("#signin-title");
  assert.equal(await page.textContent("#signin-title"), "Sign in to Northwind Ops");
  assert.equal(await page.title(), "Northwind Ops");
  const buttonColour = await page.$eval("button[type=submit]",
    (el) => getComputedStyle(el).backgroundColor);
  assert.equal(buttonColour, kPrimaryRgb);
  const text = await page.textContent("body");
  assert.ok(text.includes("help@northwind.example"), "the partner's support contact is shown");
  assert.ok(!/govflow/i.test(text), `no govflow name on screen: ${text}`);
  await screenshot(page, "signin-branded");
  assert.deepEqual(unexpectedErrors(page), []);
  await page.context().close();
});

test("a wrong password shows a clear message and stays on sign-in", async () => {
  const page = await newPage(browser);
  await page.goto(server.baseUrl);
  await page.waitForSelector("#signin-title");
  await signIn(page, kAna, "not-the-password");
  await page.waitForFunction(() => document.querySelector("#signin-error")?.textContent !== "");
  const message = await page.textContent("#signin-error");
  assert.match(message, /email or password is not right/i);
  assert.equal(await page.$("#product-name"), null, "not signed in");
  await screenshot(page, "signin-wrong-password");
  assert.deepEqual(unexpectedErrors(page), []);
  await page.context().close();
});

test("the right password lands in the branded shell; a tenant's user sees only that tenant; sign out returns to sign-in", async () => {
  const page = await newPage(browser);
  await page.goto(server.baseUrl);
  await page.waitForSelector("#signin-title");
  await signIn(page, kAna);
  await page.waitForSelector("#product-name");
  assert.equal(await page.textContent("#product-name"), "Northwind Ops");
  assert.equal(await page.textContent("#user-name"), "Ana Acme");
  const body = await page.textContent("body");
  assert.ok(body.includes("Acme Retail"), "the user's tenant is shown");
  assert.ok(!body.includes("Globex"), "another tenant is never shown");
  assert.ok(!/govflow/i.test(body), "no govflow name on screen");
  // One tenant: no picker to choose another.
  assert.equal(await page.$("#tenant-picker"), null);
  await screenshot(page, "shell-tenant-user");

  // The session survives a reload (cookie) ...
  await page.reload();
  await page.waitForSelector("#product-name");
  // ... and signing out ends it: back to sign-in, also after a reload.
  await page.click("#sign-out");
  await page.waitForSelector("#signin-title");
  await page.reload();
  await page.waitForSelector("#signin-title");
  assert.equal(await page.$("#product-name"), null);
  await screenshot(page, "signed-out");
  assert.deepEqual(unexpectedErrors(page), []);
  await page.context().close();
});

test("the partner's admin picks among every tenant", async () => {
  const page = await newPage(browser);
  await page.goto(server.baseUrl);
  await page.waitForSelector("#signin-title");
  await signIn(page, kLee);
  await page.waitForSelector("#tenant-picker");
  const options = await page.$$eval("#tenant-picker option", (els) => els.map((e) => e.textContent));
  assert.deepEqual(options.sort(), ["Acme Retail", "Globex Manufacturing"]);
  await screenshot(page, "shell-partner-admin");
  assert.deepEqual(unexpectedErrors(page), []);
  await page.context().close();
});

test("a branding change shows on the next load without a restart", async () => {
  writeBranding(server.dataDir, { ...kBrand, product_name: "Northwind Operations Hub",
    colors: { primary: "#7a1f5c" } });
  const page = await newPage(browser);
  await page.goto(server.baseUrl);
  await page.waitForSelector("#signin-title");
  assert.equal(await page.textContent("#signin-title"), "Sign in to Northwind Operations Hub");
  const buttonColour = await page.$eval("button[type=submit]",
    (el) => getComputedStyle(el).backgroundColor);
  assert.equal(buttonColour, "rgb(122, 31, 92)");
  await screenshot(page, "signin-rebranded");
  assert.deepEqual(unexpectedErrors(page), []);
  await page.context().close();
  writeBranding(server.dataDir, kBrand);
});

test("the inboxes load the signed-in person's tenant through the API and say when they are empty", async () => {
  const page = await newPage(browser);
  await page.goto(server.baseUrl);
  await page.waitForSelector("#signin-title");
  await signIn(page, kAna);
  await page.waitForSelector("#product-name");
  for (const [section, empty] of [["approvals", /Nothing waits for approval/],
    ["exceptions", /No unresolved exceptions/]]) {
    const answered = page.waitForResponse((r) => r.url().includes(`/api/v1/tenants/acme/${section}`));
    await page.click(`nav.sections a[href="#/${section}"]`);
    assert.equal((await answered).status(), 200);
    await page.waitForFunction(() => document.querySelector("#inbox-status")?.textContent !== "Loading…");
    assert.match(await page.textContent("#inbox-status"), empty);
    await screenshot(page, `inbox-${section}-empty`);
  }
  assert.deepEqual(unexpectedErrors(page), []);
  await page.context().close();
});
