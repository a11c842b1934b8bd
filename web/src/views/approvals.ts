// The approvals inbox and a task's page. The page shows exactly what changes (the request's
// "changes": each member, a from -> to pair as a before/after, a document diff as text), the rule
// that asked for the approval, who asked and who decided; approve and reject each need a comment.
// The server refuses the requester's own decision (403): that answer is shown as a clear message.
import { api, ApiError } from "../api";
import { clear, h } from "../dom";
import type { Json } from "../lib/jsonpatch";
import { loadPeople, personName } from "../lib/people";
import { subscribe } from "../live";
import { confirmDialog, countdown, debounce, focusHeading, formatTime, problemText, tenantPath } from "../ui";

export interface Decision {
  actor: string;
  approve: boolean;
  comment: string;
  at: string;
  on_behalf_of?: string;
}

export interface ApprovalTask {
  id: string;
  title: string;
  subject_type: string;
  subject_id?: string;
  state: string;
  approvals: number;
  quorum: number;
  required_roles?: string[];
  requested_by: string;
  rule?: string;
  changes?: Json;
  expires_at?: string | null;
  decisions?: Decision[];
  created_at: string;
  updated_at: string;
}

interface Page<T> {
  items: T[];
  next_cursor: string;
}

function path(tenant: string, rest = ""): string {
  return tenantPath(tenant, `/approvals${rest}`);
}

// The signed-in person's principal ("user:<id>"), so their own requests read "you".
let self = "";

// People by name (lib/people.ts), never as "user:usr_..." ids.
function who(principal: string): string {
  return principal === self ? `you (${personName(principal)})` : personName(principal);
}

