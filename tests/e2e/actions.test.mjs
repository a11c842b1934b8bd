// The console's working pages in headless Chromium against a real `govflow serve`, seeded through
// the CLI with the quick start's workflow against the ERP simulator:
// - an order with an unknown item fails at the ERP; its case is grouped by root cause,
//   acknowledged in bulk after a confirmation stating the count, and resolved with
//   edit-and-retry (payload edited as JSON, the RFC 6902 diff shown, a comment required; the
//   run then succeeds against the ERP);
// - a price change requested with `govflow prices request` is refused to its requester (403,
//   shown as a clear message) and approved by a pricing manager;
// - a workflow drafted, approved and published with `govflow documents` is promoted dev ->
//   staging from the documents page, through the promotion approval.
// Screenshots go to the artifacts directory.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { launchBrowser, newPage, repoRoot, screenshot } from "./lib/browser.mjs";
import { apply, cli, seed, sendShopifyOrders, startErp, startGovflow, writeBranding } from "./lib/govflow.mjs";
import { signIn, unexpectedErrors, waitFor } from "./lib/console.mjs";

const kSecret = "e2e-shopify-secret";
const kLee = { email: "lee@northwind.example", name: "Lee Partner", password: "lee-password-123" };
const kAna = { email: "ana@acme.example", name: "Ana Admin", password: "ana-password-123", role: "tenant_admin" };
const kDan = { email: "dan@acme.example", name: "Dan Owner", password: "dan-password-123", role: "process_owner" };
const kOlivia = { email: "olivia@acme.example", name: "Olivia Operator", password: "olivia-password-123", role: "operator" };
const kPia = { email: "pia@acme.example", name: "Pia Pricing", password: "pia-password-123", role: "pricing_manager" };
const kRita = { email: "rita@acme.example", name: "Rita Release", password: "rita-password-123", role: "release_manager" };

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
  erp = await startErp();
  server = await startGovflow((dataDir) => {
    seed(dataDir, { partner: { id: "northwind", name: "Northwind Integrations", admin: kLee },
      tenants: [], users: [] });
    apply(dataDir, config(erp.baseUrl), { SHOPIFY_SECRET: kSecret });
    const as = ["--as", kLee.email];
    for (const u of [kAna, kDan, kOlivia, kPia, kRita]) {
      cli(dataDir, ["users", "create", u.email, "--name", u.name, "--tenant", "acme", "--role", u.role,
        "--password-stdin", ...as], u.password);
    }
    // The requester may decide price changes in general, only not her own.
    cli(dataDir, ["users", "grant", kOlivia.email, "pricing_manager", "--tenant", "acme", ...as]);
    writeBranding(dataDir, { product_name: "Northwind Ops", colors: { primary: "#0a7d4f" } });
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await erp?.stop();
});

// Is a route served? An unknown route is a 404 problem titled as such; a known one answers
// something else (or 404 naming the object).
async function routeExists(page, apiPath) {
  return page.evaluate(async (p) => {
    const r = await fetch(p, { credentials: "same-origin" });
    if (r.status !== 404) return true;
    const body = await r.json().catch(() => ({}));
    return !/no such route|not found/i.test(`${body.title ?? ""}`) || (body["invalid-params"] ?? []).length > 0;
  }, apiPath);
}

