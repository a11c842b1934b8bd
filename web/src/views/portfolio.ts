// Portfolio: every tenant the signed-in person may read metrics of, worst health first, with
// throughput, failure rate, latency, SLA attainment, open exceptions by severity and the workflow
// versions each runs (GET /api/v1/portfolio). Re-read every 10 s; a tenant's name opens its
// overview.
import { api, type Me } from "../api";
import { h } from "../dom";
import { focusHeading, problemText } from "../ui";
import {
  count, duration, healthBadge, kWindows, percent, storedWindow, windowPicker,
  type HealthVerdict, type MetricTotals,
} from "./overview";

interface PortfolioTenant {
  id: string;
  name: string;
  health: HealthVerdict;
  totals: MetricTotals;
  open_exceptions: Record<string, number>;
  workflows: { name: string; version: number }[];
  runs_started_series: number[];
}

interface Portfolio {
  window: { name: string };
  to: string;
  health_counts: Record<string, number>;
  tenants: PortfolioTenant[];
}

const kRank: Record<string, number> = { critical: 0, warning: 1, ok: 2 };
const kRefreshMs = 10_000;

// A tiny inline SVG sparkline of runs started (no chart library needed for 100 px).
function sparkline(values: number[], label: string): SVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("width", "100");
  svg.setAttribute("height", "24");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? 100 / (values.length - 1) : 100;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(22 - (v / max) * 20).toFixed(1)}`);
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", points.join(" "));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "var(--brand-primary, #2b5797)");
  line.setAttribute("stroke-width", "1.5");
  svg.append(line);
  return svg;
}

export function renderPortfolio(main: HTMLElement, _me: Me, _tenant: string, _rest: string[]): void {
  const token = String(Math.random());
  main.dataset.view = token;
  const alive = () => main.dataset.view === token && main.isConnected;
  let windowName = storedWindow();
  const status = h("p", { class: "muted", id: "portfolio-status", "aria-live": "polite" }, "Loading…");
  const body = h("div", { id: "portfolio-body" });
  const refresh = h("button", { type: "button", id: "portfolio-refresh" }, "Refresh");
  main.replaceChildren(
    h("h1", {}, "Portfolio"),
    h("div", { class: "actions" }, windowPicker(windowName, (w) => { windowName = w; void load(); }), refresh),
    status, body);
  refresh.addEventListener("click", () => void load());
  let first = true;

  async function load(): Promise<void> {
    let p: Portfolio;
    try {
      p = await api.get<Portfolio>(`/portfolio?window=${encodeURIComponent(windowName)}`);
    } catch (e) {
      if (alive()) status.textContent = problemText(e, "The portfolio could not be read.");
      return;
    }
    if (!alive()) return;
    const c = p.health_counts;
    status.textContent = `${count(p.tenants.length)} tenant(s): ${c.critical ?? 0} critical, ` +
      `${c.warning ?? 0} warning, ${c.ok ?? 0} ok · updated ${new Date(p.to).toLocaleTimeString()}`;
    draw(p);
    if (first) {
      first = false;
      focusHeading(main);
    }
  }

  function open(id: string): void {
    sessionStorage.setItem("tenant", id);
    if (location.hash === "#/overview") window.dispatchEvent(new HashChangeEvent("hashchange"));
    else location.hash = "#/overview";
  }

  function draw(p: Portfolio): void {
    if (p.tenants.length === 0) {
      body.replaceChildren(h("p", { class: "empty", id: "portfolio-empty" },
        "No tenants to show: you may read the metrics of none yet. A partner administrator creates " +
        "tenants in Administration; a tenant role with metrics.read (viewer and up) shows its tenant here."));
      return;
    }
    const phrase = kWindows.find(([v]) => v === p.window.name)?.[2] ?? p.window.name;
    const tenants = [...p.tenants].sort((a, b) =>
      (kRank[a.health.status] ?? 3) - (kRank[b.health.status] ?? 3) || a.name.localeCompare(b.name));
    const rows = tenants.map((t) => {
      const link = h("a", { href: "#/overview", class: "tenant-link" }, t.name);
      link.addEventListener("click", (e) => { e.preventDefault(); open(t.id); });
      const x = t.totals;
      return h("tr", { "data-tenant": t.id },
        h("th", { scope: "row" }, link, h("div", { class: "muted", style: "font-size:0.8rem" }, t.id)),
        h("td", {}, healthBadge(t.health),
          t.health.reasons.length ? h("div", { class: "muted", style: "font-size:0.8rem" }, t.health.reasons.join("; ")) : null),
        h("td", { class: "runs-started" }, count(x.runs_started), h("br"),
          sparkline(t.runs_started_series, `Runs started over ${phrase}`)),
        h("td", {}, `${x.throughput_per_hour.toFixed(1)}/h`),
        h("td", { class: "failure-rate" }, percent(x.failure_rate)),
        h("td", {}, duration(x.latency_p95_ms)),
        h("td", {}, percent(x.sla_attainment)),
        h("td", {}, ...["P1", "P2", "P3", "P4"].map((s) =>
          h("span", { class: `sev sev-${s}`, style: "margin-right:0.25rem" }, `${s} ${t.open_exceptions[s] ?? 0}`))),
        h("td", {}, t.workflows.length
          ? t.workflows.map((w) => `${w.name} v${w.version}`).join(", ")
          : h("span", { class: "muted" }, "none published")));
    });
    body.replaceChildren(h("table", { class: "list", id: "portfolio-table" },
      h("caption", { class: "muted", style: "text-align:left" }, `Every tenant over ${phrase}, worst health first`),
      h("thead", {}, h("tr", {}, ...["Tenant", "Health", "Runs started", "Throughput", "Failure rate",
        "Latency p95", "SLA attainment", "Open exceptions", "Workflows"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, ...rows)));
  }

  const timer = window.setInterval(() => {
    if (!alive()) {
      window.clearInterval(timer);
      return;
    }
    if (body.contains(document.activeElement)) return;
    void load();
  }, kRefreshMs);
  void load();
}
