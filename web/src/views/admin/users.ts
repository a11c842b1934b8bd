// Administration > Users: who works on the tenant, their roles, teams and account state; create a
// person (a one-time password is shown once), grant and revoke roles (only roles whose every
// permission you hold, never your own), disable/enable, unlock, set a password. Destructive
// actions ask first.
import { api, ApiError } from "../../api";
import { h } from "../../dom";
import { forgetPeople } from "../../lib/people";
import { confirmDialog, dialogValues, problemText, tenantPath } from "../../ui";
import type { AdminContext } from "../admin";
import { adminForm, allPages, focusPage, oneTimeSecret, type Page } from "./form";

export interface TenantUser {
  id: string;
  principal: string;
  email: string;
  display_name: string;
  roles: string[];
  partner_roles: string[];
  teams: string[];
  disabled: boolean;
  locked: boolean;
}

export interface RoleEntry {
  name: string;
  description: string;
  builtin: boolean;
  approver: boolean;
  grantable_by_you: boolean;
  permissions: string[];
}

export async function loadUsers(tenant: string): Promise<TenantUser[]> {
  return allPages((cursor) => api.get<Page<TenantUser>>(
    tenantPath(tenant, `/users?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`)));
}

export async function loadRoles(tenant: string): Promise<RoleEntry[]> {
  return (await api.get<{ items: RoleEntry[] }>(tenantPath(tenant, "/roles"))).items;
}

