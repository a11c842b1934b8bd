// The exceptions inbox and a case's page. The inbox lists cases (cursor "Load more") or groups
// them by root cause; cases can be selected and acted on in bulk, always after a confirmation
// that states how many cases it touches. A case's page shows its SLA countdown, business impact,
// timeline, payload edits and audit trail, and edits the payload: the edit is turned into an
// RFC 6902 patch here, shown for confirmation, then sent with a required comment
// (edit-and-retry). Everything shown comes from the API; text only through h().
import { api, ApiError } from "../api";
import { clear, h } from "../dom";
import { describeOp, diffJson, type Json } from "../lib/jsonpatch";
import { confirmDialog, countdown, dialogValues, focusHeading, formatTime, money, problemText, tenantPath } from "../ui";

export interface ExceptionCase {
  id: string;
  run_id?: string;
  step?: string;
  error_class?: string;
  message: string;
  state: string;
  process?: string;
  category: string;
  root_cause_key?: string;
  severity: string;
  owner_team: string;
  assignee?: string;
  sla_risk: string;
  next_due_at?: string | null;
  ack_due_at?: string | null;
  resolve_due_at?: string | null;
  acknowledged_at?: string | null;
  acknowledged_by?: string;
  closed_at?: string | null;
  closed_by?: string;
  resolution?: string;
  resolution_reason?: string;
  order_value_minor?: number;
  currency?: string;
  customer_key?: string;
  policy_note?: string;
  created_at: string;
  updated_at?: string;
  payload?: Json;
  history?: Raw[];
  edits?: Raw[];
  audit?: Raw[];
}

// The case route answers governance's case JSON (times in microseconds, "status" for the case's
// state, "team", "root_cause", "impact"); the list route answers RFC 3339 times and flat names.
// Both are read into one shape here.
type Raw = Record<string, Json>;

function isoFromMicros(v: Json | undefined): string | null {
  return typeof v === "number" ? new Date(v / 1000).toISOString() : null;
}

function str(v: Json | undefined): string {
  return typeof v === "string" ? v : v === null || v === undefined ? "" : String(v);
}

function time(raw: Raw, name: string): string | null {
  const direct = raw[name];
  if (typeof direct === "string" && direct) return direct;
  return isoFromMicros(raw[`${name}_us`]);
}

export function normalizeCase(raw: Raw): ExceptionCase {
  const impact = (raw.impact && typeof raw.impact === "object" && !Array.isArray(raw.impact)
    ? raw.impact : {}) as Raw;
  const value = raw.order_value_minor ?? impact.order_value_minor;
  return {
    id: str(raw.id),
    run_id: str(raw.run_id ?? raw.run),
    step: str(raw.step),
    error_class: str(raw.error_class),
    message: str(raw.message),
    // The case's own state: "status" in the case JSON ("state" there is the engine record's).
    state: str(raw.status ?? raw.state),
    process: str(raw.process),
    category: str(raw.category),
    root_cause_key: str(raw.root_cause_key ?? raw.root_cause),
    severity: str(raw.severity),
    owner_team: str(raw.owner_team ?? raw.team),
    assignee: str(raw.assignee),
    sla_risk: str(raw.sla_risk),
    next_due_at: time(raw, "next_due_at"),
    ack_due_at: time(raw, "ack_due_at"),
    resolve_due_at: time(raw, "resolve_due_at"),
    acknowledged_at: time(raw, "acknowledged_at"),
    acknowledged_by: str(raw.acknowledged_by),
    closed_at: time(raw, "closed_at"),
    closed_by: str(raw.closed_by),
    resolution: str(raw.resolution),
    resolution_reason: str(raw.resolution_reason),
    order_value_minor: typeof value === "number" ? value : 0,
    currency: str(raw.currency ?? impact.currency),
    customer_key: str(raw.customer_key ?? impact.customer),
    policy_note: str(raw.policy_note ?? raw.policies),
    created_at: time(raw, "created_at") ?? "",
    updated_at: time(raw, "updated_at") ?? "",
    payload: raw.payload,
    history: Array.isArray(raw.history) ? (raw.history as Raw[]) : undefined,
    edits: Array.isArray(raw.edits) ? (raw.edits as Raw[]) : undefined,
    audit: Array.isArray(raw.audit) ? (raw.audit as Raw[]) : undefined,
  };
}