test("an unknown-item order is grouped, acknowledged in bulk after a confirmation, and resolved by edit-and-retry", async () => {
  sendShopifyOrders(`${server.baseUrl}/hooks/acme/shop`, kSecret, ["--orders", "1", "--bad-sku", "1"]);
  const cases = await waitFor(() => {
    const list = JSON.parse(cli(server.dataDir, ["exceptions", "list", "--json"]));
    return list.length > 0 ? list : null;
  }, "the unknown-item exception");
  assert.equal(cases.length, 1);
  const caseId = cases[0].id;
  const badSku = cases[0].message.match(/DISC-\w+/)?.[0];
  assert.ok(badSku, `the ERP names the unknown item: ${cases[0].message}`);

  const page = await signedIn(kAna);
  await page.click('nav.sections a[href="#/exceptions"]');
  await page.waitForSelector(`tr[data-case="${caseId}"]`);
  await screenshot(page, "exceptions-inbox");

  // Grouped by root cause: the unknown item is the group's key.
  await page.click('a[href="#/exceptions/groups"]');
  await page.waitForSelector(`section[data-group="unknown_item:${badSku}"]`);
  assert.match(await page.textContent("#group-list"), /1 unresolved of 1/);
  await screenshot(page, "exceptions-groups");
  // A group action names the group and its count before anything happens; cancelling changes nothing.
  await page.click(`section[data-group="unknown_item:${badSku}"] button[data-action="retry"]`);
  await page.waitForSelector("dialog.confirm[open]");
  assert.match(await page.textContent("#confirm-title"), /Retry 1 case\?/);
  assert.match(await page.textContent("#confirm-message"), new RegExp(`1 unresolved case of group "unknown_item:${badSku}"`));
  await page.click("#confirm-cancel");
  await page.waitForSelector("dialog.confirm", { state: "detached" });
  assert.equal(await page.textContent("#action-result"), "");

  // Bulk: select all, acknowledge; the confirmation states how many cases; cancel does nothing.
  await page.click('a[href="#/exceptions"]');
  await page.waitForSelector(`tr[data-case="${caseId}"]`);
  await page.check("#select-all");
  assert.equal(await page.textContent("#bulk-apply"), "Apply to 1 selected");
  await page.selectOption("#bulk-action", "acknowledge");
  await page.click("#bulk-apply");
  await page.waitForSelector("dialog.confirm[open]");
  assert.match(await page.textContent("#confirm-title"), /Acknowledge 1 case\?/);
  assert.match(await page.textContent("#confirm-message"), /1 selected case/);
  await screenshot(page, "exceptions-bulk-confirm");
  await page.keyboard.press("Escape");
  await page.waitForSelector("dialog.confirm", { state: "detached" });
  assert.equal(cases[0].state, "open");
  await page.click("#bulk-apply");
  await page.fill("#confirm-comment", "looking at the unknown item");
  await page.click("#confirm-ok");
  await page.waitForFunction(() => /Acknowledge: 1 done/.test(document.querySelector("#action-result")?.textContent ?? ""));
  await page.waitForSelector(`tr[data-case="${caseId}"]`);
  assert.match(await page.textContent(`tr[data-case="${caseId}"]`), /acknowledged/);

  // The case page: timeline, SLA, impact, payload.
  await page.click(`a[href="#/exceptions/${caseId}"]`);
  await page.waitForSelector("#payload-editor");
  const focused = await page.evaluate(() => document.activeElement?.tagName);
  assert.equal(focused, "H1", "focus moves to the new page's heading");
  assert.match(await page.textContent("#timeline"), /attempt_result/);
  assert.match(await page.textContent("#sla"), /Resolve by/);
  assert.match(await page.textContent("#impact"), /Order value/);
  await screenshot(page, "exception-case");

  // Assign, by keyboard only: Enter on the button opens the dialog with focus in it; a team or an
  // assignee is required; Tab to the assignee, type, Enter confirms; focus returns.
  await page.focus('#case-actions [data-action="assign"]');
  await page.keyboard.press("Enter");
  await page.waitForSelector("dialog.confirm[open]");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "assign-team");
  await page.keyboard.press("Enter");
  assert.match(await page.textContent("#confirm-error"), /Name a team, an assignee, or both/);
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "assign-assignee");
  await page.keyboard.type(kAna.email);
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => /Assign: 1 done/.test(document.querySelector("#action-result")?.textContent ?? ""));
  await page.waitForFunction((email) => (document.querySelector("#facts")?.textContent ?? "").includes(`Assignee${email}`), kAna.email);
  // The case's audit trail shows both actions, with the bulk comment.
  await page.waitForFunction(() => /exception\.assign/.test(document.querySelector("#audit")?.textContent ?? ""));
  assert.match(await page.textContent("#audit"), /exception\.acknowledge.*looking at the unknown item/s);
  await page.waitForSelector("#payload-editor");

  // Edit the payload: every mention of the unknown item becomes a catalogue item.
  const original = await page.inputValue("#payload-editor");
  assert.ok(original.includes(badSku));
  await page.fill("#payload-editor", original.split(badSku).join("MUG-CER-NAV"));
  await page.click("#edit-and-retry");
  await page.waitForSelector("#patch-preview");
  const preview = await page.textContent("#patch-preview");
  assert.match(preview, new RegExp(`replace /input/line_items/0/sku: "${badSku}" → "MUG-CER-NAV"`));
  await screenshot(page, "exception-edit-diff");
  // A comment is required.
  await page.click("#confirm-ok");
  assert.match(await page.textContent("#confirm-error"), /comment is required/i);
  await page.fill("#confirm-comment", "unknown item replaced by the catalogue SKU");
  await page.click("#confirm-ok");
  // The case page follows the retry by itself (no reload) until the case is resolved.
  await page.waitForFunction(() => /resolved/.test(document.querySelector("#facts")?.textContent ?? "") ||
    document.querySelector("#payload-error")?.textContent, null, { timeout: 30000 });
  assert.equal(await page.textContent("#payload-error").catch(() => ""), "", "edit-and-retry is accepted");
  await page.waitForSelector("#edits li");
  assert.match(await page.textContent("#edits"), /sku/);
  // The retried run reached the ERP: its timeline ends with success.
  await page.waitForFunction(() => /succeeded/.test(document.querySelector("#timeline")?.textContent ?? ""),
    null, { timeout: 30000 });
  await screenshot(page, "exception-resolved");
  assert.deepEqual(unexpectedErrors(page), []);
  await page.context().close();
});

