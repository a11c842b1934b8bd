// The dashboards in headless Chromium against a real `govflow serve` whose runs are real: signed
// Shopify orders (some with an unknown SKU, so they end as exception cases) go through the order
// capture workflow to the ERP simulator; the serve's intel.rollup job rolls them up. The tenant
// overview must show what the runs themselves say (counted from GET .../runs), the portfolio
// every tenant for the partner and only their own for a tenant's admin, and a quiet tenant its
// empty state. Screenshots in build/e2e-artifacts/.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import { launchBrowser, newPage, repoRoot, screenshot } from "./lib/browser.mjs";
import { apply, cli, seed, sendShopifyOrders, startErp, startGovflow, writeBranding } from "./lib/govflow.mjs";
import { signIn, unexpectedErrors, waitFor } from "./lib/console.mjs";

const kSecret = "e2e-shopify-secret";
const kLee = { email: "lee@northwind.example", name: "Lee Partner", password: "lee-password-123" };
const kAna = { email: "ana@acme.example", name: "Ana Viewer", password: "ana-password-123", tenant: "acme", role: "viewer" };
const kGus = { email: "gus@globex.example", name: "Gus Globex", password: "gus-password-123", tenant: "globex", role: "tenant_admin" };

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
    workflows:
      - path: ${workflowTemplate}