function normalizeGroup(raw: Raw): Group {
  return {
    root_cause_key: str(raw.root_cause_key ?? raw.root_cause),
    category: str(raw.category),
    highest_severity: str(raw.highest_severity),
    teams: Array.isArray(raw.teams) ? raw.teams.map(str) : [],
    members: Number(raw.members ?? 0),
    unresolved: Number(raw.unresolved ?? 0),
    customers: typeof raw.customers === "number" ? raw.customers : undefined,
    order_value: Array.isArray(raw.order_value)
      ? (raw.order_value as Raw[]).map((m) => ({ currency: str(m.currency), value_minor: Number(m.value_minor ?? 0) }))
      : [],
    next_due_at: time(raw, "next_due_at"),
  };
}

interface Page<T> {
  items: T[];
  next_cursor: string;
}

interface Group {
  root_cause_key: string;
  category: string;
  highest_severity: string;
  teams?: string[];
  members: number;
  unresolved: number;
  customers?: number;
  order_value?: { currency: string; value_minor: number }[];
  first_seen?: string;
  last_seen?: string;
  next_due_at?: string | null;
}

interface ActionOutcome {
  done: string[];
  skipped: { id: string; reason: string }[];
}

// The actions of the inbox: what the server calls them, how a person reads them, and whether a
// comment (the reason) is required.
const kActions: { action: string; label: string; reason: boolean }[] = [
  { action: "acknowledge", label: "Acknowledge", reason: false },
  { action: "assign", label: "Assign", reason: false },
  { action: "retry", label: "Retry", reason: false },
  { action: "resolve", label: "Resolve", reason: true },
  { action: "skip", label: "Skip", reason: true },
  { action: "cancel", label: "Cancel run", reason: true },
];

const kUnresolved = new Set(["open", "acknowledged", "retrying"]);

function base(tenant: string): string {
  return tenantPath(tenant, "");
}

async function runAction(tenant: string, action: string, target: { ids?: string[]; group?: string },
                         count: number, status: HTMLElement): Promise<boolean> {
  const spec = kActions.find((a) => a.action === action);
  if (!spec) return false;
  const what = target.group !== undefined
    ? `${count} unresolved case${count === 1 ? "" : "s"} of group "${target.group}"`
    : `${count} selected case${count === 1 ? "" : "s"}`;
  const comment = await confirmDialog({
    title: `${spec.label} ${count} case${count === 1 ? "" : "s"}?`,
    message: `This will ${spec.label.toLowerCase()} ${what}. Cases that cannot take this action are passed over and listed.`,
    confirmLabel: `${spec.label} ${count} case${count === 1 ? "" : "s"}`,
    commentLabel: spec.reason ? "Reason (required)" : "Comment (optional)",
    commentOptional: !spec.reason,
    ...(action === "assign" ? {
      fields: [{ id: "assign-team", label: "Team" }, { id: "assign-assignee", label: "Assignee (e-mail)" }],
      anyOf: "Name a team, an assignee, or both.",
    } : {}),
    danger: action === "cancel" || action === "skip",
  });
  if (comment === null) return false;
  try {
    const body: Record<string, unknown> = { action, ...target };
    if (spec.reason) body.reason = comment;
    else if (comment) body.comment = comment;
    if (action === "assign") {
      const values = dialogValues();
      if (values.get("assign-team")) body.team = values.get("assign-team");
      if (values.get("assign-assignee")) body.assignee = values.get("assign-assignee");
    }
    const out = await api.post<ActionOutcome>(`${base(tenant)}/exceptions/actions`, body);
    const skipped = out.skipped ?? [];
    status.textContent = `${spec.label}: ${out.done?.length ?? 0} done` +
      (skipped.length ? `, ${skipped.length} passed over (${skipped.map((s) => `${s.id}: ${s.reason}`).join("; ")})` : ".");
    return true;
  } catch (e) {
    status.textContent = problemText(e, `${spec.label} failed. Try again in a moment.`);
    return false;
  }
}

