// Administration > Connections: the tenant's external systems (kind, address, when created),
// each secret shown only as a fingerprint and the time of its last rotation; create a
// connection and rotate a secret. Secrets are typed into password fields, sent once, never
// shown again.
import { api, ApiError, type Problem } from "../../api";
import { h } from "../../dom";
import { confirmDialog, formatTime, problemText, tenantPath } from "../../ui";
import type { AdminContext } from "../admin";
import { adminForm, allPages, focusPage, type Page } from "./form";

interface Connection {
  id: string;
  kind: string;
  url: string;
  has_secret: boolean;
  secret_fingerprint: string;
  secret_rotated_at: string | null;
  created_at: string;
}

// What a connection's metrics carry as brand (GET .../metrics/brands; metrics.read).
interface ConnectionBrand {
  connection: string;
  label: string;
  brand: string;
}

// "SKU,category" lines (a header line "sku,category" is skipped) -> entries; throws naming the
// line for one without a comma.
function parseSkuLines(text: string): { sku: string; category: string }[] {
  const items: { sku: string; category: string }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || (i === 0 && /^sku\s*[,;\t]\s*category$/i.test(line))) return;
    const m = line.match(/^([^,;\t]+)[,;\t](.*)$/);
    if (!m) {
      throw new ApiError(400, { detail: `Line ${i + 1}: expected "SKU,category".`,
        "invalid-params": [{ name: "items", reason: `line ${i + 1}: expected "SKU,category"` }] } as Problem);
    }
    items.push({ sku: m[1]!.trim(), category: m[2]!.trim() });
  });
  return items;
}

const kKinds = [
  { value: "shopify.webhooks", label: "Shopify webhooks (shopify.webhooks)" },
  { value: "erp.business_central", label: "Business Central (erp.business_central)" },
  { value: "shopify.admin", label: "Shopify Admin API (shopify.admin)" },
];

