// Live updates in headless Chromium against a real `govflow serve`: a pricing manager has the
// approvals inbox open; a price change requested meanwhile with `govflow prices request` (another
// process writing the same store) appears in the inbox without a reload, announced politely, and
// the top bar's indicator says the page is live. Leaving the page ends its subscription (the
// stream closes). Screenshots go to the artifacts directory.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, newPage, screenshot } from "./lib/browser.mjs";
import { apply, cli, seed, startGovflow, writeBranding } from "./lib/govflow.mjs";
import { signIn, unexpectedErrors } from "./lib/console.mjs";

const kLee = { email: "lee@northwind.example", name: "Lee Partner", password: "lee-password-123" };
const kOlivia = { email: "olivia@acme.example", name: "Olivia Operator", password: "olivia-password-123", role: "operator" };
const kPia = { email: "pia@acme.example", name: "Pia Pricing", password: "pia-password-123", role: "pricing_manager" };
const kPaul = { email: "paul@acme.example", name: "Paul Pricing", password: "paul-password-123", role: "pricing_manager" };

// The tenant and the storefront connection price changes go to (never called: the requests name
// the variant and its current price).
const kConfig = `apiVersion: govflow/v1
kind: Config
tenants:
  - id: acme
    name: Acme Retail
    connections:
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
    for (const u of [kOlivia, kPia, kPaul]) {
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

function requestPriceChange(sku, price) {
  const out = cli(server.dataDir, ["prices", "request", "--as", kOlivia.email, "--tenant", "acme",
    "--sku", sku, "--price", price, "--current-price", "28.00", "--variant", "42",
    "--reason", "spring sale"]);
  const taskId = out.match(/apr_\w+/)?.[0];
  assert.ok(taskId, `the change waits for approval: ${out}`);
  return taskId;
}

test("the approvals inbox shows a request made elsewhere without a reload", async () => {
  const pia = await signedIn(kPia);
  const streams = [];
  pia.on("request", (r) => { if (r.url().includes("/events")) streams.push(r.url()); });
  await pia.click('nav.sections a[href="#/approvals"]');
  await pia.waitForFunction(() =>
    /Nothing waits for approval/.test(document.querySelector("#inbox-status")?.textContent ?? ""));
  // The indicator: a polite live region that says the page is live once the stream is open.
  await pia.waitForSelector('#live-status[data-state="live"]', { timeout: 10000 });
  assert.equal(await pia.getAttribute("#live-status", "aria-live"), "polite");
  assert.equal(await pia.getAttribute("#live-status", "role"), "status");
  assert.match(await pia.textContent("#live-status"), /Live/);
  // Marks this document: a reload would lose the mark.
  await pia.evaluate(() => { window.__sameDocument = true; });

  const taskId = requestPriceChange("MUG-CER-NAV", "21.00");
  await pia.waitForSelector(`tr[data-task="${taskId}"]`, { timeout: 10000 });
  assert.equal(await pia.evaluate(() => window.__sameDocument), true, "no reload happened");
  assert.match(await pia.textContent("#inbox-status"), /1 new request arrived/);
  assert.match(await pia.textContent(`tr[data-task="${taskId}"]`), /pending/);
  await screenshot(pia, "live-approval-arrived");

  // Two more in a burst: both appear, read once or twice (debounced), never duplicated.
  const second = requestPriceChange("MUG-CER-RED", "19.00");
  const third = requestPriceChange("MUG-CER-GRN", "18.00");
  await pia.waitForSelector(`tr[data-task="${second}"]`, { timeout: 10000 });
  await pia.waitForSelector(`tr[data-task="${third}"]`, { timeout: 10000 });
  assert.equal(await pia.locator(`tr[data-task="${taskId}"]`).count(), 1);
  assert.equal(await pia.evaluate(() => window.__sameDocument), true);

  // One stream for the page, and leaving for a page without live updates closes it.
  assert.equal(streams.length, 1, `one EventSource: ${streams.join(", ")}`);
  await pia.click('nav.sections a[href="#/portfolio"]');
  await pia.waitForSelector('#live-status[data-state="off"]', { state: "attached", timeout: 10000 });
  assert.equal(await pia.textContent("#live-status .live-text"), "", "says nothing when no page listens");

  assert.deepEqual(unexpectedErrors(pia), []);
  await pia.context().close();
});

test("an approval's page says when someone else decided it, and shows the latest on request", async () => {
  const taskId = requestPriceChange("BTL-STL-NAV", "20.00");
  const pia = await signedIn(kPia);
  await pia.goto(`${server.baseUrl}/#/approvals/${taskId}`);
  await pia.waitForSelector("#approve:not([disabled])");
  await pia.waitForSelector('#live-status[data-state="live"]', { timeout: 10000 });
  await pia.evaluate(() => { window.__sameDocument = true; });

  // Paul decides it from the CLI while Pia reads it.
  cli(server.dataDir, ["approvals", "approve", taskId, "--as", kPaul.email, "--tenant", "acme",
    "--comment", "fine for the spring sale"]);
  await pia.waitForSelector("#task-changed:not([hidden])", { timeout: 10000 });
  assert.match(await pia.textContent("#task-changed"), /now approved/);
  assert.equal(await pia.evaluate(() => window.__sameDocument), true, "no reload happened");
  // Her page did not move under her: the buttons are still the ones she saw, until she asks.
  await screenshot(pia, "live-approval-decided-elsewhere");
  await pia.click("#task-reload");
  await pia.waitForSelector("#approve[disabled]");
  assert.match(await pia.textContent("#decisions"), /approved by Paul Pricing/);

  assert.deepEqual(unexpectedErrors(pia), []);
  await pia.context().close();
});