`;
}

let erp;
let server;
let browser;

const signedIn = (user) => signIn(browser, server.baseUrl, user);

before(async () => {
  erp = await startErp();
  server = await startGovflow((dataDir) => {
    seed(dataDir, { partner: { id: "northwind", name: "Northwind Integrations", admin: kLee },
      tenants: [{ id: "globex", name: "Globex Manufacturing" }], users: [kGus] });
    apply(dataDir, config(erp.baseUrl), { SHOPIFY_SECRET: kSecret });
    cli(dataDir, ["users", "create", kAna.email, "--name", kAna.name, "--tenant", "acme", "--role", kAna.role,
      "--password-stdin", "--as", kLee.email], kAna.password);
    writeBranding(dataDir, { product_name: "Northwind Ops", colors: { primary: "#0a7d4f", accent: "#f2a900" } });
  });
  browser = await launchBrowser();
  // Two orders the ERP cannot take (unknown item: exception cases), four it can.
  sendShopifyOrders(`${server.baseUrl}/hooks/acme/shop`, kSecret, ["--orders", "2", "--bad-sku", "1", "--seed", "11"]);
  sendShopifyOrders(`${server.baseUrl}/hooks/acme/shop`, kSecret, ["--orders", "4", "--seed", "12"]);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await erp?.stop();
});

async function getJson(page, apiPath) {
  return page.evaluate(async (p) => {
    const r = await fetch(p, { credentials: "same-origin" });
    return { status: r.status, body: await r.json() };
  }, apiPath);
}

// The runs as the store has them, once every run has finished.
async function finishedRuns(page) {
  return waitFor(async () => {
    const { body } = await getJson(page, "/api/v1/tenants/acme/runs?limit=500");
    const runs = body.items ?? [];
    const done = runs.filter((r) => r.state === "succeeded" || r.state === "failed");
    return runs.length >= 6 && done.length === runs.length ? runs : null;
  }, "six finished runs");
}

test("the overview shows the runs, failures and open exceptions the runs themselves say", async () => {
  const page = await signedIn(kAna);
  const runs = await finishedRuns(page);
  const succeeded = runs.filter((r) => r.state === "succeeded").length;
  const failed = runs.filter((r) => r.state === "failed").length;
  assert.ok(failed >= 1 && succeeded >= 1, `some runs failed and some succeeded: ${failed}/${succeeded}`);
  // The rollup job catches up within a few seconds.
  const overview = await waitFor(async () => {
    const { body } = await getJson(page, "/api/v1/tenants/acme/metrics/overview?window=24h");
    const t = body.totals;
    return t.runs_started === runs.length && t.runs_succeeded === succeeded && t.runs_failed === failed
      ? body : null;
  }, "the rollup to count every run");
  const open = Object.values(overview.open_exceptions).reduce((a, b) => a + b, 0);
  assert.ok(open >= 1, "the unknown items are open exception cases");

  await page.click('nav.sections a[href="#/overview"]');
  await page.waitForSelector("#kpi-throughput");
  assert.equal(await page.evaluate(() => document.activeElement?.tagName), "H1", "focus on the heading");
  assert.match(await page.textContent("h1"), /Overview: Acme Retail/);
  assert.match(await page.textContent("#kpi-throughput"), new RegExp(`${succeeded} succeeded of ${runs.length} started`));
  const rate = `${((failed / (failed + succeeded)) * 100).toFixed(1)}%`;
  assert.match(await page.textContent("#kpi-failure-rate"), new RegExp(rate.replace(".", "\\.")));
  assert.match(await page.textContent("#kpi-open"), new RegExp(`^Open exceptions${open}`));
  assert.match(await page.textContent("#breakdown-process"), /order-capture/);
  assert.match(await page.textContent("#breakdown-channel"), /web/);
  // The charts are drawn (ECharts canvases) in the partner's colours.
  await page.waitForSelector("#overview-body canvas");
  await screenshot(page, "dashboards-overview");

  // The window by keyboard: the hour has the same runs, in minute points.
  await page.focus("#window");
  await page.selectOption("#window", "1h");
  await page.waitForFunction(() => document.querySelector("#kpi-throughput")?.textContent?.includes("/h"));
  await waitFor(async () => /succeeded of/.test(await page.textContent("#kpi-throughput")), "the 1h overview");
  assert.match(await page.textContent("#kpi-throughput"), new RegExp(`of ${runs.length} started`));
  assert.deepEqual(unexpectedErrors(page), []);
  await page.close();
});

test("the portfolio shows the partner every tenant with its health and opens a tenant's overview", async () => {
  const page = await signedIn(kLee);
  await page.click('nav.sections a[href="#/portfolio"]');
  await page.waitForSelector('#portfolio-table tr[data-tenant="acme"]');
  await page.waitForSelector('#portfolio-table tr[data-tenant="globex"]');
  const acmeRuns = await waitFor(async () => {
    const text = (await page.textContent('tr[data-tenant="acme"] .runs-started')).trim();
    return text.startsWith("6") ? text : (await page.click("#portfolio-refresh"), null);
  }, "acme's six runs in the portfolio");
  assert.ok(acmeRuns);
  // Each tenant's health as the portfolio route judged it (docs/intel.md "Health"), worst first.
  const { body } = await getJson(page, "/api/v1/portfolio?window=24h");
  const label = { ok: "OK", warning: "Warning", critical: "Critical" };
  const rank = { critical: 0, warning: 1, ok: 2 };
  for (const t of body.tenants) {
    assert.equal((await page.textContent(`tr[data-tenant="${t.id}"] .health`)).trim(), label[t.health.status]);
  }
  const worst = [...body.tenants].sort((a, b) =>
    rank[a.health.status] - rank[b.health.status] || a.name.localeCompare(b.name))[0];
  assert.equal(await page.getAttribute("#portfolio-table tbody tr", "data-tenant"), worst.id);
  assert.equal(body.tenants.find((t) => t.id === "globex").health.status, "ok", "no traffic is ok");
  const acme = body.tenants.find((t) => t.id === "acme");
  assert.ok(Object.values(acme.open_exceptions).reduce((a, b) => a + b, 0) >= 1);
  assert.match(await page.textContent('tr[data-tenant="acme"]'),
    new RegExp(`P${[1, 2, 3, 4].find((n) => acme.open_exceptions[`P${n}`] > 0)} [1-9]`));
  assert.match(await page.textContent('tr[data-tenant="acme"]'), /order-capture v1/);
  await screenshot(page, "dashboards-portfolio");

  await page.click('tr[data-tenant="acme"] a.tenant-link');
  await page.waitForSelector("#kpi-throughput");
  assert.match(await page.textContent("h1"), /Overview: Acme Retail/);
  assert.deepEqual(unexpectedErrors(page), []);
  await page.close();
});

test("a tenant's admin sees only their tenant, and a quiet tenant's overview says what to do", async () => {
  const page = await signedIn(kGus);
  await page.click('nav.sections a[href="#/portfolio"]');
  await page.waitForSelector('#portfolio-table tr[data-tenant="globex"]');
  assert.equal(await page.locator("#portfolio-table tbody tr").count(), 1);
  assert.equal(await page.locator('tr[data-tenant="acme"]').count(), 0);
  await page.click('nav.sections a[href="#/overview"]');
  await page.waitForSelector("#overview-empty");
  assert.match(await page.textContent("#overview-empty"), /No orders in the last (24 hours|hour|7 days): connect a storefront/);
  await screenshot(page, "dashboards-overview-empty");
  assert.deepEqual(unexpectedErrors(page), []);
  await page.close();
});