test("a price change is refused to its requester and approved by a pricing manager", async () => {
  const out = cli(server.dataDir, ["prices", "request", "--as", kOlivia.email, "--tenant", "acme",
    "--sku", "MUG-CER-NAV", "--price", "21.00", "--current-price", "28.00", "--variant", "42",
    "--reason", "spring sale"]);
  const taskId = out.match(/apr_\w+/)?.[0];
  assert.ok(taskId, `the change waits for approval: ${out}`);

  const olivia = await signedIn(kOlivia);
  await olivia.click('nav.sections a[href="#/approvals"]');
  await olivia.waitForSelector(`tr[data-task="${taskId}"]`);
  // Her own request is not waiting for her decision.
  const mine = olivia.waitForResponse((r) => r.url().includes("decidable_by_me=true"));
  await olivia.selectOption("#filter-approvals", "mine");
  await mine;
  await olivia.waitForFunction(() => /Nothing waits for your decision/.test(document.querySelector("#inbox-status")?.textContent ?? ""));
  await olivia.selectOption("#filter-approvals", "");
  await olivia.waitForSelector(`tr[data-task="${taskId}"]`);
  await olivia.click(`tr[data-task="${taskId}"] a`);
  await olivia.waitForSelector("#changes");
  const changes = await olivia.textContent("#changes");
  assert.match(changes, /28\.00\s*→\s*21\.00/, `the diff shows the price move: ${changes}`);
  assert.match(await olivia.textContent("#task-facts"), /price-change-beyond-threshold/);
  assert.match(await olivia.textContent("#task-facts"), /Requested byyou \(Olivia Operator\)/, "the requester sees it is hers, by name");
  await screenshot(olivia, "approval-task");
  await olivia.click("#approve");
  await olivia.fill("#confirm-comment", "looks fine to me");
  const answered = olivia.waitForResponse((r) => r.url().endsWith(`/approvals/${taskId}/decision`));
  await olivia.click("#confirm-ok");
  assert.equal((await answered).status(), 403);
  await olivia.waitForFunction(() => (document.querySelector("#decision-result")?.textContent ?? "") !== "");
  assert.match(await olivia.textContent("#decision-result"), /You asked for this change, so you cannot decide it/);
  await screenshot(olivia, "approval-own-request-refused");
  assert.deepEqual(unexpectedErrors(olivia, [401, 403]), []);
  await olivia.context().close();

  const pia = await signedIn(kPia);
  // "Waiting for my decision" lists it for the pricing manager.
  await pia.click('nav.sections a[href="#/approvals"]');
  await pia.waitForSelector(`tr[data-task="${taskId}"]`);
  const forPia = pia.waitForResponse((r) => r.url().includes("decidable_by_me=true"));
  await pia.selectOption("#filter-approvals", "mine");
  assert.equal((await forPia).status(), 200);
  await pia.waitForSelector(`tr[data-task="${taskId}"]`);
  await screenshot(pia, "approvals-waiting-for-me");
  await pia.goto(`${server.baseUrl}/#/approvals/${taskId}`);
  await pia.waitForSelector("#approve:not([disabled])");
  await pia.click("#approve");
  await pia.fill("#confirm-comment", "within the spring promotion budget");
  await pia.click("#confirm-ok");
  await pia.waitForFunction(() => /approved/.test(document.querySelector("#task-facts")?.textContent ?? ""));
  assert.match(await pia.textContent("#decisions"), /approved by you \(Pia Pricing\): within the spring promotion budget/);
  assert.equal(await pia.$eval("#approve", (b) => b.disabled), true, "a decided task takes no more decisions");
  await screenshot(pia, "approval-approved");
  assert.deepEqual(unexpectedErrors(pia), []);
  await pia.context().close();
  // The task is decided, and the change released in the same transaction (publishing to the
  // storefront is the pricing job's, off in this server).
  const tasks = cli(server.dataDir, ["approvals", "list", "--as", kPia.email, "--tenant", "acme"]);
  assert.match(tasks, new RegExp(`${taskId}\\s+approved`), `the task is approved: ${tasks}`);
  const priceChanges = cli(server.dataDir, ["prices", "list", "--as", kPia.email, "--tenant", "acme"]);
  assert.match(priceChanges, /\breleased\b/, `the change is released: ${priceChanges}`);
});

