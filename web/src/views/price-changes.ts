// Price changes: the tenant's requested price changes (filtered by state) and the request form
// (storefront connection, SKU and variant, current and new price, currency, reason). The answer
// says what happened: released at once (published to the storefront by the price job), or held
// for approval by the tenant's approval matrix, with the rule and a link to the approval's page.
// A refused request names its field: the message appears next to that input, which gets focus.
import { api, ApiError, type Me } from "../api";
import { clear, h } from "../dom";
import { loadPeople, personName } from "../lib/people";
import { focusHeading, formatTime, problemText, tenantPath } from "../ui";

export interface PriceChange {
  id: string;
  state: string;
  connection: string;
  sku: string;
  variant_id: number;
  currency: string;
  old_price: string;
  new_price: string;
  percent: number;
  reason: string;
  requested_by: string;
  rule: string;
  approval_ids: string[];
  outcome: string;
  created_at: string;
  released_at: string | null;
  published_at: string | null;
}

const kStates: [string, string][] = [
  ["", "All"], ["pending_approval", "Waiting for approval"], ["released", "Released"],
  ["published", "Published"], ["rejected", "Rejected"], ["failed", "Failed"],
];

function stateLabel(state: string): string {
  return kStates.find(([v]) => v === state)?.[1] ?? state;
}

function percent(p: number): string {
  if (typeof p !== "number" || Number.isNaN(p)) return "";
  const rounded = Math.round(p * 10) / 10;
  return `${rounded > 0 ? "+" : ""}${rounded}%`;
}

function invalidField(e: unknown): string {
  if (!(e instanceof ApiError)) return "";
  const params = (e.problem as { "invalid-params"?: { name?: string }[] })["invalid-params"];
  return params?.[0]?.name ?? "";
}

const kFields = [
  { name: "connection", label: "Storefront connection", type: "text", value: "", required: false,
    hint: "Leave empty for the tenant's storefront; name it when the tenant has several." },
  { name: "sku", label: "SKU", type: "text", value: "", required: true, hint: "" },
  { name: "variant_id", label: "Variant id", type: "text", value: "", required: false,
    hint: "The storefront's variant id (a number)." },
  { name: "old_price", label: "Current price", type: "text", value: "", required: true,
    hint: "As on the storefront now, e.g. 24.00." },
  { name: "new_price", label: "New price", type: "text", value: "", required: true, hint: "e.g. 19.90" },
  { name: "currency", label: "Currency", type: "text", value: "EUR", required: true, hint: "ISO 4217, e.g. EUR." },
] as const;

