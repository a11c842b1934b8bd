// The exceptions and approvals inboxes, read-only for now: one page at a time from
// GET /api/v1/tenants/{tenant}/exceptions|approvals, "Load more" follows next_cursor, and an empty
// inbox says so plainly. Text only through h() (never innerHTML), so tenant data cannot run.
import { api, ApiError } from "../api";
import { h } from "../dom";

interface Page<T> {
  items: T[];
  next_cursor: string;
}

interface ExceptionCase {
  id: string;
  severity: string;
  state: string;
  category: string;
  message: string;
  owner_team: string;
  sla_risk: string;
  created_at: string;
}

interface Approval {
  id: string;
  title: string;
  subject_type: string;
  state: string;
  approvals: number;
  quorum: number;
  requested_by: string;
  created_at: string;
}

interface Column<T> {
  title: string;
  cell: (item: T) => string;
}

function renderList<T>(main: HTMLElement, title: string, path: string, empty: string,
                       columns: Column<T>[]): void {
  const tbody = h("tbody");
  const table = h("table", { class: "list", id: "inbox-table" },
    h("thead", {}, h("tr", {}, ...columns.map((c) => h("th", { scope: "col" }, c.title)))),
    tbody);
  const status = h("p", { class: "empty", id: "inbox-status", role: "status" }, "Loading…");
  const more = h("button", { type: "button", id: "load-more", hidden: true }, "Load more");
  main.replaceChildren(h("h1", {}, title), status, table, more);
  table.hidden = true;

  let cursor = "";
  const load = async (): Promise<void> => {
    more.disabled = true;
    try {
      const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
      const page = await api.get<Page<T>>(`${path}${query}`);
      for (const item of page.items) {
        tbody.append(h("tr", {}, ...columns.map((c) => h("td", {}, c.cell(item)))));
      }
      cursor = page.next_cursor;
      const any = tbody.childElementCount > 0;
      table.hidden = !any;
      status.textContent = any ? "" : empty;
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
  void load();
}

export function renderExceptions(main: HTMLElement, tenant: string): void {
  renderList<ExceptionCase>(main, "Exceptions", `/tenants/${encodeURIComponent(tenant)}/exceptions`,
    "No exceptions. When a run fails, its case appears here with its SLA and owner.", [
      { title: "Severity", cell: (c) => c.severity },
      { title: "State", cell: (c) => c.state },
      { title: "Category", cell: (c) => c.category },
      { title: "Message", cell: (c) => c.message },
      { title: "Team", cell: (c) => c.owner_team },
      { title: "SLA", cell: (c) => c.sla_risk.replace("_", " ") },
      { title: "Opened", cell: (c) => new Date(c.created_at).toLocaleString() },
    ]);
}

export function renderApprovals(main: HTMLElement, tenant: string): void {
  renderList<Approval>(main, "Approvals", `/tenants/${encodeURIComponent(tenant)}/approvals`,
    "Nothing waits for approval. Requests that need a decision appear here.", [
      { title: "Request", cell: (a) => a.title },
      { title: "Type", cell: (a) => a.subject_type.replace("_", " ") },
      { title: "State", cell: (a) => a.state },
      { title: "Approvals", cell: (a) => `${a.approvals} of ${a.quorum}` },
      { title: "Requested", cell: (a) => new Date(a.created_at).toLocaleString() },
    ]);
}