export function renderApprovals(main: HTMLElement, tenant: string, rest: string[], userId = ""): void {
  self = userId ? `user:${userId}` : "";
  if (rest[0]) return renderTask(main, tenant, decodeURIComponent(rest[0]));
  const tbody = h("tbody");
  const table = h("table", { class: "list", id: "inbox-table" },
    h("thead", {}, h("tr", {}, ...["Request", "Type", "State", "Approvals", "Requested by", "Requested"]
      .map((t) => h("th", { scope: "col" }, t)))),
    tbody);
  const status = h("p", { class: "empty", id: "inbox-status", role: "status" }, "Loading…");
  const more = h("button", { type: "button", id: "load-more", hidden: true }, "Load more");
  // "Waiting for me": pending tasks the person may decide now (the API's decidable_by_me).
  const view = h("select", { id: "filter-approvals", "aria-label": "Show" },
    h("option", { value: "" }, "All requests"),
    h("option", { value: "pending" }, "Pending"),
    h("option", { value: "mine" }, "Waiting for my decision"));
  view.value = sessionStorage.getItem("approvals.filter") ?? "";
  view.addEventListener("change", () => {
    sessionStorage.setItem("approvals.filter", view.value);
    cursor = "";
    clear(tbody);
    void load();
  });
  main.replaceChildren(h("h1", {}, "Approvals"),
    h("div", { class: "actions filters" }, h("label", { for: "filter-approvals" }, "Show"), view),
    status, table, more);
  table.hidden = true;
  let cursor = "";
  // `fresh`: read the first page again and replace the rows (a live update), saying how many
  // requests are new.
  const load = async (fresh = false): Promise<void> => {
    more.disabled = true;
    try {
      const params = new URLSearchParams();
      if (view.value === "pending") params.set("state", "pending");
      if (view.value === "mine") params.set("decidable_by_me", "true");
      if (cursor) params.set("cursor", cursor);
      const [page] = await Promise.all([
        api.get<Page<ApprovalTask>>(`${path(tenant)}?${params.toString()}`), loadPeople(tenant)]);
      const known = new Set([...tbody.querySelectorAll("tr")].map((tr) => tr.dataset.task));
      const arrived = fresh ? page.items.filter((a) => !known.has(a.id)).length : 0;
      if (fresh) clear(tbody);
      for (const a of page.items) {
        tbody.append(h("tr", { "data-task": a.id },
          h("td", {}, h("a", { href: `#/approvals/${encodeURIComponent(a.id)}` }, a.title)),
          h("td", {}, a.subject_type.replace(/_/g, " ")),
          h("td", {}, a.state),
          h("td", {}, `${a.approvals} of ${a.quorum}`),
          h("td", {}, who(a.requested_by)),
          h("td", {}, formatTime(a.created_at))));
      }
      cursor = page.next_cursor;
      const any = tbody.childElementCount > 0;
      table.hidden = !any;
      status.textContent = any ? "" : view.value === "mine"
        ? "Nothing waits for your decision. Requests you may decide appear here."
        : "Nothing waits for approval. Requests that need a decision appear here.";
      if (any && arrived > 0) {
        status.textContent = `${arrived} new request${arrived === 1 ? "" : "s"} arrived.`;
      }
      more.hidden = cursor === "";
    } catch (e) {
      status.textContent = e instanceof ApiError && e.status === 403
        ? "You do not have access to this list on this tenant."
        : "The list could not be loaded. Try again in a moment.";
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener("click", () => void load());
  // Live: a new or decided request re-reads the first page (once for a burst of changes).
  const refresh = debounce(() => {
    if (!table.isConnected) return;
    cursor = "";
    void load(true);
  }, 400);
  subscribe(tenant, ["approval"], () => refresh());
  void load();
}

function isFromTo(v: Json | undefined): v is { from?: Json; to?: Json } {
  return v !== null && typeof v === "object" && !Array.isArray(v) && ("from" in v || "to" in v) &&
    Object.keys(v).every((k) => k === "from" || k === "to");
}

function show(v: Json | undefined): string {
  if (v === undefined) return "(not set)";
  if (v === null) return "(none)";
  return typeof v === "string" ? v : JSON.stringify(v);
}

// What changes, member by member. A {from, to} pair shows as removed/added values; a multi-line
// string (a document diff) as preformatted text.
export function renderChanges(changes: Json | undefined): HTMLElement {
  if (changes === null || changes === undefined || typeof changes !== "object" || Array.isArray(changes)) {
    return h("pre", { class: "changes", id: "changes" }, JSON.stringify(changes ?? null, null, 2));
  }
  const rows = Object.entries(changes).map(([key, value]) => {
    let cell: Node;
    if (isFromTo(value)) {
      cell = h("span", {}, h("del", {}, show(value.from)), " → ", h("ins", {}, show(value.to)));
    } else if (typeof value === "string" && value.includes("\n")) {
      cell = h("pre", { class: "diff" }, value);
    } else if (value !== null && typeof value === "object") {
      cell = h("pre", {}, JSON.stringify(value, null, 2));
    } else {
      cell = document.createTextNode(show(value));
    }
    return h("tr", { "data-key": key }, h("th", { scope: "row" }, key.replace(/_/g, " ")), h("td", {}, cell));
  });
  return h("table", { class: "changes", id: "changes" }, h("tbody", {}, ...rows));
}

function renderTask(main: HTMLElement, tenant: string, id: string): void {
  const status = h("p", { class: "empty", id: "task-status", role: "status" }, "Loading…");
  main.replaceChildren(h("p", {}, h("a", { href: "#/approvals" }, "← Approvals")),
    h("h1", {}, "Approval"), status);
  void (async () => {
    let t: ApprovalTask;
    try {
      [t] = await Promise.all([
        api.get<ApprovalTask>(path(tenant, `/${encodeURIComponent(id)}`)), loadPeople(tenant)]);
    } catch (e) {
      status.textContent = problemText(e, "The request could not be loaded. Try again in a moment.");
      return;
    }
    const message = h("p", { class: "result", id: "decision-result", role: "alert" });
    const pending = t.state === "pending";
    const decide = async (approve: boolean) => {
      const comment = await confirmDialog({
        title: approve ? "Approve this request?" : "Reject this request?",
        message: t.title,
        confirmLabel: approve ? "Approve" : "Reject",
        commentLabel: "Comment (required)",
        danger: !approve,
      });
      if (comment === null) return;
      message.className = "result";
      try {
        await api.post(path(tenant, `/${encodeURIComponent(t.id)}/decision`), { approve, comment });
        renderTask(main, tenant, id);
      } catch (e) {
        message.className = "result error";
        if (e instanceof ApiError && e.status === 403) {
          message.textContent = e.problem.type === "urn:govflow:problem:own-request"
            ? "You asked for this change, so you cannot decide it: another person with the required role must approve or reject it."
            : `You may not decide this request: ${e.message}`;
        } else {
          message.textContent = problemText(e, "The decision could not be recorded. Try again in a moment.");
        }
        message.focus();
      }
    };
    const approve = h("button", { type: "button", class: "primary", id: "approve", disabled: !pending }, "Approve…");
    const reject = h("button", { type: "button", class: "danger", id: "reject", disabled: !pending }, "Reject…");
    approve.addEventListener("click", () => void decide(true));
    reject.addEventListener("click", () => void decide(false));
    message.setAttribute("tabindex", "-1");

    const decisions = t.decisions ?? [];
    const facts: [string, string][] = [
      ["State", `${t.state} (${t.approvals} of ${t.quorum} approvals)`],
      ["Rule", t.rule || "—"],
      ["Requested by", who(t.requested_by)],
      ["Requested", formatTime(t.created_at)],
      ["Who may decide", (t.required_roles ?? []).join(", ") || "—"],
    ];
    if (t.expires_at) facts.push(["Expires", `${formatTime(t.expires_at)} (${countdown(t.expires_at).text})`]);
    const dl = h("dl", { class: "facts", id: "task-facts" },
      ...facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
    const history = h("section", { class: "card", id: "decisions" }, h("h2", {}, "Decisions"));
    if (decisions.length === 0) history.append(h("p", { class: "empty" }, "No decision yet."));
    else {
      const ol = h("ol", { class: "timeline" });
      for (const d of decisions) {
        ol.append(h("li", {}, h("time", { datetime: d.at }, formatTime(d.at)), " ",
          h("strong", {}, d.approve ? "approved" : "rejected"), ` by ${who(d.actor)}`,
          d.on_behalf_of ? ` (for ${d.on_behalf_of})` : "", `: ${d.comment}`));
      }
      history.append(ol);
    }
    // Someone else deciding (or the request expiring) while this page is open: say so and offer
    // a reload rather than re-rendering under the reader (their focus and comment stay put).
    const changed = h("p", { class: "result", id: "task-changed", role: "status", hidden: true });
    subscribe(tenant, ["approval"], (e) => {
      if (e.subject_id !== t.id || !changed.isConnected) return;
      void (async () => {
        try {
          const now = await api.get<ApprovalTask>(path(tenant, `/${encodeURIComponent(t.id)}`));
          if (now.updated_at === t.updated_at || !changed.isConnected) return;
          const reload = h("button", { type: "button", id: "task-reload" }, "Show the latest");
          reload.addEventListener("click", () => renderTask(main, tenant, id));
          changed.replaceChildren(`This request changed since you opened it: it is now ${now.state}` +
            ` (${now.approvals} of ${now.quorum} approvals). `, reload);
          changed.hidden = false;
        } catch {
          // The next change tries again; the page itself stays usable.
        }
      })();
    });
    clear(main);
    main.append(
      h("p", {}, h("a", { href: "#/approvals" }, "← Approvals")),
      h("h1", {}, t.title),
      changed,
      message,
      h("div", { class: "actions" }, approve, reject),
      h("div", { class: "card" }, h("h2", {}, "Request"), dl),
      h("section", { class: "card" }, h("h2", {}, "What changes"), renderChanges(t.changes)),
      history);
    focusHeading(main);
  })();
}