export function renderPriceChanges(main: HTMLElement, me: Me, tenant: string, _rest: string[]): void {
  const access = me.tenants.find((t) => t.id === tenant);
  const canRequest = access?.permissions.includes("approvals.request") ?? false;

  // ---- The request form ----
  const inputs = new Map<string, HTMLInputElement | HTMLTextAreaElement>();
  const errors = new Map<string, HTMLElement>();
  const fieldRows: HTMLElement[] = [];
  for (const f of kFields) {
    const id = `pc-${f.name.replace(/_/g, "-")}`;
    const error = h("span", { class: "form-error", id: `${id}-error`, style: "display:block" });
    const input = h("input", { id, name: f.name, type: f.type, value: f.value,
      "aria-required": f.required ? "true" : undefined,
      inputmode: f.name.endsWith("price") || f.name === "variant_id" ? "decimal" : undefined,
      "aria-describedby": `${id}-hint ${id}-error` });
    inputs.set(f.name, input);
    errors.set(f.name, error);
    fieldRows.push(h("div", { class: "field" }, h("label", { for: id }, f.label), input,
      h("span", { class: "hint", id: `${id}-hint`, style: "display:block" }, f.hint), error));
  }
  const reason = h("textarea", { id: "pc-reason", name: "reason", rows: "2", "aria-required": "true",
    "aria-describedby": "pc-reason-error" });
  const reasonError = h("span", { class: "form-error", id: "pc-reason-error", style: "display:block" });
  inputs.set("reason", reason);
  errors.set("reason", reasonError);
  fieldRows.push(h("div", { class: "field" }, h("label", { for: "pc-reason" }, "Reason"), reason, reasonError));
  const submit = h("button", { type: "submit", class: "primary", id: "pc-submit" }, "Request the change");
  const formError = h("p", { class: "form-error", id: "pc-form-error", role: "alert" });
  const outcome = h("div", { class: "result", id: "pc-outcome", role: "status" });
  const form = h("form", { id: "pc-form", class: "dialog-form", novalidate: true, "aria-labelledby": "pc-form-title" },
    ...fieldRows, h("div", { class: "actions" }, submit), formError);

  // ---- The list ----
  const filter = h("select", { id: "pc-filter" }, ...kStates.map(([v, l]) => h("option", { value: v }, l)));
  filter.value = sessionStorage.getItem("price-changes.filter") ?? "";
  const tbody = h("tbody");
  const table = h("table", { class: "list", id: "pc-table" },
    h("thead", {}, h("tr", {}, ...["SKU", "Price", "Change", "State", "Requested by", "Requested", "Approval"]
      .map((t) => h("th", { scope: "col" }, t)))),
    tbody);
  const status = h("p", { class: "empty", id: "pc-status", role: "status" }, "Loading…");

  main.replaceChildren(h("h1", {}, "Price changes"),
    canRequest
      ? h("section", { class: "card", "aria-labelledby": "pc-form-title" },
        h("h2", { id: "pc-form-title" }, "Request a price change"),
        h("p", { class: "hint" }, "Small changes are released at once; changes the approval matrix " +
          "holds wait for a pricing manager's decision."),
        form, outcome)
      : h("p", { class: "hint" }, "You may see price changes here; requesting one takes the approvals.request permission."),
    h("h2", { id: "pc-list-title" }, "Requested changes"),
    h("div", { class: "actions filters" }, h("label", { for: "pc-filter" }, "Show"), filter),
    status, table);
  table.hidden = true;

  const approvalLinks = (c: PriceChange): Node => c.approval_ids.length
    ? h("span", {}, ...c.approval_ids.map((id, i) => h("span", {}, i ? ", " : "",
      h("a", { href: `#/approvals/${encodeURIComponent(id)}`, class: "approval-link" }, "Open the approval"))))
    : document.createTextNode(c.state === "pending_approval" ? "—" : "not needed");

  const load = async (): Promise<void> => {
    try {
      const p = new URLSearchParams({ limit: "200" });
      if (filter.value) p.set("state", filter.value);
      const [page] = await Promise.all([
        api.get<{ items: PriceChange[] }>(`${tenantPath(tenant, "/price-changes")}?${p.toString()}`),
        loadPeople(tenant)]);
      clear(tbody);
      for (const c of page.items) {
        tbody.append(h("tr", { "data-change": c.id, "data-state": c.state },
          h("td", {}, c.sku, c.variant_id ? h("span", { class: "muted" }, ` (variant ${c.variant_id})`) : null),
          h("td", {}, h("del", {}, `${c.old_price}`), " → ", h("ins", {}, `${c.new_price} ${c.currency}`)),
          h("td", {}, percent(c.percent)),
          h("td", { title: c.outcome || undefined }, stateLabel(c.state)),
          h("td", { title: c.requested_by }, personName(c.requested_by)),
          h("td", {}, formatTime(c.created_at)),
          h("td", {}, approvalLinks(c))));
      }
      table.hidden = page.items.length === 0;
      status.textContent = page.items.length ? ""
        : filter.value ? `No price change is ${stateLabel(filter.value).toLowerCase()}. Choose "All" to see every change.`
          : canRequest ? "No price change has been requested yet. Use the form above to request one."
            : "No price change has been requested yet.";
    } catch (e) {
      status.textContent = e instanceof ApiError && e.status === 403
        ? "You do not have access to price changes on this tenant."
        : "The price changes could not be loaded. Try again in a moment.";
    }
  };
  filter.addEventListener("change", () => {
    sessionStorage.setItem("price-changes.filter", filter.value);
    void load();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formError.textContent = "";
    outcome.replaceChildren();
    for (const [name, input] of inputs) {
      input.removeAttribute("aria-invalid");
      errors.get(name)!.textContent = "";
    }
    // Say what is missing before asking the server.
    for (const [name, input] of inputs) {
      const required = name === "reason" || kFields.find((f) => f.name === name)?.required;
      if (required && !input.value.trim()) {
        input.setAttribute("aria-invalid", "true");
        errors.get(name)!.textContent = "Required.";
        input.focus();
        return;
      }
    }
    const body: Record<string, unknown> = {};
    for (const [name, input] of inputs) {
      const v = input.value.trim();
      if (name === "variant_id") {
        if (!v) continue;
        if (!/^\d+$/.test(v)) {
          input.setAttribute("aria-invalid", "true");
          errors.get(name)!.textContent = "A number: the storefront's variant id.";
          input.focus();
          return;
        }
        body[name] = Number(v);
      } else if (v || name !== "connection") {
        body[name] = v;
      }
    }
    submit.disabled = true;
    try {
      const change = await api.post<PriceChange>(tenantPath(tenant, "/price-changes"), body);
      if (change.state === "pending_approval") {
        outcome.replaceChildren(h("p", { id: "pc-held" },
          `Held for approval${change.rule ? ` by the rule "${change.rule}"` : ""}: ` +
          `${change.sku} ${change.old_price} → ${change.new_price} ${change.currency} (${percent(change.percent)}). `,
          ...change.approval_ids.map((id) =>
            h("a", { href: `#/approvals/${encodeURIComponent(id)}`, id: "pc-approval-link" }, "Open the approval"))));
      } else {
        outcome.replaceChildren(h("p", { id: "pc-released" },
          `Released at once: ${change.sku} ${change.old_price} → ${change.new_price} ${change.currency} ` +
          `(${percent(change.percent)}). The storefront gets the new price when the price job publishes it.`));
      }
      for (const name of ["sku", "variant_id", "old_price", "new_price"]) inputs.get(name)!.value = "";
      reason.value = "";
      await load();
      (outcome.querySelector("a") as HTMLElement | null ?? inputs.get("sku")!).focus();
    } catch (e) {
      const name = invalidField(e);
      const input = inputs.get(name);
      const message = problemText(e, "The change could not be requested. Try again in a moment.");
      if (input) {
        input.setAttribute("aria-invalid", "true");
        // "invalid field 'new_price': price change: field 'new_price': 'x' is not a price" -> the reason.
        errors.get(name)!.textContent = message.replace(/^(.*field '[^']*': )+/, "");
        input.focus();
      } else {
        formError.textContent = message;
      }
    } finally {
      submit.disabled = false;
    }
  });

  void load().then(() => focusHeading(main));
}
