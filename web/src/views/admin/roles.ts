// Administration > Roles: the role catalogue, read-only: the built-in roles (permissions.cc),
// the tenant's own roles (approver roles among them) and what each may do.
import { h } from "../../dom";
import { problemText } from "../../ui";
import type { AdminContext } from "../admin";
import { focusPage } from "./form";
import { loadRoles } from "./users";

export function renderRoles(body: HTMLElement, ctx: AdminContext): void {
  const status = h("p", { class: "empty", id: "roles-status", role: "status" }, "Loading…");
  body.replaceChildren(status);
  void (async () => {
    try {
      const roles = await loadRoles(ctx.tenant);
      const tbody = h("tbody");
      for (const r of roles) {
        tbody.append(h("tr", { "data-role": r.name },
          h("td", {}, h("strong", {}, r.name)),
          h("td", {}, r.builtin ? "built in" : r.approver ? "approver (tenant's own)" : "tenant's own"),
          h("td", {}, r.description),
          h("td", {}, r.permissions.join(", ")),
          h("td", {}, r.grantable_by_you ? "yes" : "no")));
      }
      body.replaceChildren(
        h("p", { class: "hint" }, "You may grant a role only when you hold every permission it carries; " +
          "approver roles are granted by someone who decides approvals."),
        roles.length ? h("table", { class: "list", id: "roles-table" },
          h("thead", {}, h("tr", {}, ...["Role", "Kind", "What for", "Permissions", "You may grant"]
            .map((x) => h("th", { scope: "col" }, x)))), tbody)
          : h("p", { class: "empty" }, "No roles defined."));
      focusPage(body);
    } catch (e) {
      status.textContent = problemText(e, "The roles could not be loaded. Try again in a moment.");
    }
  })();
}
