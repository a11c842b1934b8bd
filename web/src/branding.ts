// White-label: the partner's name, logo, colours, favicon and support contact, fetched at run time
// (GET /api/v1/branding, public) and applied to the document, so no govflow name shows where the
// partner's should and a change needs no rebuild.
import { api, type Branding } from "./api";

const kNeutral: Branding = { product_name: "Console" };

let current: Branding = kNeutral;

export function branding(): Branding {
  return current;
}

export async function loadBranding(): Promise<Branding> {
  try {
    current = { ...kNeutral, ...(await api.get<Branding>("/branding")) };
  } catch {
    current = kNeutral;  // the sign-in screen still works, unbranded
  }
  applyBranding(current);
  return current;
}

export function applyBranding(b: Branding): void {
  document.title = b.product_name;
  const root = document.documentElement.style;
  const colors = b.colors ?? {};
  if (colors.primary) root.setProperty("--brand-primary", colors.primary);
  if (colors.accent) root.setProperty("--brand-accent", colors.accent);
  if (colors.background) root.setProperty("--brand-background", colors.background);
  if (colors.text) root.setProperty("--brand-text", colors.text);
  const icon = document.getElementById("favicon") as HTMLLinkElement | null;
  if (icon && b.favicon_url) icon.href = b.favicon_url;
}
