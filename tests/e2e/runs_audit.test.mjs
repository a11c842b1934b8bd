// The runs, audit log and price changes pages in headless Chromium against a real `govflow serve`
// seeded through the CLI with the quick start's workflow, and real orders sent by the Shopify
// simulator to an ERP simulator that answers half its requests with 5xx errors (seeded), so runs
// retry:
// - a run is found by its order number (typed without the "#"), and its page shows the step
//   timeline with every attempt (outcome, error class, duration), the call and the input; the
//   runs list refreshes by itself when a new order arrives (live "run" events);
// - the run's audit events open in the audit log (filtered by the link), an event opens to its
//   hashes, the chain verifies with the Verify button, and the CSV export is offered;
// - a price change is requested from the form: a bad price is named next to its input, a small
//   change is released at once, a big one is held for approval and links to the approval page.
// Screenshots go to the artifacts directory.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import { launchBrowser, newPage, repoRoot, screenshot } from "./lib/browser.mjs";
import { apply, cli, seed, sendShopifyOrders, startErp, startGovflow, writeBranding } from "./lib/govflow.mjs";
import { signIn, unexpectedErrors } from "./lib/console.mjs";

const kSecret = "e2e-shopify-secret";
const kLee = { email: "lee@northwind.example", name: "Lee Partner", password: "lee-password-123" };
const kAna = { email: "ana@acme.example", name: "Ana Admin", password: "ana-password-123", role: "tenant_admin" };

const workflowTemplate = path.join(repoRoot, "templates", "workflows", "order-capture.yaml");

function config(erpUrl) {
  return `apiVersion: govflow/v1
kind: Config
tenants:
  - id: acme
    name: Acme Retail
    connections:
      - id: shop
        kind: shopify.webhooks
        secret: \${SHOPIFY_SECRET}
      - id: erp
        kind: erp.business_central
        base_url: ${erpUrl}
        token_url: ${erpUrl}/token
        company_id: 4b7c1f3e-62a9-ef11-8a6a-6045bdc8c2a1
        client_id: govflow-e2e
        client_secret: e2e-client-secret
        request_timeout_ms: 3000
        in_flight_bound_ms: 4000
      - id: storefront
        kind: shopify.admin
        shop_url: http://127.0.0.1:9
        access_token: shpat_e2e
    workflows:
      - path: ${workflowTemplate}
`;
}

let erp;
let server;
let browser;

const signedIn = (user) => signIn(browser, server.baseUrl, user);

