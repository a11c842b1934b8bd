// The audit log: the tenant's hash-chained audit trail, searched by actor, action prefix, object
// and time (the filters live in the route, #/audit?object_type=run&object_id=..., so other pages
// link to an object's events), paged by cursor, each event opened to its digests and hashes; a
// Verify button that checks the whole stored chain and says what it found (the first bad event
// and why, or how many events and signed checkpoints verified); and, for people holding
// audit.export, the filtered trail as a CSV or JSON lines file.
import { api, ApiError, type Me } from "../api";
import { clear, h } from "../dom";
import type { Json } from "../lib/jsonpatch";
import { loadPeople, personName } from "../lib/people";
import { focusHeading, formatTime, problemText, tenantPath } from "../ui";

interface AuditEvent {
  seq: number;
  at: string;
  actor: string;
  action: string;
  object_type: string;
  object_id: string;
  reason: string;
  before_digest: string;
  after_digest: string;
  details: Json;
  prev_hash?: string;
  hash: string;
}

interface AuditPage {
  items: AuditEvent[];
  next_cursor: string;
}

export interface AuditVerification {
  ok: boolean;
  fault: string;
  seq: number;
  message: string;
  first_seq: number;
  last_seq: number;
  events: number;
  checkpoints: number;
  summary: string;
}

const kFilters = ["actor", "action", "object_type", "object_id", "from", "to"] as const;
type FilterName = typeof kFilters[number];

function routeQuery(): URLSearchParams {
  const at = location.hash.indexOf("?");
  return new URLSearchParams(at < 0 ? "" : location.hash.slice(at + 1));
}

function toRfc3339(local: string): string {
  if (!local) return "";
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? local : d.toISOString().replace(/\.\d{3}Z$/, "Z");
}
function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function invalidField(e: unknown): string {
  if (!(e instanceof ApiError)) return "";
  const params = (e.problem as { "invalid-params"?: { name?: string }[] })["invalid-params"];
  return params?.[0]?.name ?? "";
}

// What a verification found, in words.
export function verificationText(v: AuditVerification): string {
  if (v.ok) {
    if (v.events === 0) return "Nothing to verify yet: the trail has no events.";
    return `The chain verifies: ${v.events} events (#${v.first_seq} to #${v.last_seq}), ` +
      `${v.checkpoints} signed checkpoint${v.checkpoints === 1 ? "" : "s"}.`;
  }
  const where = v.seq ? `event #${v.seq}` : "the chain";
  return `The chain does NOT verify: ${where} fails (${v.fault.replace(/_/g, " ")}): ${v.message}`;
}