export function renderUsers(body: HTMLElement, ctx: AdminContext): void {
  const { tenant } = ctx;
  const manage = ctx.can("users.manage");
  const status = h("p", { class: "empty", id: "users-status", role: "status" }, "Loading…");
  const result = h("p", { class: "result", id: "users-result", role: "status", tabindex: "-1" });
  const secretBox = h("div", { id: "users-secret" });
  const list = h("div", { id: "users-list" });
  const forms = h("div", { class: "admin-grid" });
  const filter = h("input", { type: "search", id: "users-filter", placeholder: "Name or e-mail" });
  body.replaceChildren(
    h("div", { class: "actions filters" }, h("label", { for: "users-filter" }, "Find"), filter),
    status, result, secretBox, list, forms);

  let users: TenantUser[] = [];
  let roles: RoleEntry[] = [];
  const self = ctx.me.user.id;

  const say = (text: string, error = false) => {
    result.textContent = text;
    result.className = error ? "result error" : "result ok";
    result.focus();
  };

  const act = async (label: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
      forgetPeople(tenant);
      say(label);
      await reload(false);
    } catch (e) {
      say(problemText(e, "That did not work. Try again in a moment."), true);
    }
  };

  const renderTable = () => {
    const q = filter.value.trim().toLowerCase();
    const shown = users.filter((u) => !q || u.email.toLowerCase().includes(q) ||
      u.display_name.toLowerCase().includes(q));
    if (users.length === 0) {
      list.replaceChildren(h("p", { class: "empty" },
        manage ? "Nobody holds a role on this tenant yet. Add a person with the form below."
          : "Nobody holds a role on this tenant yet."));
      return;
    }
    if (shown.length === 0) {
      list.replaceChildren(h("p", { class: "empty" }, "Nobody matches. Clear the search to see everyone."));
      return;
    }
    const tbody = h("tbody");
    for (const u of shown) {
      const isSelf = u.id === self;
      const roleCell = h("td", {});
      for (const r of u.roles) {
        const chip = h("span", { class: "chip" }, r);
        if (manage && !isSelf) {
          const x = h("button", { type: "button", "aria-label": `Revoke ${r} from ${u.display_name}`,
            "data-revoke": r }, "×");
          x.addEventListener("click", async () => {
            const ok = await confirmDialog({ title: `Revoke ${r}?`, danger: true, confirmLabel: "Revoke",
              message: `${u.display_name} (${u.email}) loses the role ${r} on this tenant.` });
            if (ok === null) return;
            await act(`Revoked ${r} from ${u.display_name}.`, () =>
              api.del(tenantPath(tenant, `/users/${encodeURIComponent(u.id)}/roles/${encodeURIComponent(r)}`)));
          });
          chip.append(x);
        }
        roleCell.append(chip);
      }
      const state = u.disabled ? "disabled" : u.locked ? "locked" : "active";
      const actions = h("td", { class: "actions" });
      if (manage && !isSelf) {
        const button = (text: string, id: string, fn: () => void, danger = false) => {
          const b = h("button", { type: "button", id: `${id}-${u.id}`, class: danger ? "danger" : undefined }, text);
          b.addEventListener("click", fn);
          actions.append(b);
        };
        const userPath = (verb: string) => tenantPath(tenant, `/users/${encodeURIComponent(u.id)}/${verb}`);
        if (u.disabled) {
          button("Enable", "enable", () => void act(`Enabled ${u.display_name}.`, () => api.post(userPath("enable"))));
        } else {
          button("Disable…", "disable", async () => {
            const ok = await confirmDialog({ title: `Disable ${u.display_name}?`, danger: true,
              confirmLabel: "Disable",
              message: "They can no longer sign in, and their API tokens stop working, until enabled again." });
            if (ok !== null) await act(`Disabled ${u.display_name}.`, () => api.post(userPath("disable")));
          }, true);
        }
        if (u.locked) button("Unlock", "unlock", () => void act(`Unlocked ${u.display_name}.`, () => api.post(userPath("unlock"))));
        button("Set password…", "password", async () => {
          const asked = confirmDialog({ title: `Set a password for ${u.display_name}`,
            message: "At least 12 characters. Tell them by a channel other than e-mail.",
            confirmLabel: "Set password", fields: [{ id: "new-password", label: "New password" }],
            anyOf: "Type the new password." });
          // The dialog is in the page once confirmDialog returns: keep the password unreadable.
          document.getElementById("new-password")?.setAttribute("type", "password");
          if ((await asked) === null) return;
          const value = dialogValues().get("new-password") ?? "";
          await act(`Set a new password for ${u.display_name}.`, () => api.post(userPath("password"), { password: value }));
        });
      }
      tbody.append(h("tr", { "data-user": u.id },
        h("td", {}, h("strong", {}, u.display_name), isSelf ? " (you)" : ""),
        h("td", {}, u.email),
        roleCell,
        h("td", {}, u.teams.join(", ") || "—"),
        h("td", { class: state === "active" ? undefined : "status-off" }, state),
        actions));
    }
    list.replaceChildren(h("table", { class: "list", id: "users-table" },
      h("thead", {}, h("tr", {}, ...["Name", "E-mail", "Roles", "Teams", "Account", "Actions"]
        .map((t) => h("th", { scope: "col" }, t)))), tbody));
  };
  filter.addEventListener("input", renderTable);

  const buildForms = () => {
    if (!manage) return;
    const grantable = roles.filter((r) => r.grantable_by_you)
      .map((r) => ({ value: r.name, label: `${r.name}${r.approver ? " (approver)" : ""}` }));
    const create = adminForm("create-user", "Add a person", [
      { name: "email", label: "E-mail", type: "email", required: true },
      { name: "display_name", label: "Name", required: true },
      { name: "role", label: "Role", type: "select", options: grantable, value: "viewer" },
      { name: "password", label: "Password", type: "password",
        hint: "Leave empty to get a one-time password to hand over." },
    ], "Add person", async (v) => {
      const body: Record<string, string> = { email: v.email!, display_name: v.display_name!, role: v.role! };
      if (v.password) body.password = v.password;
      const out = await api.post<{ id: string; one_time_password?: string }>(tenantPath(tenant, "/users"), body);
      secretBox.replaceChildren(out.one_time_password
        ? oneTimeSecret("one-time-password", `One-time password for ${v.email}`, out.one_time_password) : "");
      create.reset();
      forgetPeople(tenant);
      await reload(false);
      say(`Added ${v.display_name} as ${v.role}.`);
    });
    const others = users.filter((u) => u.id !== self)
      .map((u) => ({ value: u.id, label: `${u.display_name} (${u.email})` }));
    const grant = adminForm("grant-role", "Grant a role", [
      { name: "user", label: "Person", type: "select", options: others },
      { name: "role", label: "Role", type: "select", options: grantable },
    ], "Grant role", async (v) => {
      await api.post(tenantPath(tenant, `/users/${encodeURIComponent(v.user!)}/roles`), { role: v.role });
      await reload(false);
      say(`Granted ${v.role}.`);
    });
    forms.replaceChildren(create.form, others.length ? grant.form :
      h("div", { class: "card" }, h("h2", {}, "Grant a role"),
        h("p", { class: "empty" }, "Nobody else is on this tenant yet: add a person first.")));
    if (grantable.length === 0) {
      forms.append(h("p", { class: "empty" }, "You hold no role you could grant to others."));
    }
  };

  const reload = async (first: boolean) => {
    try {
      [users, roles] = await Promise.all([loadUsers(tenant), roles.length ? roles : loadRoles(tenant)]);
      status.textContent = "";
      renderTable();
      buildForms();
      if (first) focusPage(body);
    } catch (e) {
      status.textContent = e instanceof ApiError && e.status === 403
        ? "You may not see this tenant's users."
        : problemText(e, "The users could not be loaded. Try again in a moment.");
    }
  };
  void reload(true);
}
