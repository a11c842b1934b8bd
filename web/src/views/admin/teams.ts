// Administration > Teams: the teams that own exception cases, their members by name; create a
// team, add and remove members (removing asks first).
import { api } from "../../api";
import { h } from "../../dom";
import { loadPeople, personName } from "../../lib/people";
import { confirmDialog, problemText, tenantPath } from "../../ui";
import type { AdminContext } from "../admin";
import { adminForm, allPages, focusPage, type Page } from "./form";
import { loadUsers, type TenantUser } from "./users";

interface Team {
  id: string;
  display_name: string;
  members: string[];  // "user:<id>"
}

export function renderTeams(body: HTMLElement, ctx: AdminContext): void {
  const { tenant } = ctx;
  const manage = ctx.can("users.manage");
  const status = h("p", { class: "empty", id: "teams-status", role: "status" }, "Loading…");
  const result = h("p", { class: "result", id: "teams-result", role: "status", tabindex: "-1" });
  const list = h("div", { id: "teams-list" });
  const forms = h("div", { class: "admin-grid" });
  body.replaceChildren(status, result, list, forms);
  let teams: Team[] = [];
  let users: TenantUser[] = [];

  const say = (text: string, error = false) => {
    result.textContent = text;
    result.className = error ? "result error" : "result ok";
    result.focus();
  };

  const render = () => {
    if (teams.length === 0) {
      list.replaceChildren(h("p", { class: "empty" }, manage
        ? "No teams yet. Create one below; exception cases are routed to teams."
        : "No teams yet."));
    } else {
      const tbody = h("tbody");
      for (const t of teams) {
        const members = h("td", {});
        if (t.members.length === 0) members.append("—");
        for (const m of t.members) {
          const chip = h("span", { class: "chip" }, personName(m));
          if (manage) {
            const x = h("button", { type: "button", "aria-label": `Remove ${personName(m)} from ${t.display_name}` }, "×");
            x.addEventListener("click", async () => {
              const ok = await confirmDialog({ title: `Remove ${personName(m)}?`, danger: true,
                confirmLabel: "Remove", message: `${personName(m)} leaves the team ${t.display_name}.` });
              if (ok === null) return;
              try {
                await api.del(tenantPath(tenant, `/teams/${encodeURIComponent(t.id)}/members/${encodeURIComponent(m.replace(/^user:/, ""))}`));
                say(`Removed ${personName(m)} from ${t.display_name}.`);
                await reload(false);
              } catch (e) {
                say(problemText(e, "That did not work."), true);
              }
            });
            chip.append(x);
          }
          members.append(chip);
        }
        tbody.append(h("tr", { "data-team": t.id }, h("td", {}, h("strong", {}, t.display_name)),
          h("td", {}, h("code", {}, t.id)), members));
      }
      list.replaceChildren(h("table", { class: "list", id: "teams-table" },
        h("thead", {}, h("tr", {}, ...["Team", "Id", "Members"].map((x) => h("th", { scope: "col" }, x)))),
        tbody));
    }
    if (!manage) return;
    const create = adminForm("create-team", "Create a team", [
      { name: "display_name", label: "Name", required: true },
      { name: "id", label: "Id", required: true, hint: "Lower-case letters, digits and _, e.g. order_ops. Routing rules name it." },
    ], "Create team", async (v) => {
      await api.post(tenantPath(tenant, "/teams"), { id: v.id, display_name: v.display_name });
      await reload(false);
      say(`Created the team ${v.display_name}.`);
    });
    const add = adminForm("add-member", "Add a member", [
      { name: "team", label: "Team", type: "select", options: teams.map((t) => ({ value: t.id, label: t.display_name })) },
      { name: "user_id", label: "Person", type: "select",
        options: users.map((u) => ({ value: u.id, label: `${u.display_name} (${u.email})` })) },
    ], "Add member", async (v) => {
      await api.post(tenantPath(tenant, `/teams/${encodeURIComponent(v.team!)}/members`), { user_id: v.user_id });
      await reload(false);
      say("Added.");
    });
    forms.replaceChildren(create.form, teams.length && users.length ? add.form : "");
  };

  const reload = async (first: boolean) => {
    try {
      const [t, u] = await Promise.all([
        allPages((c) => api.get<Page<Team>>(tenantPath(tenant, `/teams?limit=500${c ? `&cursor=${encodeURIComponent(c)}` : ""}`))),
        loadUsers(tenant), loadPeople(tenant)]);
      teams = t;
      users = u;
      status.textContent = "";
      render();
      if (first) focusPage(body);
    } catch (e) {
      status.textContent = problemText(e, "The teams could not be loaded. Try again in a moment.");
    }
  };
  void reload(true);
}
