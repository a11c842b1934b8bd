// Administration (docs/console.md "Administration"): the tenant's users, teams, roles,
// connections and API tokens, and the partner's branding. Tabs are links (#/admin/<tab>), shown
// only for what the signed-in person may do; each tab is its own module under admin/.
import type { Me } from "../api";
import { h } from "../dom";
import { renderBranding } from "./admin/branding";
import { renderConnections } from "./admin/connections";
import { renderRoles } from "./admin/roles";
import { renderTeams } from "./admin/teams";
import { renderTokens } from "./admin/tokens";
import { renderUsers } from "./admin/users";

export interface AdminContext {
  me: Me;
  tenant: string;
  permissions: string[];
  can(permission: string): boolean;
}

interface Tab {
  id: string;
  title: string;
  visible: (ctx: AdminContext) => boolean;
  render: (body: HTMLElement, ctx: AdminContext) => void;
}

const kTabs: Tab[] = [
  { id: "users", title: "Users", visible: (c) => c.can("users.read"), render: renderUsers },
  { id: "teams", title: "Teams", visible: (c) => c.can("users.read"), render: renderTeams },
  { id: "roles", title: "Roles", visible: (c) => c.can("users.read"), render: renderRoles },
  { id: "connections", title: "Connections", visible: (c) => c.can("connections.read"),
    render: renderConnections },
  { id: "tokens", title: "API tokens", visible: (c) => c.can("tokens.manage"), render: renderTokens },
  // branding.manage is a partner permission: only partner_admin holds it.
  { id: "branding", title: "Branding", visible: (c) => (c.me.partner_roles ?? []).includes("partner_admin"),
    render: renderBranding },
];

let styled = false;

// The few rules the administration forms need beyond the shared stylesheet.
function ensureStyles(): void {
  if (styled) return;
  styled = true;
  document.head.append(h("style", { id: "admin-styles" }, `
.admin-form .field { display: grid; gap: 0.15rem; margin: 0.35rem 0; max-width: 32rem; }
.admin-form .field-error { color: var(--danger); min-height: 1.1em; margin: 0; font-size: 0.9rem; }
.admin-form [aria-invalid="true"] { border-color: var(--danger); }
.result.ok { color: #176b3a; font-weight: 600; }
.chip { display: inline-flex; align-items: center; gap: 0.25rem; background: #eef0f4; border-radius: 999px; padding: 0 0.15rem 0 0.55rem; margin: 0.1rem 0.2rem 0.1rem 0; }
.chip button { padding: 0 0.4rem; border: 0; background: transparent; }
.admin-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr)); gap: 0.75rem; align-items: start; }
.one-time code { font-size: 1.05rem; user-select: all; }
.brand-preview { border: 1px solid var(--border); border-radius: 8px; overflow: hidden; }
.brand-preview .preview-bar { display: flex; align-items: center; gap: 0.5rem; padding: 0.5rem 0.75rem; color: #fff; font-weight: 700; }
.brand-preview .preview-body { padding: 0.75rem; }
.brand-preview .preview-button { display: inline-block; padding: 0.3rem 0.8rem; border-radius: 6px; color: #fff; }
.status-off { color: var(--danger); font-weight: 600; }
`));
}

export function renderAdmin(main: HTMLElement, me: Me, tenant: string, rest: string[]): void {
  ensureStyles();
  const permissions = me.tenants.find((t) => t.id === tenant)?.permissions ?? [];
  const ctx: AdminContext = { me, tenant, permissions, can: (p) => permissions.includes(p) };
  const tabs = kTabs.filter((t) => t.visible(ctx));
  const tab = tabs.find((t) => t.id === rest[0]) ?? tabs[0];
  const body = h("div", { id: "admin-body" });
  main.replaceChildren(
    h("h1", {}, tab ? `Administration: ${tab.title}` : "Administration"),
    h("nav", { class: "tabs", "aria-label": "Administration" },
      ...tabs.map((t) => h("a", { href: `#/admin/${t.id}`, id: `tab-${t.id}`,
        "aria-current": t === tab ? "page" : undefined }, t.title))),
    body);
  if (!tab) {
    body.append(h("p", { class: "empty" },
      "You may not administer anything on this tenant. Ask a tenant administrator for a role."));
    return;
  }
  tab.render(body, ctx);
}