export function renderAudit(main: HTMLElement, me: Me, tenant: string, _rest: string[]): void {
  const access = me.tenants.find((t) => t.id === tenant);
  const canExport = access?.permissions.includes("audit.export") ?? false;
  const query = routeQuery();
  const inputs: Record<FilterName, HTMLInputElement> = {
    actor: h("input", { id: "audit-actor", type: "text", placeholder: "user:usr_… or system:runtime",
      list: "audit-people" }),
    action: h("input", { id: "audit-action", type: "text", placeholder: "exception. or run.transition" }),
    object_type: h("input", { id: "audit-object-type", type: "text", placeholder: "run, exception_case, price_change…" }),
    object_id: h("input", { id: "audit-object-id", type: "text" }),
    from: h("input", { id: "audit-from", type: "datetime-local" }),
    to: h("input", { id: "audit-to", type: "datetime-local" }),
  };
  const labels: Record<FilterName, string> = {
    actor: "Who (actor)", action: "Action starts with", object_type: "Object type",
    object_id: "Object id", from: "From", to: "Before",
  };
  for (const name of kFilters) {
    const v = query.get(name) ?? "";
    inputs[name].value = name === "from" || name === "to" ? toLocalInput(v) : v;
  }
  // The people of the tenant as suggestions for "Who": their names shown, their principal filled in.
  const people = h("datalist", { id: "audit-people" },
    h("option", { value: "system:runtime" }, "The workflow engine"));
  void api.get<{ items: { principal: string; display_name: string; email?: string }[] }>(
    tenantPath(tenant, "/people"))
    .then((page) => {
      for (const p of page.items ?? []) {
        people.append(h("option", { value: p.principal }, p.display_name || p.email || p.principal));
      }
    })
    .catch(() => { /* suggestions only: the filter still takes a typed principal */ });
  const formError = h("p", { class: "form-error", id: "audit-error", role: "alert" });
  const form = h("form", { class: "actions filters", role: "search", "aria-label": "Search the audit log",
    novalidate: true },
  ...kFilters.map((name) => h("div", { class: "field" },
    h("label", { for: inputs[name].id }, labels[name]), inputs[name])),
  h("button", { type: "submit", class: "primary", id: "audit-search" }, "Search"),
  h("button", { type: "button", id: "audit-clear" }, "Clear filters"));

  const verify = h("button", { type: "button", id: "audit-verify" }, "Verify the chain");
  const verifyResult = h("p", { class: "result", id: "audit-verify-result", role: "status" });
  const exportLinks = h("span", { class: "actions", id: "audit-export" });

  const tbody = h("tbody");
  const table = h("table", { class: "list", id: "audit-table" },
    h("thead", {}, h("tr", {}, ...["#", "When", "Who", "Action", "Object", "Reason", ""]
      .map((t) => h("th", { scope: "col" }, t)))),
    tbody);
  const status = h("p", { class: "empty", id: "audit-status", role: "status" }, "Loading…");
  const more = h("button", { type: "button", id: "audit-more", hidden: true }, "Load more");

  main.replaceChildren(h("h1", {}, "Audit log"),
    h("section", { class: "card", "aria-labelledby": "audit-verify-title" },
      h("h2", { id: "audit-verify-title" }, "Integrity"),
      h("p", { class: "hint" }, "Every event is chained to the one before it by its hash, and the chain is " +
        "signed at checkpoints. Verifying re-reads the whole stored chain."),
      h("div", { class: "actions" }, verify, canExport ? exportLinks : null),
      verifyResult),
    form, people, formError, status, table, more);
  table.hidden = true;

  const filters = (): URLSearchParams => {
    const p = new URLSearchParams();
    for (const name of kFilters) {
      const raw = inputs[name].value.trim();
      const v = name === "from" || name === "to" ? toRfc3339(raw) : raw;
      if (v) p.set(name, v);
    }
    return p;
  };
  const showExportLinks = () => {
    const base = tenantPath(tenant, "/audit/export");
    const p = filters();
    const link = (format: string, label: string) => {
      const q = new URLSearchParams(p);
      q.set("format", format);
      return h("a", { href: `/api/v1${base}?${q.toString()}`, download: `audit-${tenant}.${format}`,
        id: `audit-export-${format}` }, label);
    };
    exportLinks.replaceChildren("Export what is shown: ", link("csv", "CSV"), " · ", link("jsonl", "JSON lines"));
  };

  const eventRows = (e: AuditEvent): HTMLElement[] => {
    const detailsId = `audit-event-${e.seq}`;
    const toggle = h("button", { type: "button", class: "link", "aria-expanded": "false",
      "aria-controls": detailsId }, "Details");
    const facts = h("dl", { class: "facts" },
      h("dt", {}, "Actor"), h("dd", {}, e.actor),
      h("dt", {}, "Before (digest)"), h("dd", {}, h("code", {}, e.before_digest || "—")),
      h("dt", {}, "After (digest)"), h("dd", {}, h("code", {}, e.after_digest || "—")),
      h("dt", {}, "Previous hash"), h("dd", {}, h("code", {}, e.prev_hash || "—")),
      h("dt", {}, "Hash"), h("dd", {}, h("code", {}, e.hash)),
      h("dt", {}, "Details"), h("dd", {}, h("pre", {}, JSON.stringify(e.details ?? {}, null, 2))));
    const detailRow = h("tr", { id: detailsId, class: "event-details", hidden: true },
      h("td", { colspan: "7" }, facts));
    toggle.addEventListener("click", () => {
      const open = detailRow.hidden;
      detailRow.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
    });
    const object = e.object_type === "run"
      ? h("a", { href: `#/runs/${encodeURIComponent(e.object_id)}` }, `run ${e.object_id}`)
      : e.object_type === "exception_case"
        ? h("a", { href: `#/exceptions/${encodeURIComponent(e.object_id)}` }, `case ${e.object_id}`)
        : e.object_type === "approval_task" || e.object_type === "approval"
          ? h("a", { href: `#/approvals/${encodeURIComponent(e.object_id)}` }, `approval ${e.object_id}`)
          : `${e.object_type.replace(/_/g, " ")} ${e.object_id}`;
    return [h("tr", { "data-seq": String(e.seq), "data-action": e.action },
      h("td", {}, String(e.seq)),
      h("td", {}, formatTime(e.at)),
      h("td", { title: e.actor }, personName(e.actor)),
      h("td", {}, e.action),
      h("td", {}, object),
      h("td", { class: "message" }, e.reason || ""),
      h("td", {}, toggle)), detailRow];
  };

  let cursor = "";
  const load = async (): Promise<void> => {
    more.disabled = true;
    formError.textContent = "";
    for (const name of kFilters) inputs[name].removeAttribute("aria-invalid");
    try {
      const p = filters();
      if (cursor) p.set("cursor", cursor);
      p.set("limit", "100");
      const [page] = await Promise.all([
        api.get<AuditPage>(`${tenantPath(tenant, "/audit")}?${p.toString()}`), loadPeople(tenant)]);
      for (const e of page.items) tbody.append(...eventRows(e));
      cursor = page.next_cursor;
      const any = tbody.childElementCount > 0;
      table.hidden = !any;
      status.textContent = any ? ""
        : filters().toString()
          ? "No event matches these filters. Widen the time range or clear the filters."
          : "The audit trail is empty. Every change people and the engine make is recorded here.";
      more.hidden = cursor === "";
    } catch (e) {
      const name = invalidField(e) as FilterName;
      if (inputs[name]) {
        inputs[name].setAttribute("aria-invalid", "true");
        formError.textContent = problemText(e, "The filters are not valid.");
        inputs[name].focus();
      } else {
        status.textContent = e instanceof ApiError && e.status === 403
          ? "You do not have access to the audit log of this tenant."
          : "The audit log could not be loaded. Try again in a moment.";
      }
    } finally {
      more.disabled = false;
    }
  };

  const apply = () => {
    const p = filters();
    history.replaceState(null, "", `#/audit${p.toString() ? `?${p.toString()}` : ""}`);
    cursor = "";
    clear(tbody);
    if (canExport) showExportLinks();
    void load();
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    apply();
  });
  form.querySelector("#audit-clear")?.addEventListener("click", () => {
    for (const name of kFilters) inputs[name].value = "";
    apply();
    inputs.actor.focus();
  });
  more.addEventListener("click", () => void load());
  verify.addEventListener("click", async () => {
    verify.disabled = true;
    verifyResult.classList.remove("error");
    verifyResult.textContent = "Verifying the chain…";
    try {
      const v = await api.post<AuditVerification>(tenantPath(tenant, "/audit/verify"), {});
      verifyResult.textContent = verificationText(v);
      verifyResult.classList.toggle("error", !v.ok);
      verifyResult.dataset.ok = String(v.ok);
    } catch (e) {
      verifyResult.textContent = problemText(e, "The chain could not be verified. Try again in a moment.");
      verifyResult.classList.add("error");
    } finally {
      verify.disabled = false;
    }
  });

  if (canExport) showExportLinks();
  void load().then(() => focusHeading(main));
}
