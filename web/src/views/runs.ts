// Runs: the list (newest first, filtered by state, workflow and creation time, searched by a
// business key such as the order number "#1001" or the ERP's externalDocumentNumber; "Load
// more" pages by cursor; refreshed live on "run" events, keeping filters and scroll position)
// and a run's page: its step timeline with every attempt (time, duration, outcome, error class,
// request/response summaries), its external calls, input and context (or when retention purged
// them), and links to its exception cases and audit events. The filters live in the route
// (#/runs?q=1001&state=failed), so a filtered list can be linked to and survives a reload.
import { api, ApiError, type Me } from "../api";
import { clear, h } from "../dom";
import type { Json } from "../lib/jsonpatch";
import { subscribe } from "../live";
import { focusHeading, formatTime, problemText, tenantPath } from "../ui";

export interface RunSummary {
  id: string;
  workflow: string;
  workflow_version: number;
  state: string;
  current_step: string;
  reference: string;
  next_wake_at: string | null;
  created_at: string;
  updated_at: string;
}

interface RunPage {
  items: RunSummary[];
  next_cursor: string;
}

interface Retention {
  action: string;
  at?: string;
  rule?: string;
}

interface TimelineEntry {
  seq: number;
  at: string;
  kind: string;
  step: string;
  attempt: number;
  outcome: string;
  error_class: string;
  message: string;
  duration_ms: number | null;
  request_summary: string;
  response_summary: string;
  approval_id?: string;
  exception_id?: string;
  payload: Json;
}

interface Call {
  step: string;
  connection: string;
  business_key: string;
  state: string;
  attempts: number;
  error_class: string;
  idempotency_key: string;
  request: Json;
  request_note?: string;
  response: Json;
  response_note?: string;
  updated_at: string;
}

interface RunDetail extends RunSummary {
  input: Json;
  input_note?: string;
  input_retention: Retention | null;
  context: Json;
  context_note?: string;
  timeline: TimelineEntry[];
  calls: Call[];
  exception_cases: { id: string; state: string; step: string; error_class: string; message: string }[];
  delivery: { id: string; connection: string; topic: string; webhook_id: string; received_at: string } | null;
  audit: { object_type: string; object_id: string };
}

const kStates = ["pending", "running", "waiting", "succeeded", "failed", "cancelled"];

// The filters of the list, as in the route's query.
interface Filters {
  q: string;
  state: string;
  workflow: string;
  created_from: string;
  created_to: string;
}

function routeQuery(): URLSearchParams {
  const hash = location.hash;
  const at = hash.indexOf("?");
  return new URLSearchParams(at < 0 ? "" : hash.slice(at + 1));
}

// "2026-11-28T07:05" (a datetime-local value, the viewer's time) <-> RFC 3339 UTC.
function toRfc3339(local: string): string {
  if (!local) return "";
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? local : d.toISOString().replace(/\.\d{3}Z$/, "Z");
}
function toLocalInput(iso: string): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function invalidField(e: unknown): string {
  if (!(e instanceof ApiError)) return "";
  const params = (e.problem as { "invalid-params"?: { name?: string }[] })["invalid-params"];
  return params?.[0]?.name ?? "";
}