function tabs(tenant: string, current: "cases" | "groups"): HTMLElement {
  void tenant;
  return h("nav", { class: "tabs", "aria-label": "Exceptions views" },
    h("a", { href: "#/exceptions", "aria-current": current === "cases" ? "page" : undefined }, "Cases"),
    h("a", { href: "#/exceptions/groups", "aria-current": current === "groups" ? "page" : undefined },
      "Grouped by root cause"));
}

// `canAudit`: the person holds audit.read, so the case page shows the case's audit trail.
let showAudit = false;

export function renderExceptions(main: HTMLElement, tenant: string, rest: string[],
                                 canAudit = false): void {
  showAudit = canAudit;
  if (rest[0] === "groups") return renderGroups(main, tenant);
  if (rest[0]) return renderCase(main, tenant, decodeURIComponent(rest[0]));
  renderCaseList(main, tenant);
}

function renderCaseList(main: HTMLElement, tenant: string): void {
  const selected = new Set<string>();
  const states = new Map<string, string>();
  const tbody = h("tbody");
  const all = h("input", { type: "checkbox", id: "select-all", "aria-label": "Select all listed cases" });
  const table = h("table", { class: "list", id: "inbox-table" },
    h("thead", {}, h("tr", {},
      h("th", { scope: "col", class: "check" }, all),
      ...["Case", "Severity", "State", "Category", "Team", "SLA", "Impact", "Opened"]
        .map((t) => h("th", { scope: "col" }, t)))),
    tbody);
  const status = h("p", { class: "empty", id: "inbox-status", role: "status" }, "Loading…");
  const result = h("p", { class: "result", id: "action-result", role: "status" });
  const more = h("button", { type: "button", id: "load-more", hidden: true }, "Load more");
  const actionSelect = h("select", { id: "bulk-action", "aria-label": "Action" },
    ...kActions.map((a) => h("option", { value: a.action }, a.label)));
  const apply = h("button", { type: "button", id: "bulk-apply", class: "primary", disabled: true },
    "Apply to 0 selected");
  const bar = h("div", { class: "bulkbar", role: "group", "aria-label": "Bulk actions" },
    h("span", { id: "selected-count" }, "0 selected"), actionSelect, apply);
  // Filters: the API's own (state, severity, sort); kept in sessionStorage for this tab.
  const select = (id: string, label: string, options: [string, string][]) => {
    const el = h("select", { id, "aria-label": label },
      ...options.map(([value, text]) => h("option", { value }, text)));
    el.value = sessionStorage.getItem(`exceptions.${id}`) ?? options[0]![0];
    el.addEventListener("change", () => {
      sessionStorage.setItem(`exceptions.${id}`, el.value);
      void load(true);
    });
    return el;
  };
  const stateFilter = select("filter-state", "State", [["unresolved", "Unresolved"], ["", "All states"],
    ["open", "Open"], ["acknowledged", "Acknowledged"], ["retrying", "Retrying"], ["resolved", "Resolved"]]);
  const severityFilter = select("filter-severity", "Severity", [["", "Any severity"], ["P1", "P1"],
    ["P2", "P2"], ["P3", "P3"], ["P4", "P4"]]);
  const sortFilter = select("filter-sort", "Sort", [["sla_risk", "Nearest deadline first"],
    ["business_impact", "Largest order value first"], ["oldest", "Oldest first"]]);
  const filters = h("div", { class: "actions filters", role: "group", "aria-label": "Filters" },
    h("label", { for: "filter-state" }, "Show"), stateFilter, severityFilter, sortFilter);
  main.replaceChildren(h("h1", {}, "Exceptions"), tabs(tenant, "cases"), filters, bar, result, status, table, more);
  table.hidden = true;

  const refreshBar = () => {
    const n = selected.size;
    (bar.querySelector("#selected-count") as HTMLElement).textContent = `${n} selected`;
    apply.textContent = `Apply to ${n} selected`;
    apply.disabled = n === 0;
    const boxes = tbody.querySelectorAll<HTMLInputElement>("input[type=checkbox]");
    all.checked = boxes.length > 0 && n === boxes.length;
  };
  all.addEventListener("change", () => {
    for (const box of tbody.querySelectorAll<HTMLInputElement>("input[type=checkbox]")) {
      box.checked = all.checked;
      if (all.checked) selected.add(box.value);
      else selected.delete(box.value);
    }
    refreshBar();
  });

  let cursor = "";
  const load = async (reset: boolean): Promise<void> => {
    more.disabled = true;
    if (reset) {
      cursor = "";
      clear(tbody);
      selected.clear();
      refreshBar();
    }
    try {
      const params = new URLSearchParams();
      if (stateFilter.value) params.set("state", stateFilter.value);
      if (severityFilter.value) params.set("severity", severityFilter.value);
      params.set("sort", sortFilter.value);
      if (cursor) params.set("cursor", cursor);
      const page = await api.get<Page<Raw>>(`${base(tenant)}/exceptions?${params.toString()}`);
      for (const c of page.items.map(normalizeCase)) {
        states.set(c.id, c.state);
        const box = h("input", { type: "checkbox", value: c.id, "aria-label": `Select case ${c.id}` });
        box.addEventListener("change", () => {
          if (box.checked) selected.add(c.id);
          else selected.delete(c.id);
          refreshBar();
        });
        const sla = c.next_due_at && kUnresolved.has(c.state) ? countdown(c.next_due_at) : null;
        tbody.append(h("tr", { "data-case": c.id },
          h("td", { class: "check" }, box),
          // The message names the case (clamped to two lines; the id is the link's title).
          h("td", { class: "message" }, h("a", { href: `#/exceptions/${encodeURIComponent(c.id)}`,
            title: c.id }, c.message || c.id)),
          h("td", {}, h("span", { class: `sev sev-${c.severity}` }, c.severity)),
          h("td", {}, c.state),
          h("td", {}, c.category),
          h("td", {}, c.owner_team),
          h("td", { class: `risk risk-${c.sla_risk}` },
            c.sla_risk.replace("_", " ") + (sla ? ` (${sla.text})` : "")),
          h("td", {}, c.order_value_minor ? money(c.order_value_minor, c.currency ?? "") : "—"),
          h("td", {}, formatTime(c.created_at))));
      }
      cursor = page.next_cursor;
      const any = tbody.childElementCount > 0;
      table.hidden = !any;
      bar.hidden = !any;
      const onlyUnresolved = stateFilter.value === "unresolved" && severityFilter.value === "";
      const filtered = stateFilter.value !== "" || severityFilter.value !== "";
      status.textContent = any ? "" : onlyUnresolved
        ? "No unresolved exceptions. When a run fails, its case appears here with its SLA and owner; choose \u201cAll states\u201d to see closed cases."
        : filtered
          ? "No exceptions match these filters. Choose \u201cAll states\u201d and \u201cAny severity\u201d to see every case."
          : "No exceptions. When a run fails, its case appears here with its SLA and owner.";
      more.hidden = cursor === "";
      refreshBar();
    } catch (e) {
      status.textContent = e instanceof ApiError && e.status === 403
        ? "You do not have access to this list on this tenant."
        : "The list could not be loaded. Try again in a moment.";
    } finally {
      more.disabled = false;
    }
  };
  apply.addEventListener("click", async () => {
    const ids = [...selected];
    if (await runAction(tenant, actionSelect.value, { ids }, ids.length, result)) {
      await load(true);
      result.focus();
    }
  });
  more.addEventListener("click", () => void load(false));
  void load(true);
}