export function renderConnections(body: HTMLElement, ctx: AdminContext): void {
  const { tenant } = ctx;
  const manage = ctx.can("connections.manage");
  const status = h("p", { class: "empty", id: "connections-status", role: "status" }, "Loading…");
  // Outcomes live outside the forms, which are rebuilt (with fresh options) after each change.
  const result = h("p", { class: "result", id: "connections-result", role: "status", tabindex: "-1" });
  const list = h("div", { id: "connections-list" });
  const forms = h("div", { class: "admin-grid" });
  body.replaceChildren(status, result, list, forms);
  const say = (text: string) => {
    result.textContent = text;
    result.className = "result ok";
    result.focus();
  };
  let connections: Connection[] = [];
  let brands = new Map<string, ConnectionBrand>();  // empty without metrics.read

  const render = () => {
    if (connections.length === 0) {
      list.replaceChildren(h("p", { class: "empty" }, manage
        ? "No connections yet. Add the storefront or the ERP with the form below."
        : "No connections yet."));
    } else {
      const tbody = h("tbody");
      for (const c of connections) {
        tbody.append(h("tr", { "data-connection": c.id },
          h("td", {}, h("strong", {}, c.id)), h("td", {}, c.kind), h("td", {}, c.url || "—"),
          h("td", {}, c.has_secret ? h("code", { class: "fingerprint" }, c.secret_fingerprint) : "none"),
          h("td", {}, c.secret_rotated_at ? formatTime(c.secret_rotated_at) : "never"),
          h("td", {}, brands.get(c.id)?.label || "—"),
          h("td", {}, formatTime(c.created_at))));
      }
      list.replaceChildren(h("table", { class: "list", id: "connections-table" },
        h("thead", {}, h("tr", {}, ...["Connection", "Kind", "Address", "Secret fingerprint",
          "Secret rotated", "Brand", "Created"].map((x) => h("th", { scope: "col" }, x)))), tbody));
    }
    if (!manage) return;
    const create = adminForm("create-connection", "Add a connection", [
      { name: "id", label: "Id", required: true, hint: "e.g. shop or erp; webhooks arrive at /hooks/<tenant>/<id>." },
      { name: "kind", label: "Kind", type: "select", options: kKinds },
      { name: "config", label: "Settings (JSON)", type: "textarea", value: "{}",
        hint: "Everything except credentials, e.g. {\"shop_domain\": \"shop1.myshopify.com\"}." },
      { name: "secret_field", label: "Credential field", value: "secret",
        hint: "secret for Shopify webhooks, client_secret for Business Central." },
      { name: "secret", label: "Credential", type: "password", required: true },
    ], "Add connection", async (v) => {
      let config: unknown;
      try {
        config = JSON.parse(v.config || "{}");
      } catch {
        throw new ApiError(400, { detail: "Settings: not JSON.",
          "invalid-params": [{ name: "config", reason: "not JSON" }] } as Problem);
      }
      await api.post(tenantPath(tenant, "/connections"), { id: v.id, kind: v.kind, config,
        secret: { [v.secret_field || "secret"]: v.secret } });
      create.controls.get("secret")!.value = "";
      await reload(false);
      say(`Added the connection ${v.id}.`);
    });
    const rotate = adminForm("rotate-secret", "Rotate a secret", [
      { name: "connection", label: "Connection", type: "select",
        options: connections.map((c) => ({ value: c.id, label: `${c.id} (${c.kind})` })) },
      { name: "secret_field", label: "Credential field", value: "secret" },
      { name: "secret", label: "New credential", type: "password", required: true },
    ], "Rotate secret…", async (v) => {
      const ok = await confirmDialog({ title: `Rotate the secret of ${v.connection}?`, confirmLabel: "Rotate",
        danger: true, message: "The old secret stops being used: make sure the other system has the new one." });
      if (ok === null) return;
      const out = await api.post<Connection>(tenantPath(tenant,
        `/connections/${encodeURIComponent(v.connection!)}/secret`),
      { secret: { [v.secret_field || "secret"]: v.secret } });
      rotate.controls.get("secret")!.value = "";
      await reload(false);
      say(`Rotated the secret of ${v.connection}: the new fingerprint is ${out.secret_fingerprint}.`);
    });
    // The dashboards' dimensions (docs/intel.md): which brand a storefront sells, and the
    // category of each SKU (Shopify order lines carry none).
    const brand = adminForm("brand-label", "Brand of a storefront", [
      { name: "connection", label: "Connection", type: "select",
        options: connections.map((c) => ({ value: c.id, label: `${c.id} (${c.kind})` })) },
      { name: "brand", label: "Brand", hint: "What the dashboards call orders from this connection; empty removes the label." },
    ], "Save brand", async (v) => {
      await api.put(tenantPath(tenant, `/metrics/brands/${encodeURIComponent(v.connection!)}`),
        { brand: v.brand ?? "" });
      await reload(false);
      say(v.brand ? `Orders from ${v.connection} now count for the brand ${v.brand}.`
        : `Removed the brand label of ${v.connection}.`);
    });
    const skus = adminForm("sku-categories", "SKU categories", [
      { name: "items", label: "SKU,category lines", type: "textarea", required: true,
        hint: "One per line, e.g. TEE-ORG-S,APPAREL (the ERP's item categories); an empty category removes one." },
    ], "Save categories", async (v) => {
      const items = parseSkuLines(v.items ?? "");
      const out = await api.put<{ set: number; removed: number; unchanged: number }>(
        tenantPath(tenant, "/metrics/sku-categories"), { items });
      say(`SKU categories saved: ${out.set} set, ${out.removed} removed, ${out.unchanged} unchanged.`);
    });
    forms.replaceChildren(create.form, connections.length ? rotate.form : "",
      connections.length ? brand.form : "", skus.form);
  };

  const reload = async (first: boolean) => {
    try {
      connections = await allPages((c) => api.get<Page<Connection>>(
        tenantPath(tenant, `/connections?limit=500${c ? `&cursor=${encodeURIComponent(c)}` : ""}`)));
      brands = new Map();
      if (ctx.can("metrics.read")) {
        const b = await api.get<{ items: ConnectionBrand[] }>(tenantPath(tenant, "/metrics/brands"));
        for (const x of b.items) brands.set(x.connection, x);
      }
      status.textContent = "";
      render();
      if (first) focusPage(body);
    } catch (e) {
      status.textContent = problemText(e, "The connections could not be loaded. Try again in a moment.");
    }
  };
  void reload(true);
}