function duration(ms: number | null): string {
  if (ms === null || ms === undefined) return "";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

export function renderRuns(main: HTMLElement, me: Me, tenant: string, rest: string[]): void {
  const access = me.tenants.find((t) => t.id === tenant);
  const canAudit = access?.permissions.includes("audit.read") ?? false;
  if (rest[0]) {
    void renderRun(main, tenant, decodeURIComponent(rest[0]), canAudit);
    return;
  }
  renderList(main, tenant);
}

function renderList(main: HTMLElement, tenant: string): void {
  const query = routeQuery();
  const q = h("input", { id: "runs-q", type: "search", value: query.get("q") ?? "",
    placeholder: "#1001, 1001 or SHOP-1001", "aria-describedby": "runs-q-hint" });
  const state = h("select", { id: "runs-state" }, h("option", { value: "" }, "Any state"),
    ...kStates.map((s) => h("option", { value: s }, s)));
  state.value = query.get("state") ?? "";
  const workflow = h("input", { id: "runs-workflow", type: "text", value: query.get("workflow") ?? "",
    placeholder: "order-capture" });
  const from = h("input", { id: "runs-from", type: "datetime-local",
    value: toLocalInput(query.get("created_from") ?? "") });
  const to = h("input", { id: "runs-to", type: "datetime-local",
    value: toLocalInput(query.get("created_to") ?? "") });
  const search = h("button", { type: "submit", class: "primary", id: "runs-search" }, "Search");
  const reset = h("button", { type: "button", id: "runs-clear" }, "Clear filters");
  const formError = h("p", { class: "form-error", id: "runs-error", role: "alert" });
  const field = (id: string, label: string, input: HTMLElement) =>
    h("div", { class: "field" }, h("label", { for: id }, label), input);
  const form = h("form", { class: "actions filters", role: "search", "aria-label": "Find runs",
    novalidate: true },
  field("runs-q", "Order number or business key", q),
  field("runs-state", "State", state),
  field("runs-workflow", "Workflow", workflow),
  field("runs-from", "Created from", from),
  field("runs-to", "Created before", to),
  search, reset);

  const tbody = h("tbody");
  const table = h("table", { class: "list", id: "runs-table" },
    h("thead", {}, h("tr", {}, ...["Run", "Workflow", "State", "Step", "Created", "Updated"]
      .map((t) => h("th", { scope: "col" }, t)))),
    tbody);
  const status = h("p", { class: "empty", id: "runs-status", role: "status" }, "Loading…");
  const more = h("button", { type: "button", id: "runs-more", hidden: true }, "Load more");
  main.replaceChildren(h("h1", {}, "Runs"),
    form, h("p", { class: "hint", id: "runs-q-hint" },
      "Search by the storefront's order number or id, or the ERP document number; " +
      "times are in your time zone."),
    formError, status, table, more);
  table.hidden = true;

  const filters = (): Filters => ({
    q: q.value.trim(), state: state.value, workflow: workflow.value.trim(),
    created_from: toRfc3339(from.value), created_to: toRfc3339(to.value),
  });
  const params = (f: Filters): URLSearchParams => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(f)) if (v) p.set(k, v);
    return p;
  };
  let cursor = "";
  let shown = 0;
  let loading = false;

  const row = (r: RunSummary) => h("tr", { "data-run": r.id },
    h("td", {}, h("a", { href: `#/runs/${encodeURIComponent(r.id)}`, title: r.id },
      r.reference ? `Order ${r.reference}` : r.id)),
    h("td", {}, `${r.workflow} v${r.workflow_version}`),
    h("td", {}, h("span", { class: `state state-${r.state}` }, r.state)),
    h("td", {}, r.current_step || "—"),
    h("td", {}, formatTime(r.created_at)),
    h("td", {}, formatTime(r.updated_at)));

  // replace: re-read the first `limit` runs in place (live refresh) instead of appending a page.
  const load = async (replace = false, limit = 50): Promise<void> => {
    if (loading) return;
    loading = true;
    more.disabled = true;
    formError.textContent = "";
    for (const el of [q, workflow, from, to, state]) el.removeAttribute("aria-invalid");
    try {
      const p = params(filters());
      p.set("limit", String(limit));
      if (!replace && cursor) p.set("cursor", cursor);
      const page = await api.get<RunPage>(`${tenantPath(tenant, "/runs")}?${p.toString()}`);
      const scroll = window.scrollY;
      if (replace) clear(tbody);
      for (const r of page.items) tbody.append(row(r));
      if (replace) window.scrollTo(0, scroll);
      shown = tbody.childElementCount;
      cursor = page.next_cursor;
      table.hidden = shown === 0;
      const f = filters();
      const filtered = Object.values(f).some(Boolean);
      status.textContent = shown > 0 ? ""
        : f.q ? `No run was found for "${f.q}". Check the number, or search by the ERP document ` +
                "number (e.g. SHOP-1001); runs older than the retention period are deleted."
          : filtered ? "No run matches these filters. Clear the filters to see every run."
            : "No runs yet. Runs start when a connected storefront sends an order; they appear here as they arrive.";
      more.hidden = cursor === "";
    } catch (e) {
      const name = invalidField(e);
      const input = ({ q, state, workflow, created_from: from, created_to: to } as
        Record<string, HTMLElement>)[name];
      if (input) {
        input.setAttribute("aria-invalid", "true");
        formError.textContent = problemText(e, "The filters are not valid.");
        input.focus();
      } else {
        status.textContent = e instanceof ApiError && e.status === 403
          ? "You do not have access to runs on this tenant."
          : "The runs could not be loaded. Try again in a moment.";
      }
    } finally {
      loading = false;
      more.disabled = false;
    }
  };

  const apply = () => {
    const p = params(filters());
    const hash = `#/runs${p.toString() ? `?${p.toString()}` : ""}`;
    history.replaceState(null, "", hash);  // no hashchange: the page stays, the route records it
    cursor = "";
    clear(tbody);
    void load();
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    apply();
  });
  state.addEventListener("change", apply);
  reset.addEventListener("click", () => {
    q.value = "";
    state.value = "";
    workflow.value = "";
    from.value = "";
    to.value = "";
    apply();
    q.focus();
  });
  more.addEventListener("click", () => void load());

  // Live: new and changed runs re-read the rows shown (debounced), keeping filters and scroll.
  let timer = 0;
  const refresh = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => {
      if (!table.isConnected) return;
      if (loading) {
        refresh();  // a page is being read: refresh after it
        return;
      }
      void load(true, Math.min(Math.max(shown, 50), 500));
    }, 800);
  };
  const stop = subscribe(tenant, ["run"], () => {
    if (!table.isConnected) {
      stop();
      return;
    }
    refresh();
  });
  const watch = window.setInterval(() => {
    if (!table.isConnected) {
      stop();
      window.clearInterval(watch);
    }
  }, 5000);

  void load().then(() => focusHeading(main));
}

