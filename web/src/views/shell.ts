// The application shell: the partner's brand, the sections of the console, the tenant picker and
// the user menu. Sections that are not built yet say so plainly instead of showing invented data.
import { api, type Me } from "../api";
import { branding } from "../branding";
import { h } from "../dom";
import { endPageSubscriptions, liveIndicator } from "../live";
import { renderAdmin } from "./admin";
import { renderApprovals } from "./approvals";
import { renderAudit } from "./audit";
import { renderDocuments } from "./documents";
import { renderExceptions } from "./exceptions";
import { renderOverview } from "./overview";
import { renderPortfolio } from "./portfolio";
import { renderPriceChanges } from "./price-changes";
import { renderRuns } from "./runs";

export interface Section {
  id: string;
  title: string;
  permission?: string;  // shown only to people who hold it on the selected tenant
  // `rest`: the route's segments after the section (#/exceptions/42 -> ["42"]).
  render?: (main: HTMLElement, me: Me, tenant: string, rest: string[]) => void;
}

export const kSections: Section[] = [
  { id: "portfolio", title: "Portfolio",
    render: (main, me, tenant, rest) => renderPortfolio(main, me, tenant, rest) },
  { id: "overview", title: "Overview", permission: "metrics.read",
    render: (main, me, tenant, rest) => renderOverview(main, me, tenant, rest) },
  { id: "exceptions", title: "Exceptions", permission: "exceptions.read",
    render: (main, me, tenant, rest) => renderExceptions(main, tenant, rest,
      me.tenants.find((t) => t.id === tenant)?.permissions.includes("audit.read") ?? false) },
  { id: "approvals", title: "Approvals", permission: "approvals.read",
    render: (main, me, tenant, rest) => renderApprovals(main, tenant, rest, me.user.id) },
  { id: "price-changes", title: "Price changes", permission: "approvals.read",
    render: (main, me, tenant, rest) => renderPriceChanges(main, me, tenant, rest) },
  { id: "runs", title: "Runs", permission: "runs.read",
    render: (main, me, tenant, rest) => renderRuns(main, me, tenant, rest) },
  { id: "documents", title: "Documents", permission: "documents.read",
    render: (main, _me, tenant, rest) => renderDocuments(main, tenant, rest) },
  { id: "audit", title: "Audit log", permission: "audit.read",
    render: (main, me, tenant, rest) => renderAudit(main, me, tenant, rest) },
  { id: "admin", title: "Administration", permission: "users.read",
    render: (main, me, tenant, rest) => renderAdmin(main, me, tenant, rest) },
];

export function renderShell(root: HTMLElement, me: Me, sectionId: string, rest: string[],
                            onSignedOut: () => void): void {
  // The page on screen is about to be replaced: its live subscriptions end with it.
  endPageSubscriptions();
  const b = branding();
  const tenants = me.tenants;
  const stored = sessionStorage.getItem("tenant");
  const tenant = tenants.find((t) => t.id === stored)?.id ?? tenants[0]?.id ?? "";
  const access = tenants.find((t) => t.id === tenant);
  const visible = kSections.filter((s) => !s.permission || access?.permissions.includes(s.permission));
  const section = visible.find((s) => s.id === sectionId) ?? visible[0];

  const picker = h("select", { id: "tenant-picker", "aria-label": "Tenant" });
  for (const t of tenants) {
    const option = h("option", { value: t.id }, t.display_name || t.id);
    if (t.id === tenant) option.selected = true;
    picker.append(option);
  }
  picker.addEventListener("change", () => {
    sessionStorage.setItem("tenant", picker.value);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  });

  const signOut = h("button", { type: "button", id: "sign-out" }, "Sign out");
  signOut.addEventListener("click", async () => {
    endPageSubscriptions();
    try {
      await api.del("/session");
    } finally {
      onSignedOut();
    }
  });

  const nav = h("nav", { class: "sections", "aria-label": "Sections" },
    ...visible.map((s) =>
      h("a", { href: `#/${s.id}`, "aria-current": s.id === section?.id ? "page" : undefined }, s.title)));

  const main = h("main", { id: "main", tabindex: "-1" });
  if (section?.render) {
    section.render(main, me, tenant, section.id === sectionId ? rest : []);
  } else {
    main.append(
      h("h1", {}, section?.title ?? "Welcome"),
      h("p", { class: "empty" },
        tenants.length === 0
          ? "You have no access to any tenant yet. Ask your administrator to grant you a role."
          : "This section is not available in this version yet."));
  }

  root.replaceChildren(
    h("header", { class: "topbar" },
      b.logo_url ? h("img", { class: "logo small", src: b.logo_url, alt: "" }) : null,
      h("span", { class: "product", id: "product-name" }, b.product_name),
      tenants.length > 1 ? picker : h("span", { class: "tenant" }, access?.display_name || tenant),
      h("span", { class: "spacer" }),
      liveIndicator(),
      h("span", { class: "user", id: "user-name" }, me.user.display_name || me.user.email),
      signOut),
    h("div", { class: "layout" }, nav, main),
    h("footer", { class: "footer" },
      b.support?.email ? h("a", { href: `mailto:${b.support.email}` }, `Support: ${b.support.email}`) : ""),
  );
}
