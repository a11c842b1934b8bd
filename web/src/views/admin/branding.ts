// Administration > Branding (partner administrators): the product name, logo, favicon, colours
// and support contact on every screen, with a live preview; saving applies the brand to this
// console at once, and every other console picks it up on its next load (the server re-reads
// the file; no restart).
import { api, type Branding } from "../../api";
import { applyBranding, loadBranding } from "../../branding";
import { h } from "../../dom";
import { problemText } from "../../ui";
import type { AdminContext } from "../admin";
import { adminForm, focusPage } from "./form";

const kColours = ["primary", "accent", "background", "text"] as const;

export function renderBranding(body: HTMLElement, _ctx: AdminContext): void {
  const status = h("p", { class: "empty", id: "branding-status", role: "status" }, "Loading…");
  body.replaceChildren(status);
  void (async () => {
    let b: Branding;
    try {
      b = await api.get<Branding>("/branding");
    } catch (e) {
      status.textContent = problemText(e, "The branding could not be loaded. Try again in a moment.");
      return;
    }
    const colors = b.colors ?? {};
    const form = adminForm("branding-form", "Brand", [
      { name: "product_name", label: "Product name", required: true, value: b.product_name },
      { name: "logo_url", label: "Logo URL", type: "url", value: b.logo_url ?? "",
        hint: "https://…, a path on this server such as /brand/logo.svg, or a data:image/png;base64,… URL." },
      { name: "favicon_url", label: "Favicon URL", type: "url", value: b.favicon_url ?? "" },
      ...kColours.map((c) => ({ name: `colors.${c}`, label: `${c[0]!.toUpperCase()}${c.slice(1)} colour`,
        value: colors[c] ?? "", hint: "#rrggbb" })),
      { name: "support.email", label: "Support e-mail", type: "email" as const, value: b.support?.email ?? "" },
      { name: "support.url", label: "Support URL", type: "url" as const, value: b.support?.url ?? "" },
      { name: "support.phone", label: "Support phone", value: b.support?.phone ?? "" },
    ], "Save branding", async (v) => {
      const next = toBranding(v);
      const saved = await api.put<Branding>("/branding", next);
      applyBranding(saved);
      await loadBranding();
      const name = document.getElementById("product-name");
      if (name) name.textContent = saved.product_name;
      return "Saved: every console shows the new brand from its next page load.";
    });

    // The preview follows the form as it is typed.
    const bar = h("div", { class: "preview-bar", id: "preview-bar" });
    const button = h("span", { class: "preview-button", id: "preview-button" }, "Approve");
    const support = h("p", { class: "hint", id: "preview-support" });
    const preview = h("section", { class: "card", "aria-labelledby": "preview-title" },
      h("h2", { id: "preview-title" }, "Preview"),
      h("div", { class: "brand-preview", id: "brand-preview" }, bar,
        h("div", { class: "preview-body", id: "preview-body" },
          h("p", {}, "Exceptions waiting for your team: 3"), button, support)));
    const update = () => {
      const v = toBranding(form.values());
      const primary = valid(v.colors?.primary) ?? "#1f4e79";
      const accent = valid(v.colors?.accent) ?? primary;
      bar.replaceChildren(v.logo_url ? h("img", { src: v.logo_url, alt: "", height: "24" }) : "",
        v.product_name || "(no name)");
      bar.style.background = primary;
      button.style.background = accent;
      const body = preview.querySelector<HTMLElement>("#preview-body")!;
      body.style.background = valid(v.colors?.background) ?? "#ffffff";
      body.style.color = valid(v.colors?.text) ?? "#1b1f24";
      support.textContent = v.support?.email ? `Support: ${v.support.email}` : "";
    };
    form.form.addEventListener("input", update);
    update();
    body.replaceChildren(h("div", { class: "admin-grid" }, form.form, preview));
    focusPage(body);
  })();
}

function valid(colour: string | undefined): string | undefined {
  return colour && /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(colour) ? colour : undefined;
}

// The form's flat values ("colors.primary") as the API's document; empty fields are left out.
function toBranding(v: Record<string, string>): Branding {
  const out: Branding = { product_name: v.product_name ?? "" };
  if (v.logo_url) out.logo_url = v.logo_url;
  if (v.favicon_url) out.favicon_url = v.favicon_url;
  const colors: NonNullable<Branding["colors"]> = {};
  for (const c of kColours) if (v[`colors.${c}`]) colors[c] = v[`colors.${c}`];
  if (Object.keys(colors).length) out.colors = colors;
  const support: NonNullable<Branding["support"]> = {};
  for (const k of ["email", "url", "phone"] as const) if (v[`support.${k}`]) support[k] = v[`support.${k}`];
  if (Object.keys(support).length) out.support = support;
  return out;
}
