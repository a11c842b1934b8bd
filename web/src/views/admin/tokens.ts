// Administration > API tokens: the tenant's tokens by name (never the token: only its hash is
// kept), whom each acts for, when it was last used; create one for yourself (shown once) and
// revoke (asks first).
import { api } from "../../api";
import { h } from "../../dom";
import { loadPeople, personName } from "../../lib/people";
import { confirmDialog, formatTime, problemText, tenantPath } from "../../ui";
import type { AdminContext } from "../admin";
import { adminForm, allPages, focusPage, oneTimeSecret, type Page } from "./form";

interface Token {
  id: string;
  name: string;
  user: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  state: string;
}

export function renderTokens(body: HTMLElement, ctx: AdminContext): void {
  const { tenant } = ctx;
  const status = h("p", { class: "empty", id: "tokens-status", role: "status" }, "Loading…");
  const result = h("p", { class: "result", id: "tokens-result", role: "status", tabindex: "-1" });
  const secretBox = h("div", { id: "tokens-secret" });
  const list = h("div", { id: "tokens-list" });
  const create = adminForm("create-token", "Create a token for yourself", [
    { name: "name", label: "Name", required: true, hint: "What uses it, e.g. ci-deploy." },
    { name: "expires_at", label: "Expires", type: "datetime-local" },
  ], "Create token", async (v) => {
    const out = await api.post<Token & { token: string }>(tenantPath(tenant, "/tokens"), {
      name: v.name, ...(v.expires_at ? { expires_at: new Date(v.expires_at).toISOString().replace(/\.\d{3}Z$/, "Z") } : {}) });
    secretBox.replaceChildren(oneTimeSecret("new-token", `Token ${out.name}`, out.token));
    create.reset();
    await reload(false);
    return `Created the token ${out.name}.`;
  });
  body.replaceChildren(status, result, secretBox, list, create.form);

  const reload = async (first: boolean) => {
    try {
      const [tokens] = await Promise.all([allPages((c) => api.get<Page<Token>>(
        tenantPath(tenant, `/tokens?limit=500${c ? `&cursor=${encodeURIComponent(c)}` : ""}`))), loadPeople(tenant)]);
      status.textContent = "";
      if (tokens.length === 0) {
        list.replaceChildren(h("p", { class: "empty" }, "No API tokens on this tenant. Create one below for scripts and CI."));
      } else {
        const tbody = h("tbody");
        for (const t of tokens) {
          const revoke = h("button", { type: "button", class: "danger", id: `revoke-${t.id}`,
            disabled: t.state !== "active" }, "Revoke…");
          revoke.addEventListener("click", async () => {
            const ok = await confirmDialog({ title: `Revoke the token ${t.name}?`, danger: true,
              confirmLabel: "Revoke", message: "Whatever uses it stops working at once. This cannot be undone." });
            if (ok === null) return;
            try {
              await api.del(tenantPath(tenant, `/tokens/${encodeURIComponent(t.id)}`));
              result.textContent = `Revoked ${t.name}.`;
              result.className = "result ok";
              await reload(false);
            } catch (e) {
              result.textContent = problemText(e, "That did not work.");
              result.className = "result error";
            }
            result.focus();
          });
          tbody.append(h("tr", { "data-token": t.id }, h("td", {}, h("strong", {}, t.name)),
            h("td", {}, h("code", {}, t.id)), h("td", {}, personName(t.user)), h("td", {}, t.state),
            h("td", {}, formatTime(t.created_at)), h("td", {}, formatTime(t.last_used_at)),
            h("td", {}, t.expires_at ? formatTime(t.expires_at) : "never"), h("td", {}, revoke)));
        }
        list.replaceChildren(h("table", { class: "list", id: "tokens-table" },
          h("thead", {}, h("tr", {}, ...["Name", "Id", "Acts for", "State", "Created", "Last used",
            "Expires", ""].map((x) => h("th", { scope: "col" }, x)))), tbody));
      }
      if (first) focusPage(body);
    } catch (e) {
      status.textContent = problemText(e, "The tokens could not be loaded. Try again in a moment.");
    }
  };
  void reload(true);
}
