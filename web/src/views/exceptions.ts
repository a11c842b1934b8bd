// The exceptions inbox and a case's page. The inbox lists cases (cursor "Load more") or groups
// them by root cause; cases can be selected and acted on in bulk, always after a confirmation
// that states how many cases it touches. A case's page shows its SLA countdown, business impact,
// timeline, payload edits and audit trail, and edits the payload: the edit is turned into an
// RFC 6902 patch here, shown for confirmation, then sent with a required comment
// (edit-and-retry). Everything shown comes from the API; text only through h().
import { api, ApiError } from "../api";
import { clear, h } from "../dom";
import { describeOp, diffJson, type Json } from "../lib/jsonpatch";
import { loadPeople, personName } from "../lib/people";
import { subscribe, type LiveEvent } from "../live";
import { confirmDialog, countdown, debounce, dialogValues, focusHeading, formatTime, money, problemText, rangeText,
  shortcutHelp, tenantPath, typingTarget } from "../ui";

// A person's name for a principal ("user:usr_…" -> "Pat Doe"); an e-mail assignee reads as is.
function who(principal: string): string {
  return personName(principal);
}

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
  detachInbox?.();
  if (rest[0] === "groups") return renderGroups(main, tenant);
  if (rest[0]) return renderCase(main, tenant, decodeURIComponent(rest[0]));
  renderCaseList(main, tenant);
}

// The inbox's keyboard shortcuts, for the "?" dialog and docs/console.md.
const kShortcuts: [string[], string][] = [
  [["j", "↓"], "Move to the next case"],
  [["k", "↑"], "Move to the previous case"],
  [["Enter"], "Open the focused case"],
  [["x"], "Select or unselect the focused case (selections are kept across pages)"],
  [["/"], "Search (order number, SKU, message, customer, case or run id)"],
  [["]", "["], "Next page / previous page"],
  [["Esc"], "Leave the search box; on a case page, back to the inbox"],
  [["?"], "Show these shortcuts"],
];

const kPageSize = 100;

// The case the person last opened from the inbox: when they come back, focus returns to its row.
let lastOpened = "";
// The inbox's keyboard handler and live subscription of the page on screen (one at a time).
let detachInbox: (() => void) | null = null;

function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === "AbortError";
}