function renderGroups(main: HTMLElement, tenant: string): void {
  const status = h("p", { class: "empty", id: "inbox-status", role: "status" }, "Loading…");
  const result = h("p", { class: "result", id: "action-result", role: "status" });
  const list = h("div", { class: "groups", id: "group-list" });
  main.replaceChildren(h("h1", {}, "Exceptions"), tabs(tenant, "groups"), result, status, list);
  const load = async () => {
    try {
      const answer = await api.get<Raw[] | Page<Raw>>(`${base(tenant)}/exception-groups`);
      const groups = (Array.isArray(answer) ? answer : answer.items).map(normalizeGroup);
      clear(list);
      for (const g of groups) {
        const actions = h("div", { class: "actions" });
        for (const a of kActions) {
          const b = h("button", { type: "button", "data-action": a.action,
            disabled: g.unresolved === 0 }, `${a.label} ${g.unresolved}…`);
          b.addEventListener("click", async () => {
            if (await runAction(tenant, a.action, { group: g.root_cause_key }, g.unresolved, result)) {
              await load();
              result.focus();
            }
          });
          actions.append(b);
        }
        const value = (g.order_value ?? []).map((m) => money(m.value_minor, m.currency)).join(" + ");
        list.append(h("section", { class: "group card", "data-group": g.root_cause_key },
          h("h2", {}, h("span", { class: `sev sev-${g.highest_severity}` }, g.highest_severity), " ",
            g.category, " · ", h("code", {}, g.root_cause_key)),
          h("p", {}, `${g.unresolved} unresolved of ${g.members}` +
            (g.customers !== undefined ? ` · ${g.customers} customer${g.customers === 1 ? "" : "s"}` : "") +
            (value ? ` · order value ${value}` : "") +
            (g.teams?.length ? ` · teams: ${g.teams.join(", ")}` : "") +
            (g.next_due_at ? ` · next deadline ${countdown(g.next_due_at).text}` : "")),
          actions));
      }
      status.textContent = groups.length ? "" :
        "No unresolved exceptions to group. Failures with the same root cause are grouped here.";
    } catch (e) {
      status.textContent = problemText(e, "The groups could not be loaded. Try again in a moment.");
    }
  };
  void load();
}