before(async () => {
  // Half of the ERP's answers are 5xx: the post step retries (2 s, 4 s, ... backoff).
  erp = await startErp(["--faults", "error=0.5", "--seed", "11"]);
  server = await startGovflow((dataDir) => {
    seed(dataDir, { partner: { id: "northwind", name: "Northwind Integrations", admin: kLee },
      tenants: [], users: [] });
    apply(dataDir, config(erp.baseUrl), { SHOPIFY_SECRET: kSecret });
    cli(dataDir, ["users", "create", kAna.email, "--name", kAna.name, "--tenant", "acme", "--role",
      kAna.role, "--password-stdin", "--as", kLee.email], kAna.password);
    writeBranding(dataDir, { product_name: "Northwind Ops", colors: { primary: "#0a7d4f" } });
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await erp?.stop();
});

async function apiGet(page, apiPath) {
  return page.evaluate(async (p) => {
    const r = await fetch(`/api/v1${p}`, { credentials: "same-origin" });
    return { status: r.status, type: r.headers.get("Content-Type"), body: await r.text() };
  }, apiPath);
}

const kTerminal = new Set(["succeeded", "failed", "cancelled"]);

// Waits until the tenant has at least `count` runs and all of them are terminal; returns them.
async function settledRuns(page, count, timeoutMs = 90000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await apiGet(page, "/tenants/acme/runs?limit=500");
    const runs = JSON.parse(r.body).items;
    if (runs.length >= count && runs.every((x) => kTerminal.has(x.state))) return runs;
    if (Date.now() > until) throw new Error(`runs did not settle: ${r.body}`);
    await new Promise((res) => setTimeout(res, 500));
  }
}

// The runs' attempt counts (attempt events in their timelines).
async function attemptsOf(page, run) {
  const detail = JSON.parse((await apiGet(page, `/tenants/acme/runs/${run.id}`)).body);
  return detail.timeline.filter((t) => t.kind === "attempt").length;
}

let retried;  // a run that needed more than one attempt

test("a run is found by its order number and shows its timeline with every attempt", async () => {
  const page = await signedIn(kAna);
  await page.click('nav.sections a[href="#/runs"]');
  await page.waitForSelector("#runs-status");
  await page.waitForFunction(() => /No runs yet/.test(document.querySelector("#runs-status")?.textContent ?? ""));
  assert.equal(await page.evaluate(() => document.activeElement?.tagName), "H1");

  // Orders until one of them needed a retry (each has an even chance with these faults).
  let sent = 0;
  for (let round = 0; round < 4 && !retried; ++round) {
    sendShopifyOrders(`${server.baseUrl}/hooks/acme/shop`, kSecret,
      ["--orders", "4", "--seed", String(100 + round)]);
    sent += 4;
    const runs = await settledRuns(page, sent);
    for (const run of runs) {
      if (run.state === "succeeded" && await attemptsOf(page, run) >= 2) {
        retried = run;
        break;
      }
    }
  }
  assert.ok(retried, "an order needed more than one attempt");
  assert.match(retried.reference, /^#\d+$/);

  // The list refreshed itself while the orders arrived (live "run" events).
  await page.waitForFunction((n) => document.querySelectorAll("#runs-table tbody tr").length >= n, sent,
    { timeout: 20000 });
  await screenshot(page, "runs-list");

  // Search by the number without "#", by keyboard.
  const number = retried.reference.slice(1);
  await page.focus("#runs-q");
  await page.keyboard.type(number);
  await page.keyboard.press("Enter");
  await page.waitForFunction((id) => {
    const rows = document.querySelectorAll("#runs-table tbody tr");
    return rows.length === 1 && rows[0].getAttribute("data-run") === id;
  }, retried.id);
  assert.match(await page.textContent("#runs-table"), new RegExp(`Order ${retried.reference}`));
  assert.ok((await page.evaluate(() => location.hash)).includes(`q=${number}`), "the search is in the route");
  // A number nobody ordered says what to do.
  await page.fill("#runs-q", "999999");
  await page.press("#runs-q", "Enter");
  await page.waitForFunction(() => /No run was found for "999999"/.test(document.querySelector("#runs-status")?.textContent ?? ""));
  await page.fill("#runs-q", retried.reference);
  await page.press("#runs-q", "Enter");
  await page.waitForSelector(`tr[data-run="${retried.id}"]`);
  await screenshot(page, "runs-search");

  await page.click(`tr[data-run="${retried.id}"] a`);
  await page.waitForSelector("#run-timeline");
  assert.equal(await page.evaluate(() => document.activeElement?.tagName), "H1");
  assert.equal(await page.textContent("h1"), `Order ${retried.reference}`);
  const attempts = await page.$$eval('#run-timeline tr[data-kind="attempt"]', (rows) => rows.length);
  assert.ok(attempts >= 2, `the timeline lists every attempt (${attempts})`);
  const results = await page.$$eval('#run-timeline tr[data-kind="attempt_result"]',
    (rows) => rows.map((r) => Array.from(r.cells).map((c) => c.textContent)));
  assert.ok(results.length >= 2);
  // A failed attempt: outcome, error class and how long the call took.
  // (a 503 is "failed"; a 500 or 504 "unknown": the ERP may have created it, so it is looked up)
  const failed = results.find((cells) => cells[4] === "failed" || cells[4] === "unknown");
  assert.ok(failed, `a failed attempt is listed: ${JSON.stringify(results)}`);
  assert.match(failed[5], /\w/, "the failed attempt names its error class");
  assert.match(failed[6], /\d+(\.\d)? (ms|s)/, "the attempt's duration is shown");
  assert.equal(results.at(-1)[4], "ok");
  assert.match(await page.textContent("#run-timeline"), /succeeded/);
  assert.match(await page.textContent("#run-calls"), new RegExp(`SHOP-${number}`));
  assert.match(await page.textContent("#run-input"), new RegExp(`"name": "#${number}"`));
  assert.match(await page.textContent("#run-state"), /succeeded/);
  await screenshot(page, "run-timeline");
  assert.deepEqual(unexpectedErrors(page), []);
  await page.context().close();
});

test("the run's audit events open in the audit log, and the chain verifies", async () => {
  assert.ok(retried, "the runs test found a run");
  const page = await signedIn(kAna);
  await page.goto(`${server.baseUrl}/#/runs/${retried.id}`);
  await page.waitForSelector("#run-audit-link");
  await page.click("#run-audit-link");
  await page.waitForSelector("#audit-table tbody tr");
  assert.equal(await page.inputValue("#audit-object-id"), retried.id, "the link's filter is applied");
  const actions = await page.$$eval("#audit-table tbody tr[data-action]", (rows) => rows.map((r) => r.dataset.action));
  assert.ok(actions.includes("run.created"), `the run's creation is audited: ${actions}`);
  assert.ok(actions.every((a) => a.startsWith("run.")), `only the run's events: ${actions}`);

  // An event opens to its digests and hashes (by keyboard).
  const toggle = "#audit-table tbody tr[data-action] button";
  await page.focus(toggle);
  await page.keyboard.press("Enter");
  assert.equal(await page.getAttribute(toggle, "aria-expanded"), "true");
  const details = await page.textContent("#audit-table tr.event-details:not([hidden])");
  assert.match(details, /Hash[0-9a-f]{64}/);
  assert.match(details, /Previous hash[0-9a-f]{64}/);

  // The whole chain verifies.
  await page.click("#audit-verify");
  await page.waitForFunction(() => document.querySelector("#audit-verify-result")?.dataset.ok !== undefined);
  const verdict = await page.textContent("#audit-verify-result");
  assert.match(verdict, /The chain verifies: \d+ events/);
  await screenshot(page, "audit-verified");

  // The export link carries the filters; the file is CSV with a header and the run's events.
  const href = await page.getAttribute("#audit-export-csv", "href");
  assert.ok(href.includes(`object_id=${retried.id}`) && href.includes("format=csv"), href);
  const csv = await apiGet(page, href.replace(/^\/api\/v1/, ""));
  assert.equal(csv.status, 200);
  assert.match(csv.type, /text\/csv/);
  assert.ok(csv.body.startsWith("seq,at,actor,action,"));
  assert.equal(csv.body.trim().split("\r\n").length, actions.length + 1);

  // Filters that match nothing say what to do; a bad time range is named.
  await page.fill("#audit-action", "nothing.like.this");
  await page.press("#audit-action", "Enter");
  await page.waitForFunction(() => /No event matches these filters/.test(document.querySelector("#audit-status")?.textContent ?? ""));
  assert.deepEqual(unexpectedErrors(page), []);
  await page.context().close();
});

test("a price change is requested: a bad price is named, a small change is released, a big one waits for approval", async () => {
  const page = await signedIn(kAna);
  await page.click('nav.sections a[href="#/price-changes"]');
  await page.waitForFunction(() => /No price change has been requested yet/.test(document.querySelector("#pc-status")?.textContent ?? ""));
  assert.equal(await page.evaluate(() => document.activeElement?.tagName), "H1");

  await page.fill("#pc-sku", "MUG-CER-NAV");
  await page.fill("#pc-variant-id", "42");
  await page.fill("#pc-old-price", "28.00");
  await page.fill("#pc-new-price", "cheap");
  await page.fill("#pc-reason", "spring sale");
  await page.click("#pc-submit");
  await page.waitForFunction(() => (document.querySelector("#pc-new-price-error")?.textContent ?? "") !== "");
  assert.match(await page.textContent("#pc-new-price-error"), /^'cheap' is not a price/);
  assert.equal(await page.evaluate(() => document.activeElement?.id), "pc-new-price", "focus moves to the named field");
  assert.equal(await page.getAttribute("#pc-new-price", "aria-invalid"), "true");
  await screenshot(page, "price-change-invalid");

  // -5%: released at once.
  await page.fill("#pc-new-price", "26.60");
  await page.click("#pc-submit");
  await page.waitForSelector("#pc-released");
  assert.match(await page.textContent("#pc-released"), /Released at once: MUG-CER-NAV 28\.00 → 26\.60 EUR \(-5%\)/);
  assert.equal(await page.textContent("#pc-new-price-error"), "");

  // -35%: held for approval, with a link to it.
  await page.fill("#pc-sku", "MUG-CER-NAV");
  await page.fill("#pc-variant-id", "42");
  await page.fill("#pc-old-price", "28.00");
  await page.fill("#pc-new-price", "18.20");
  await page.fill("#pc-reason", "clearance");
  await page.click("#pc-submit");
  await page.waitForSelector("#pc-held");
  assert.match(await page.textContent("#pc-held"), /Held for approval by the rule "price-change-beyond-threshold"/);
  await page.waitForFunction(() => document.querySelectorAll("#pc-table tbody tr").length === 2);
  assert.match(await page.textContent("#pc-table"), /Waiting for approval/);
  assert.match(await page.textContent("#pc-table"), new RegExp(kAna.name), "the requester is named");
  await screenshot(page, "price-changes");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "pc-approval-link");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#changes");
  assert.match(await page.evaluate(() => location.hash), /^#\/approvals\/apr_/);
  assert.match(await page.textContent("#changes"), /28\.00\s*→\s*18\.20/);
  // The only failed request is the refused price (400).
  assert.deepEqual(unexpectedErrors(page, [400, 401]), []);
  await page.context().close();
});