function bodyView(id: string, value: Json, note: string | undefined, empty: string): HTMLElement {
  if (note) return h("p", { class: "muted", id }, `The payload was ${note}.`);
  if (value === null || value === undefined) return h("p", { class: "muted", id }, empty);
  return h("pre", { id }, JSON.stringify(value, null, 2));
}

async function renderRun(main: HTMLElement, tenant: string, id: string, canAudit: boolean): Promise<void> {
  const status = h("p", { class: "empty", id: "run-status", role: "status" }, "Loading…");
  main.replaceChildren(h("p", {}, h("a", { href: "#/runs" }, "← Runs")), h("h1", {}, "Run"), status);
  let run: RunDetail;
  try {
    run = await api.get<RunDetail>(tenantPath(tenant, `/runs/${encodeURIComponent(id)}`));
  } catch (e) {
    status.textContent = problemText(e, "The run could not be loaded. Try again in a moment.");
    focusHeading(main);
    return;
  }
  const title = run.reference ? `Order ${run.reference}` : `Run ${run.id}`;
  const facts = h("dl", { class: "facts", id: "run-facts" },
    h("dt", {}, "Run"), h("dd", {}, run.id),
    h("dt", {}, "Workflow"), h("dd", {}, `${run.workflow} v${run.workflow_version}`),
    h("dt", {}, "State"), h("dd", { id: "run-state" }, run.state),
    h("dt", {}, "Current step"), h("dd", {}, run.current_step || "—"),
    h("dt", {}, "Created"), h("dd", {}, formatTime(run.created_at)),
    h("dt", {}, "Updated"), h("dd", {}, formatTime(run.updated_at)),
    run.next_wake_at ? h("dt", {}, "Next wake-up") : null,
    run.next_wake_at ? h("dd", {}, formatTime(run.next_wake_at)) : null,
    h("dt", {}, "Delivery"),
    h("dd", {}, run.delivery
      ? `${run.delivery.topic} from ${run.delivery.connection}, received ${formatTime(run.delivery.received_at)}`
      : "—"));

  const links = h("ul", { id: "run-links" });
  for (const c of run.exception_cases) {
    links.append(h("li", {}, h("a", { href: `#/exceptions/${encodeURIComponent(c.id)}`, class: "case-link" },
      `Exception case ${c.id}`), ` (${c.state}, ${c.error_class}): ${c.message}`));
  }
  if (canAudit) {
    const q = new URLSearchParams({ object_type: run.audit.object_type, object_id: run.audit.object_id });
    links.append(h("li", {}, h("a", { href: `#/audit?${q.toString()}`, id: "run-audit-link" },
      "Audit events of this run")));
  }
  if (!links.childElementCount) links.append(h("li", { class: "muted" }, "No exception case was opened for this run."));

  const timelineBody = h("tbody");
  for (const t of run.timeline) {
    const details: Node[] = [];
    if (t.request_summary) details.push(h("p", {}, h("strong", {}, "Request: "), h("code", {}, t.request_summary)));
    if (t.response_summary) details.push(h("p", {}, h("strong", {}, "Response: "), h("code", {}, t.response_summary)));
    if (t.approval_id) {
      details.push(h("p", {}, h("a", { href: `#/approvals/${encodeURIComponent(t.approval_id)}` }, "Open the approval")));
    }
    if (t.exception_id) {
      details.push(h("p", {}, h("a", { href: `#/exceptions/${encodeURIComponent(t.exception_id)}` },
        `Exception case ${t.exception_id}`)));
    }
    details.push(h("details", {}, h("summary", {}, "Recorded event"),
      h("pre", {}, JSON.stringify(t.payload, null, 2))));
    timelineBody.append(h("tr", { "data-kind": t.kind, "data-seq": String(t.seq) },
      h("td", {}, formatTime(t.at)),
      h("td", {}, t.step || "—"),
      h("td", {}, t.kind.replace(/_/g, " ")),
      h("td", {}, t.attempt ? String(t.attempt) : ""),
      h("td", { class: t.outcome === "failed" || t.outcome === "fail" ? "overdue" : undefined }, t.outcome || ""),
      h("td", {}, t.error_class || ""),
      h("td", {}, duration(t.duration_ms)),
      h("td", { class: "message" }, t.message ? h("p", {}, t.message) : null, ...details)));
  }
  const timeline = run.timeline.length
    ? h("table", { class: "list", id: "run-timeline" },
      h("caption", { class: "hint" }, "Duration: an attempt's call time; otherwise the time since the previous entry."),
      h("thead", {}, h("tr", {}, ...["When", "Step", "What", "Attempt", "Outcome", "Error class", "Duration", "Detail"]
        .map((c) => h("th", { scope: "col" }, c)))),
      timelineBody)
    : h("p", { class: "empty", id: "run-timeline" },
      "Nothing has happened yet: the run is waiting for the engine to pick it up.");

  const calls = run.calls.length
    ? h("table", { class: "list", id: "run-calls" },
      h("thead", {}, h("tr", {}, ...["Step", "System", "Business key", "State", "Attempts", "Error class", "Request and response"]
        .map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, ...run.calls.map((c) => h("tr", {},
        h("td", {}, c.step), h("td", {}, c.connection), h("td", {}, c.business_key || "—"),
        h("td", {}, c.state), h("td", {}, String(c.attempts)), h("td", {}, c.error_class || ""),
        h("td", {},
          h("details", {}, h("summary", {}, "Request"), bodyView("", c.request, c.request_note, "(none)")),
          h("details", {}, h("summary", {}, "Response"), bodyView("", c.response, c.response_note, "(none yet)")))))))
    : h("p", { class: "empty", id: "run-calls" }, "This run has made no external call.");

  main.replaceChildren(
    h("p", {}, h("a", { href: "#/runs" }, "← Runs")),
    h("h1", {}, title),
    h("div", { class: "card" }, facts),
    h("section", { class: "card", "aria-labelledby": "run-links-title" },
      h("h2", { id: "run-links-title" }, "Exception cases and audit"), links),
    h("section", { class: "card", "aria-labelledby": "run-timeline-title" },
      h("h2", { id: "run-timeline-title" }, "Step timeline"), timeline),
    h("section", { class: "card", "aria-labelledby": "run-calls-title" },
      h("h2", { id: "run-calls-title" }, "External calls"), calls),
    h("section", { class: "card", "aria-labelledby": "run-input-title" },
      h("h2", { id: "run-input-title" }, "Input"),
      bodyView("run-input", run.input, run.input_note, "(empty)")),
    h("section", { class: "card", "aria-labelledby": "run-context-title" },
      h("h2", { id: "run-context-title" }, "Context"),
      bodyView("run-context", run.context, run.context_note, "(empty)")));
  focusHeading(main);
}