function dl(pairs: [string, Node | string][]): HTMLElement {
  return h("dl", { class: "facts" }, ...pairs.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

// One run event or payload edit: when, what, where; its payload (or diff) folded away.
function eventLine(e: Raw): HTMLElement {
  const at = str(e.at ?? e.time ?? e.created_at);
  const kind = str(e.kind ?? e.type ?? e.event ?? e.action) || "edit";
  const bulky = new Set(["payload", "diff", "details"]);
  const known = new Set(["at", "time", "created_at", "kind", "type", "event", "action", "seq", ...bulky]);
  const rest = Object.entries(e).filter(([k, v]) => !known.has(k) && v !== null && v !== "" && v !== 0);
  const folded = [...bulky].filter((k) => e[k] !== undefined && e[k] !== null &&
    !(typeof e[k] === "object" && Object.keys(e[k] as object).length === 0));
  return h("li", {},
    h("time", { datetime: at }, formatTime(at)), " ",
    h("strong", {}, kind),
    rest.length ? h("span", { class: "detail" }, " · ",
      rest.map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`).join(" · ")) : null,
    ...folded.map((k) => h("details", {}, h("summary", {}, k),
      h("pre", {}, JSON.stringify(e[k], null, 2)))));
}

// `refresh`: the same case again (a retry in flight): keep focus and skip the loading state.
// `note`: what the last action did, shown on the re-read page.
function renderCase(main: HTMLElement, tenant: string, id: string, refresh = false, note = ""): void {
  const status = h("p", { class: "empty", id: "case-status", role: "status" }, "Loading…");
  if (!refresh) {
    main.replaceChildren(h("p", {}, h("a", { href: "#/exceptions" }, "← Exceptions")),
      h("h1", {}, `Case ${id}`), status);
  }
  const path = `${base(tenant)}/exceptions/${encodeURIComponent(id)}`;
  void (async () => {
    let c: ExceptionCase;
    try {
      c = normalizeCase(await api.get<Raw>(path));
      if (showAudit) {
        // The audit trail of this case: every human action on it, from the tenant's chain.
        try {
          const audit = await api.get<Page<Raw>>(tenantPath(tenant,
            `/audit?object_type=exception_case&object_id=${encodeURIComponent(id)}&limit=200`));
          c.audit = audit.items.map((e) => ({ at: e.at ?? "", action: e.action ?? "",
            actor: e.actor ?? "", reason: e.reason ?? "" }));
        } catch {
          c.audit = undefined;  // the case still shows; only its trail is missing
        }
      }
    } catch (e) {
      status.textContent = problemText(e, "The case could not be loaded. Try again in a moment.");
      return;
    }
    const result = h("p", { class: "result", id: "action-result", role: "status" }, note);
    const open = kUnresolved.has(c.state);
    // The payload can be edited while nothing is in flight.
    const editable = c.state === "open" || c.state === "acknowledged";

    // SLA: a live countdown to each deadline that still matters.
    const sla = h("div", { class: "card", id: "sla" }, h("h2", {}, "SLA"));
    const slaBody = h("div");
    sla.append(slaBody);
    const tick = () => {
      if (!sla.isConnected && slaBody.childElementCount) return false;
      const rows: [string, Node | string][] = [["Risk", c.sla_risk.replace("_", " ")]];
      const deadline = (label: string, iso: string | null | undefined, done: string | null | undefined) => {
        if (!iso) return;
        const cd = countdown(iso);
        rows.push([label, done ? `met (${formatTime(done)})` :
          h("span", { class: cd.overdue ? "overdue" : "due" }, `${formatTime(iso)} · ${cd.text}`)]);
      };
      deadline("Acknowledge by", c.ack_due_at, c.acknowledged_at);
      deadline("Resolve by", c.resolve_due_at, c.closed_at);
      slaBody.replaceChildren(dl(rows));
      return true;
    };
    tick();
    if (open) {
      const timer = window.setInterval(() => { if (!tick() || !sla.isConnected) clearInterval(timer); }, 30000);
    }

    const impact = h("div", { class: "card", id: "impact" }, h("h2", {}, "Business impact"),
      dl([["Order value", c.order_value_minor ? money(c.order_value_minor, c.currency ?? "") : "—"],
        ["Customer", c.customer_key || "—"],
        ["Severity", c.severity],
        ...(c.policy_note ? [["Policy", c.policy_note] as [string, string]] : [])]));

    const facts = h("div", { class: "card", id: "facts" }, h("h2", {}, "Case"),
      dl([["State", c.state + (c.resolution ? ` (${c.resolution})` : "")],
        ["Message", c.message], ["Category", c.category],
        ["Root cause", c.root_cause_key || "—"], ["Process", c.process || "—"],
        ["Run / step", `${c.run_id ?? "—"} / ${c.step ?? "—"}`],
        ["Team", c.owner_team || "—"], ["Assignee", c.assignee || "—"],
        ["Opened", formatTime(c.created_at)],
        ...(c.resolution_reason ? [["Reason", c.resolution_reason] as [string, string]] : [])]));

    const actions = h("div", { class: "actions", id: "case-actions" });
    for (const a of kActions) {
      const b = h("button", { type: "button", "data-action": a.action, disabled: !open }, a.label);
      b.addEventListener("click", async () => {
        if (await runAction(tenant, a.action, { ids: [c.id] }, 1, result)) {
          renderCase(main, tenant, id, true, result.textContent ?? "");
        }
      });
      actions.append(b);
    }

    const list = (title: string, htmlId: string, items: Raw[] | undefined, empty: string) =>
      h("section", { class: "card", id: htmlId }, h("h2", {}, title),
        items && items.length ? h("ol", { class: "timeline" }, ...items.map(eventLine)) :
          h("p", { class: "empty" }, empty));

    status.remove();
    main.replaceChildren(
      h("p", {}, h("a", { href: "#/exceptions" }, "← Exceptions")),
      h("h1", {}, h("span", { class: `sev sev-${c.severity}` }, c.severity), ` ${c.message}`),
      result, actions,
      h("div", { class: "cards" }, facts, sla, impact),
      list("Timeline", "timeline", c.history, "The run has no recorded events."),
      payloadEditor(tenant, c, editable, result, () => renderCase(main, tenant, id, true, result.textContent ?? "")),
      list("Payload edits", "edits", c.edits, "The payload has not been edited."),
      ...(c.audit ? [list("Audit trail", "audit", c.audit, "No audit events for this case.")] : []));
    if (!refresh) focusHeading(main);
    // A retry is running: show its outcome when it lands, while this page is still shown.
    if (c.state === "retrying") {
      const marker = main.querySelector("#facts");
      window.setTimeout(() => {
        if (marker?.isConnected) renderCase(main, tenant, id, true, note);
      }, 2000);
    }
  })();
}

function payloadEditor(tenant: string, c: ExceptionCase, open: boolean, result: HTMLElement,
                       reload: () => void): HTMLElement {
  const section = h("section", { class: "card", id: "payload" }, h("h2", {}, "Payload"));
  const status = h("p", { class: "empty", role: "status" }, "Loading the payload…");
  section.append(status);
  const path = `${base(tenant)}/exceptions/${encodeURIComponent(c.id)}/payload`;
  void (async () => {
    let original: Json;
    try {
      original = await api.get<Json>(path);
    } catch (e) {
      if (c.payload === undefined) {
        status.textContent = problemText(e, "The payload could not be loaded.");
        return;
      }
      original = c.payload;
    }
    const text = JSON.stringify(original, null, 2);
    const area = h("textarea", { id: "payload-editor", rows: String(Math.min(24, text.split("\n").length + 1)),
      spellcheck: "false", "aria-label": "Payload (JSON)", readonly: !open });
    area.value = text;
    const error = h("p", { class: "form-error", role: "alert", id: "payload-error" });
    const review = h("button", { type: "button", class: "primary", id: "edit-and-retry", disabled: !open },
      "Review changes and retry…");
    const reset = h("button", { type: "button", id: "payload-reset", disabled: !open }, "Undo edits");
    reset.addEventListener("click", () => { area.value = text; error.textContent = ""; });
    review.addEventListener("click", async () => {
      error.textContent = "";
      let edited: Json;
      try {
        edited = JSON.parse(area.value) as Json;
      } catch (e) {
        error.textContent = `The payload is not valid JSON: ${(e as Error).message}`;
        area.focus();
        return;
      }
      const patch = diffJson(original, edited);
      if (patch.length === 0) {
        error.textContent = "Nothing changed: edit the payload first.";
        area.focus();
        return;
      }
      const diff = h("ul", { class: "patch", id: "patch-preview" },
        ...patch.map((op) => h("li", { class: `op-${op.op}` }, describeOp(op, original))));
      const comment = await confirmDialog({
        title: `Retry with ${patch.length} change${patch.length === 1 ? "" : "s"}?`,
        message: h("div", {}, h("p", {}, "These changes are applied to the payload, then the run is retried:"), diff),
        confirmLabel: "Edit and retry",
        commentLabel: "Comment (required): why this change",
      });
      if (comment === null) return;
      try {
        await api.post(`${base(tenant)}/exceptions/${encodeURIComponent(c.id)}/edit-and-retry`,
          { patch, comment });
        result.textContent = "Payload edited; the run is being retried.";
        reload();
      } catch (e) {
        error.textContent = problemText(e, "Edit and retry failed. Try again in a moment.");
      }
    });
    status.remove();
    section.append(
      h("p", { class: "hint" }, open ? "Edit the JSON, then review the changes before the run is retried."
        : c.state === "retrying" ? "A retry is running: the payload is read-only until it ends."
        : "The case is closed: the payload is read-only."),
      area, error, h("div", { class: "actions" }, review, reset));
  })();
  return section;
}