function renderCaseList(main: HTMLElement, tenant: string): void {
  detachInbox?.();
  const selected = new Set<string>();
  const tbody = h("tbody");
  const all = h("input", { type: "checkbox", id: "select-all", "aria-label": "Select all cases on this page" });
  const table = h("table", { class: "list", id: "inbox-table", "aria-describedby": "inbox-range" },
    h("caption", { class: "visually-hidden" }, "Exception cases; j and k move, Enter opens, x selects, ? lists the shortcuts"),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col", class: "check" }, all),
      ...["Case", "Severity", "State", "Category", "Team", "Assignee", "SLA", "Impact", "Opened"]
        .map((t) => h("th", { scope: "col" }, t)))),
    tbody);
  const status = h("p", { class: "empty", id: "inbox-status", role: "status" }, "Loading…");
  const result = h("p", { class: "result", id: "action-result", role: "status", tabindex: "-1" });
  const range = h("span", { class: "range", id: "inbox-range", "aria-live": "polite" });
  const prev = h("button", { type: "button", id: "page-prev", disabled: true }, "← Previous");
  const next = h("button", { type: "button", id: "page-next", disabled: true }, "Next →");
  const helpButton = h("button", { type: "button", id: "shortcuts-help", "aria-keyshortcuts": "?" }, "Keyboard shortcuts (?)");
  const pager = h("div", { class: "pager", role: "group", "aria-label": "Pages" }, range, prev, next, helpButton);
  const actionSelect = h("select", { id: "bulk-action", "aria-label": "Action" },
    ...kActions.map((a) => h("option", { value: a.action }, a.label)));
  const apply = h("button", { type: "button", id: "bulk-apply", class: "primary", disabled: true },
    "Apply to 0 selected");
  const clearSel = h("button", { type: "button", id: "bulk-clear", hidden: true }, "Clear selection");
  const count = h("span", { id: "selected-count" }, "0 selected");
  const bar = h("div", { class: "bulkbar", role: "group", "aria-label": "Bulk actions" },
    count, actionSelect, apply, clearSel);
  const liveText = h("span", { id: "inbox-live-text" });
  const liveShow = h("button", { type: "button", id: "inbox-live-show" }, "Show");
  const live = h("div", { class: "live-banner", id: "inbox-live", role: "status", hidden: true }, liveText, liveShow);

  // Filters: kept in sessionStorage for this tab. Selects apply at once; the search box after a
  // pause in typing (the read in flight is aborted, so a stale answer never replaces a newer one).
  const remember = (id: string, value: string) => sessionStorage.setItem(`exceptions.${id}`, value);
  const recall = (id: string, fallback: string) => sessionStorage.getItem(`exceptions.${id}`) ?? fallback;
  const select = (id: string, label: string, options: [string, string][]) => {
    const el = h("select", { id },
      ...options.map(([value, text]) => h("option", { value }, text)));
    el.value = recall(id, options[0]![0]);
    if (el.selectedIndex < 0) el.value = options[0]![0];
    el.addEventListener("change", () => {
      remember(id, el.value);
      void load("first");
    });
    return { el, field: h("label", { class: "field" }, label, el) };
  };
  const stateF = select("filter-state", "Show", [["unresolved", "Unresolved"], ["", "All states"],
    ["open", "Open"], ["acknowledged", "Acknowledged"], ["retrying", "Retrying"], ["resolved", "Resolved"]]);
  const severityF = select("filter-severity", "Severity", [["", "Any severity"], ["P1", "P1"],
    ["P2", "P2"], ["P3", "P3"], ["P4", "P4"]]);
  const sortF = select("filter-sort", "Sort", [["sla_risk", "Nearest deadline first"],
    ["business_impact", "Largest order value first"], ["oldest", "Oldest first"]]);
  const text = h("input", { type: "search", id: "filter-text", placeholder: "Order #, SKU, message, customer",
    "aria-keyshortcuts": "/", autocomplete: "off", maxlength: "200" });
  text.value = recall("filter-text", "");
  const team = h("input", { type: "text", id: "filter-team", placeholder: "any team", autocomplete: "off", size: "14" });
  team.value = recall("filter-team", "");
  const typed = debounce(() => {
    remember("filter-text", text.value.trim());
    remember("filter-team", team.value.trim());
    void load("first");
  }, 250);
  text.addEventListener("input", typed);
  team.addEventListener("input", typed);
  const filters = h("div", { class: "inbox-toolbar", role: "search", "aria-label": "Filter the exceptions" },
    h("label", { class: "field" }, "Search", text), stateF.field, severityF.field,
    h("label", { class: "field" }, "Team", team), sortF.field);
  main.replaceChildren(h("h1", {}, "Exceptions"), tabs(tenant, "cases"), filters, live, bar, result,
    pager, status, table);
  table.hidden = true;
  bar.hidden = true;

  const rows = () => [...tbody.querySelectorAll<HTMLTableRowElement>("tr[data-case]")];
  const refreshBar = () => {
    const n = selected.size;
    const onPage = rows().filter((r) => selected.has(r.dataset.case ?? "")).length;
    count.textContent = n === onPage ? `${n} selected` : `${n} selected (${n - onPage} on other pages)`;
    apply.textContent = `Apply to ${n} selected`;
    apply.disabled = n === 0;
    clearSel.hidden = n === 0;
    const boxes = tbody.querySelectorAll<HTMLInputElement>("input[type=checkbox]");
    all.checked = boxes.length > 0 && [...boxes].every((b) => b.checked);
    for (const r of rows()) r.classList.toggle("selected", selected.has(r.dataset.case ?? ""));
  };
  const toggle = (id: string, on: boolean) => {
    if (on) selected.add(id);
    else selected.delete(id);
    const box = tbody.querySelector<HTMLInputElement>(`input[value="${CSS.escape(id)}"]`);
    if (box) box.checked = on;
    refreshBar();
  };
  all.addEventListener("change", () => {
    for (const box of tbody.querySelectorAll<HTMLInputElement>("input[type=checkbox]")) toggle(box.value, all.checked);
  });
  clearSel.addEventListener("click", () => {
    selected.clear();
    for (const box of tbody.querySelectorAll<HTMLInputElement>("input[type=checkbox]")) box.checked = false;
    refreshBar();
    all.focus();
  });

  // Roving focus over the rows: one row is tabbable; j/k and the arrows move it.
  const focusRow = (row: HTMLTableRowElement | undefined) => {
    if (!row) return;
    for (const r of rows()) {
      r.tabIndex = r === row ? 0 : -1;
      r.classList.toggle("focused", r === row);
    }
    row.focus();
  };
  const focusedRow = () => rows().find((r) => r.classList.contains("focused"));

  // Keyset pages: cursors[i] opens page i; `first` is the number of the first case shown.
  let cursors: string[] = [""];
  let pageIndex = 0;
  let controller: AbortController | null = null;
  let newSince = 0;
  let lastTotal: { total: number | undefined; capped: boolean } | undefined;
  const params = () => {
    const p = new URLSearchParams();
    if (stateF.el.value) p.set("state", stateF.el.value);
    if (severityF.el.value) p.set("severity", severityF.el.value);
    if (text.value.trim()) p.set("q", text.value.trim());
    if (team.value.trim()) p.set("team", team.value.trim());
    p.set("sort", sortF.el.value);
    p.set("limit", String(kPageSize));
    return p;
  };

  const row = (c: ExceptionCase): HTMLTableRowElement => {
    const box = h("input", { type: "checkbox", value: c.id, "aria-label": `Select case ${c.id}`, tabindex: "-1" });
    box.checked = selected.has(c.id);
    box.addEventListener("change", () => toggle(c.id, box.checked));
    const sla = c.next_due_at && kUnresolved.has(c.state) ? countdown(c.next_due_at) : null;
    const tr = h("tr", { "data-case": c.id, tabindex: "-1", "aria-selected": selected.has(c.id) ? "true" : "false" },
      h("td", { class: "check" }, box),
      // The message names the case (clamped to two lines; the id is the link's title).
      h("td", { class: "message" }, h("a", { href: `#/exceptions/${encodeURIComponent(c.id)}`,
        title: c.id, tabindex: "-1" }, c.message || c.id)),
      h("td", {}, h("span", { class: `sev sev-${c.severity}` }, c.severity)),
      h("td", {}, c.state),
      h("td", {}, c.category),
      h("td", {}, c.owner_team),
      h("td", { class: "person" }, c.assignee ? who(c.assignee) : "—"),
      h("td", { class: `risk risk-${c.sla_risk}` },
        c.sla_risk.replace("_", " ") + (sla ? ` (${sla.text})` : "")),
      h("td", {}, c.order_value_minor ? money(c.order_value_minor, c.currency ?? "") : "—"),
      h("td", {}, formatTime(c.created_at)));
    tr.addEventListener("click", (event) => {
      const t = event.target as HTMLElement;
      if (t.closest("a, input, button")) return;
      focusRow(tr);
    });
    return tr;
  };

  const emptyText = () => {
    const teamName = team.value.trim();
    if (text.value.trim()) {
      return `No exceptions match \u201c${text.value.trim()}\u201d with these filters. Check the spelling, or clear the search box (Esc, then delete) to see every case.`;
    }
    if (stateF.el.value === "unresolved" && severityF.el.value === "") {
      return teamName
        ? `No unresolved exceptions for team ${teamName} \u2014 nothing waits for you. When a run of theirs fails, its case appears here with its SLA; clear the team box to see every team's cases.`
        : "No unresolved exceptions \u2014 nothing waits for you. When a run fails, its case appears here with its SLA and owner; choose \u201cAll states\u201d to see closed cases.";
    }
    if (stateF.el.value !== "" || severityF.el.value !== "" || teamName) {
      return "No exceptions match these filters. Choose \u201cAll states\u201d and \u201cAny severity\u201d, and clear the team box, to see every case.";
    }
    return "No exceptions. When a run fails, its case appears here with its SLA and owner.";
  };

  // Reads one page. `first`: from the start (filters changed, or "show new"); `next`/`prev`:
  // along the keyset; `same`: this page again (after an action).
  const load = async (which: "first" | "next" | "prev" | "same", focusAfter: "row" | "none" = "none"): Promise<void> => {
    typed.cancel();
    controller?.abort();
    const mine = new AbortController();
    controller = mine;
    if (which === "first") {
      cursors = [""];
      pageIndex = 0;
      newSince = 0;
      live.hidden = true;
    } else if (which === "next") {
      pageIndex = Math.min(pageIndex + 1, cursors.length - 1);
    } else if (which === "prev") {
      pageIndex = Math.max(pageIndex - 1, 0);
    }
    const p = params();
    if (cursors[pageIndex]) p.set("cursor", cursors[pageIndex]!);
    // Paging keeps the total the first page counted (the filters are the same); only a new
    // filter or an action counts again.
    const counting = which === "first" || which === "same" || lastTotal === undefined;
    if (!counting) p.set("count", "false");
    table.classList.add("loading");
    table.setAttribute("aria-busy", "true");
    try {
      const [page] = await Promise.all([
        api.get<Page<Raw> & { total?: number; total_capped?: boolean }>(
          `${base(tenant)}/exceptions?${p.toString()}`, mine.signal),
        loadPeople(tenant)]);
      if (controller !== mine) return;
      const cases = page.items.map(normalizeCase);
      const frag = document.createDocumentFragment();
      for (const c of cases) frag.append(row(c));
      tbody.replaceChildren(frag);
      cursors = cursors.slice(0, pageIndex + 1);
      if (page.next_cursor) cursors.push(page.next_cursor);
      const any = cases.length > 0;
      table.hidden = !any;
      bar.hidden = !any && selected.size === 0;
      if (counting) lastTotal = { total: page.total, capped: page.total_capped ?? false };
      range.textContent = rangeText(pageIndex * kPageSize + 1, cases.length, lastTotal?.total,
        lastTotal?.capped);
      prev.disabled = pageIndex === 0;
      next.disabled = !page.next_cursor;
      status.textContent = any ? "" : emptyText();
      refreshBar();
      const back = lastOpened ? rows().find((r) => r.dataset.case === lastOpened) : undefined;
      if (back) {
        lastOpened = "";
        focusRow(back);
      } else if (focusAfter === "row") {
        focusRow(rows()[0]);
      } else {
        const r = rows()[0];
        if (r) r.tabIndex = 0;
      }
    } catch (e) {
      if (isAbort(e) || controller !== mine) return;
      status.textContent = e instanceof ApiError && e.status === 403
        ? "You do not have access to this list on this tenant."
        : problemText(e, "The list could not be loaded. Try again in a moment.");
    } finally {
      if (controller === mine) {
        table.classList.remove("loading");
        table.removeAttribute("aria-busy");
      }
    }
  };

  apply.addEventListener("click", async () => {
    const ids = [...selected];
    if (await runAction(tenant, actionSelect.value, { ids }, ids.length, result)) {
      selected.clear();
      await load("same");
      result.focus();
    }
  });
  next.addEventListener("click", () => void load("next"));
  prev.addEventListener("click", () => void load("prev"));
  liveShow.addEventListener("click", () => void load("first", "row"));
  helpButton.addEventListener("click", () => shortcutHelp("Inbox keyboard shortcuts", kShortcuts));

  const onKey = (event: KeyboardEvent) => {
    if (!table.isConnected) return detachInbox?.();
    if (event.key === "Escape" && (event.target === text || event.target === team)) {
      event.preventDefault();
      const r = focusedRow() ?? rows()[0];
      if (r) focusRow(r);
      else (event.target as HTMLElement).blur();
      return;
    }
    if (typingTarget(event)) return;
    const current = focusedRow();
    const list = rows();
    const at = current ? list.indexOf(current) : -1;
    switch (event.key) {
      case "j":
      case "ArrowDown":
        event.preventDefault();
        focusRow(list[Math.min(at + 1, list.length - 1)]);
        break;
      case "k":
      case "ArrowUp":
        event.preventDefault();
        focusRow(list[Math.max(at - 1, 0)]);
        break;
      case "Enter":
        if (current && document.activeElement === current) {
          event.preventDefault();
          lastOpened = current.dataset.case ?? "";
          location.hash = `#/exceptions/${encodeURIComponent(lastOpened)}`;
        }
        break;
      case "x":
        if (current) {
          event.preventDefault();
          const id = current.dataset.case ?? "";
          toggle(id, !selected.has(id));
        }
        break;
      case "/":
        event.preventDefault();
        text.focus();
        text.select();
        break;
      case "]":
        if (!next.disabled) { event.preventDefault(); void load("next", "row"); }
        break;
      case "[":
        if (!prev.disabled) { event.preventDefault(); void load("prev", "row"); }
        break;
      case "?":
        event.preventDefault();
        shortcutHelp("Inbox keyboard shortcuts", kShortcuts);
        break;
    }
  };
  // A click on a case's link also remembers it, so that coming back focuses its row.
  tbody.addEventListener("click", (event) => {
    const a = (event.target as HTMLElement).closest("a");
    const tr = a?.closest("tr");
    if (tr) lastOpened = tr.dataset.case ?? "";
  });
  document.addEventListener("keydown", onKey);
  // Live: new cases are announced, never inserted under the operator's cursor; "Show" reads the
  // first page again.
  const unsubscribe = subscribe(tenant, ["exception"], (e: LiveEvent) => {
    if (!table.isConnected) return detachInbox?.();
    if (!/\.open(ed)?$/.test(e.action)) return;
    newSince += 1;
    liveText.textContent = `${newSince} new exception${newSince === 1 ? "" : "s"} since this list was read \u2014`;
    live.hidden = false;
  });
  detachInbox = () => {
    document.removeEventListener("keydown", onKey);
    unsubscribe();
    controller?.abort();
    detachInbox = null;
  };
  void load("first");
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
  if (!refresh) {
    // Esc (outside fields and dialogs) goes back to the inbox, which focuses this case's row.
    lastOpened = id;
    const onKey = (event: KeyboardEvent) => {
      if (!main.isConnected || !location.hash.startsWith(`#/exceptions/${encodeURIComponent(id)}`)) {
        detachInbox?.();
        return;
      }
      if (event.key !== "Escape" || typingTarget(event)) return;
      event.preventDefault();
      location.hash = "#/exceptions";
    };
    document.addEventListener("keydown", onKey);
    detachInbox = () => {
      document.removeEventListener("keydown", onKey);
      detachInbox = null;
    };
  }
  const status = h("p", { class: "empty", id: "case-status", role: "status" }, "Loading…");
  if (!refresh) {
    main.replaceChildren(h("p", {}, h("a", { href: "#/exceptions" }, "← Exceptions")),
      h("h1", {}, `Case ${id}`), status);
  }
  const path = `${base(tenant)}/exceptions/${encodeURIComponent(id)}`;
  void (async () => {
    let c: ExceptionCase;
    try {
      const [raw] = await Promise.all([api.get<Raw>(path), loadPeople(tenant)]);
      c = normalizeCase(raw);
      c.edits = c.edits?.map((e) => ({ ...e, actor: who(str(e.actor)) }));
      if (showAudit) {
        // The audit trail of this case: every human action on it, from the tenant's chain.
        try {
          const audit = await api.get<Page<Raw>>(tenantPath(tenant,
            `/audit?object_type=exception_case&object_id=${encodeURIComponent(id)}&limit=200`));
          c.audit = audit.items.map((e) => ({ at: e.at ?? "", action: e.action ?? "",
            actor: who(str(e.actor)), reason: e.reason ?? "" }));
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
        ["Team", c.owner_team || "—"], ["Assignee", c.assignee ? who(c.assignee) : "—"],
        ...(c.acknowledged_by ? [["Acknowledged by", who(c.acknowledged_by)] as [string, string]] : []),
        ...(c.closed_by ? [["Closed by", who(c.closed_by)] as [string, string]] : []),
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