test("a published workflow is promoted from dev to staging through its approval", async (t) => {
  const page = await signedIn(kAna);
  if (!(await routeExists(page, "/api/v1/tenants/acme/documents"))) {
    await page.context().close();
    t.skip("GET /api/v1/tenants/{tenant}/documents (and the other document routes) are not served yet");
    return;
  }
  const d = server.dataDir;
  const doc = ["--tenant", "acme", "--kind", "workflow", "--name", "order-capture"];
  cli(d, ["documents", "draft", ...doc, "-f", workflowTemplate, "--as", kAna.email]);
  cli(d, ["documents", "submit", ...doc, "--version", "1", "--as", kAna.email]);
  cli(d, ["documents", "approve", ...doc, "--version", "1", "--as", kDan.email, "--comment", "reviewed"]);
  cli(d, ["documents", "publish", ...doc, "--version", "1", "--env", "dev", "--as", kAna.email]);

  await page.click('nav.sections a[href="#/documents"]');
  await page.waitForSelector('tr[data-document="workflow/order-capture"]');
  await screenshot(page, "documents-list");
  await page.click('tr[data-document="workflow/order-capture"] a');
  await page.waitForSelector("#yaml");
  assert.match(await page.textContent("#yaml"), /order-capture/);
  assert.match(await page.textContent("#environments"), /dev\s*v1/);
  assert.equal(await page.$eval("#promote-dev", (b) => b.disabled), false);
  assert.equal(await page.$eval("#promote-staging", (b) => b.disabled), true, "staging runs nothing to promote");
  await screenshot(page, "document-page");

  await page.click("#promote-dev");
  await page.click("#confirm-ok");
  await page.waitForFunction(() => /Promotion dev → staging/.test(document.querySelector("#action-result")?.textContent ?? ""));
  // The promotion waits for a release manager.
  const pending = cli(d, ["approvals", "list", "--as", kRita.email, "--tenant", "acme"]);
  const taskId = pending.match(/apr_\w+(?=\s+pending\s+document_promotion)/)?.[0];
  assert.ok(taskId, `a promotion approval is pending: ${pending}`);
  assert.equal(await page.getAttribute("#approval-link", "href"), `#/approvals/${taskId}`);
  cli(d, ["approvals", "approve", taskId, "--as", kRita.email, "--tenant", "acme", "--comment", "ship it"]);
  await page.click("#promote-dev");
  await page.click("#confirm-ok");
  await page.waitForFunction(() => /staging\s*v1/.test(document.querySelector("#environments")?.textContent ?? ""));
  assert.equal(await page.$eval("#promote-dev", (b) => b.disabled), true, "staging runs what dev runs");
  await screenshot(page, "document-promoted");

  // A second version: the page compares it with the first.
  const v2 = path.join(d, "order-capture-v2.yaml");
  writeFileSync(v2, readFileSync(workflowTemplate, "utf8").replace("as business key.",
    "as business key (reviewed in e2e)."));
  cli(d, ["documents", "draft", ...doc, "-f", v2, "--as", kAna.email]);
  await page.reload();
  await page.waitForSelector("#yaml");
  assert.match(await page.textContent("h2"), /Version 2 · draft/);
  assert.equal(await page.$eval("#submit-version", (b) => b.disabled), false, "a draft can be submitted");
  await page.selectOption("#diff-from", "1");
  await page.selectOption("#diff-to", "2");
  await page.click("#show-diff");
  await page.waitForFunction(() => /description/.test(document.querySelector("#diff-output")?.textContent ?? ""));
  assert.match(await page.textContent("#diff-output"), /~ metadata\.description: .*reviewed in e2e/);
  await screenshot(page, "document-diff");
  assert.deepEqual(unexpectedErrors(page), []);
  await page.context().close();
});
