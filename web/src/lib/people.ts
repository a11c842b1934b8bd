// Names for principals: the console shows "Pat Doe" where the API says "user:usr_7f3a...".
// loadPeople(tenant) reads GET /api/v1/tenants/{tenant}/people once per tenant (the people who
// can act there: its role holders and the partner's staff; any role on the tenant may read it,
// so operators and approvers see names too) and caches the answer; personName() is synchronous
// and never fails: for a principal it does not know it falls back to a readable form.
import { api } from "../api";

export interface Person {
  principal: string;     // "user:usr_..."
  display_name: string;
  email?: string;        // only for callers holding users.read
}

interface PeoplePage {
  items: Person[];
}

// principal -> person, across the tenants loaded so far (a user is the same person on every
// tenant, so one map serves them all).
const known = new Map<string, Person>();
// tenant -> the load in progress or done (so concurrent callers share one request).
const loads = new Map<string, Promise<void>>();

// Loads (once per tenant; later calls return the same promise) the people of `tenant`. Never
// rejects: without the list, names fall back to readable ids.
export function loadPeople(tenant: string): Promise<void> {
  if (!tenant) return Promise.resolve();
  let load = loads.get(tenant);
  if (!load) {
    load = api.get<PeoplePage>(`/tenants/${encodeURIComponent(tenant)}/people`)
      .then((page) => {
        for (const p of page.items ?? []) known.set(p.principal, p);
      })
      .catch(() => {
        loads.delete(tenant);  // try again next time the page is opened
      });
    loads.set(tenant, load);
  }
  return load;
}

// Forgets what was loaded for `tenant` (after the administration pages change people), so the
// next loadPeople() reads the list again.
export function forgetPeople(tenant: string): void {
  loads.delete(tenant);
}

// The person behind `principal`, when known.
export function person(principal: string): Person | undefined {
  return known.get(principal);
}

// "Pat Doe" for a known user; "govflow (sla monitor)" for "system:sla_monitor"; "API token
// tok_12ab" for a token; "user usr_12ab…" for a user we do not know; "—" for "".
export function personName(principal: string): string {
  if (!principal) return "—";
  const p = known.get(principal);
  if (p) return p.display_name || p.email || principal;
  const colon = principal.indexOf(":");
  const kind = colon < 0 ? "" : principal.slice(0, colon);
  const id = colon < 0 ? principal : principal.slice(colon + 1);
  if (kind === "system") return `System (${id.replace(/[_-]+/g, " ")})`;
  if (kind === "token") return `API token ${shortId(id)}`;
  if (kind === "user") return `User ${shortId(id)}`;
  return principal;
}

function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 12)}…` : id;
}
