// Overview: one tenant's operation over a window (1 h, 24 h, 7 d): throughput, failure rate,
// latency, SLA attainment, open exceptions by severity, trends by brand, channel and SKU category,
// and breakdown tables. Reads GET /api/v1/tenants/{tenant}/metrics/overview (the rollup tables of
// src/intel, refreshed every few seconds by the intel.rollup job) and re-reads it every 10 s.
// Charts are ECharts, loaded on demand and coloured with the partner's branding.
import { ApiError, api, type Me } from "../api";
import { branding } from "../branding";
import { h } from "../dom";
import { focusHeading, problemText } from "../ui";

export interface MetricTotals {
  runs_started: number;
  runs_succeeded: number;
  runs_failed: number;
  runs_cancelled: number;
  throughput_per_hour: number;
  failure_rate: number | null;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  latency_avg_ms: number | null;
  exceptions_opened: number;
  sla_met: number;
  sla_breached: number;
  sla_attainment: number | null;
  deliveries_accepted: number;
  deliveries_rejected: number;
  deliveries_duplicate: number;
}

export interface HealthVerdict { status: "ok" | "warning" | "critical"; reasons: string[] }

interface BreakdownRow extends MetricTotals { value: string; open_exceptions: number }

interface Overview {
  tenant: string;
  window: { name: string; seconds: number; step_seconds: number };
  from: string;
  to: string;
  rolled_up_to: string | null;
  totals: MetricTotals;
  open_exceptions: Record<string, number>;
  health: HealthVerdict;
  series: { start: string; runs_started: number; runs_succeeded: number; runs_failed: number;
            latency_p95_ms: number | null; exceptions_opened: number }[];
  breakdowns: Record<string, BreakdownRow[]>;
  trends: Record<string, { value: string; runs_started: number[] }[]>;
}

export const kWindows: [value: string, label: string, phrase: string][] = [
  ["1h", "Last hour", "the last hour"],
  ["24h", "Last 24 hours", "the last 24 hours"],
  ["7d", "Last 7 days", "the last 7 days"],
];

const kDimensions: [key: string, label: string][] = [
  ["process", "Process"], ["brand", "Brand"], ["channel", "Channel"], ["sku_category", "SKU category"],
];

const kRefreshMs = 10_000;

// ---- Formatting shared with the portfolio -------------------------------------------------------

export function percent(v: number | null): string {
  return v === null ? "–" : `${(v * 100).toFixed(1)}%`;
}

export function duration(ms: number | null): string {
  if (ms === null) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

export function count(n: number): string {
  return n.toLocaleString("en-US");
}

export function healthBadge(health: HealthVerdict): HTMLElement {
  const colours: Record<string, string> = {
    ok: "background:#dff3e4;color:#1d5e2c", warning: "background:#fdebd3;color:#7a4200",
    critical: "background:#fde2e1;color:#8a1c12",
  };
  return h("span", { class: `health health-${health.status}`, style: `display:inline-block;padding:0 0.45rem;border-radius:4px;font-weight:600;${colours[health.status] ?? ""}` },
    health.status === "ok" ? "OK" : health.status === "warning" ? "Warning" : "Critical");
}

export function windowPicker(current: string, onChange: (w: string) => void): HTMLElement {
  const select = h("select", { id: "window", style: "width:auto" });
  for (const [value, label] of kWindows) {
    const o = h("option", { value }, label);
    if (value === current) o.selected = true;
    select.append(o);
  }
  select.addEventListener("change", () => {
    sessionStorage.setItem("metrics-window", select.value);
    onChange(select.value);
  });
  return h("span", {}, h("label", { for: "window" }, "Window "), select);
}

export function storedWindow(): string {
  const w = sessionStorage.getItem("metrics-window") ?? "24h";
  return kWindows.some(([v]) => v === w) ? w : "24h";
}

// The partner's colours first, then a readable palette.
export function chartColours(): string[] {
  const c = branding().colors ?? {};
  return [c.primary, c.accent, "#6b7a8f", "#c0504d", "#9bbb59", "#8064a2", "#f79646"]
    .filter((x): x is string => !!x);
}

// ECharts, loaded on first use (its own chunk): only the parts the dashboards draw.
type ECharts = { setOption: (o: unknown, notMerge?: boolean) => void; resize: () => void; dispose: () => void };
let chartsModule: Promise<(el: HTMLElement) => ECharts> | null = null;
export function loadCharts(): Promise<(el: HTMLElement) => ECharts> {
  chartsModule ??= (async () => {
    // Destructured so that the bundler keeps only these parts of ECharts.
    const { use, init } = await import("echarts/core");
    const { LineChart, BarChart } = await import("echarts/charts");
    const { GridComponent, TooltipComponent, LegendComponent } = await import("echarts/components");
    const { CanvasRenderer } = await import("echarts/renderers");
    use([LineChart, BarChart, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer]);
    return (el: HTMLElement) => init(el) as unknown as ECharts;
  })();
  return chartsModule;
}

function timeLabel(iso: string, stepSeconds: number): string {
  const d = new Date(iso);
  const hm = d.toISOString().slice(11, 16);
  return stepSeconds >= 3600 ? `${d.toISOString().slice(5, 10)} ${hm}` : hm;
}

// ---- The page ------------------------------------------------------------------------------------

export function renderOverview(main: HTMLElement, me: Me, tenant: string, _rest: string[]): void {
  const token = String(Math.random());
  main.dataset.view = token;
  const alive = () => main.dataset.view === token && main.isConnected;
  const tenantName = me.tenants.find((t) => t.id === tenant)?.display_name || tenant;
  let windowName = storedWindow();
  const status = h("p", { class: "muted", id: "overview-status", "aria-live": "polite" }, "Loading…");
  const body = h("div", { id: "overview-body" });
  const refresh = h("button", { type: "button", id: "overview-refresh" }, "Refresh");
  main.replaceChildren(
    h("h1", {}, `Overview: ${tenantName}`),
    h("div", { class: "actions" }, windowPicker(windowName, (w) => { windowName = w; void load(); }), refresh),
    status, body);
  refresh.addEventListener("click", () => void load());
  const charts: ECharts[] = [];
  let trendDimension = "brand";
  let first = true;

  async function load(): Promise<void> {
    let o: Overview;
    try {
      o = await api.get<Overview>(
        `/tenants/${encodeURIComponent(tenant)}/metrics/overview?window=${encodeURIComponent(windowName)}`);
    } catch (e) {
      if (!alive()) return;
      status.textContent = e instanceof ApiError && e.status === 403
        ? "You may not read this tenant's metrics (metrics.read)."
        : problemText(e, "The overview could not be read.");
      return;
    }
    if (!alive()) return;
    status.textContent = o.rolled_up_to
      ? `Updated ${new Date(o.rolled_up_to).toLocaleTimeString()} · refreshes every ${kRefreshMs / 1000} s`
      : "Metrics are being computed for the first time…";
    const drawn = draw(o);  // the page is in place once draw's first (synchronous) part ran
    if (first) {
      first = false;
      focusHeading(main);
    }
    await drawn;
  }

  async function draw(o: Overview): Promise<void> {
    for (const c of charts.splice(0)) c.dispose();
    const phrase = kWindows.find(([v]) => v === o.window.name)?.[2] ?? o.window.name;
    const t = o.totals;
    const kpi = (id: string, label: string, value: string, note = "") =>
      h("div", { class: "card kpi", id, style: "margin:0" },
        h("div", { class: "muted" }, label),
        h("div", { class: "kpi-value", style: "font-size:1.6rem;font-weight:700" }, value),
        note ? h("div", { class: "muted", style: "font-size:0.85rem" }, note) : null);
    const severities = h("div", { style: "display:flex;gap:0.4rem;flex-wrap:wrap;margin-top:0.3rem" },
      ...["P1", "P2", "P3", "P4"].map((s) =>
        h("span", { class: `sev sev-${s}`, id: `open-${s}` }, `${s} ${count(o.open_exceptions[s] ?? 0)}`)));
    const kpis = h("div", { class: "cards", style: "grid-template-columns:repeat(auto-fit,minmax(11rem,1fr))" },
      kpi("kpi-throughput", "Throughput", `${t.throughput_per_hour.toFixed(1)}/h`,
        `${count(t.runs_succeeded)} succeeded of ${count(t.runs_started)} started`),
      kpi("kpi-failure-rate", "Failure rate", percent(t.failure_rate), `${count(t.runs_failed)} failed`),
      kpi("kpi-latency", "Latency p95", duration(t.latency_p95_ms), `p50 ${duration(t.latency_p50_ms)}`),
      kpi("kpi-sla", "SLA attainment", percent(t.sla_attainment),
        `${count(t.sla_met)} met · ${count(t.sla_breached)} breached`),
      h("div", { class: "card kpi", id: "kpi-open", style: "margin:0" },
        h("div", { class: "muted" }, "Open exceptions"),
        h("div", { class: "kpi-value", style: "font-size:1.6rem;font-weight:700" },
          count(Object.values(o.open_exceptions).reduce((a, b) => a + b, 0))),
        severities),
      h("div", { class: "card kpi", id: "kpi-health", style: "margin:0" },
        h("div", { class: "muted" }, "Health"),
        h("div", { style: "font-size:1.3rem;margin:0.2rem 0" }, healthBadge(o.health)),
        o.health.reasons.length ? h("div", { class: "muted", style: "font-size:0.85rem" }, o.health.reasons.join("; ")) : null));

    if (t.runs_started === 0 && t.deliveries_accepted === 0 && t.exceptions_opened === 0) {
      body.replaceChildren(kpis,
        h("p", { class: "empty", id: "overview-empty" },
          `No orders in ${phrase}: connect a storefront (Administration → Connections) or widen the window; ` +
          "new orders show here within a minute of arriving."));
      return;
    }

    const activity = h("div", { style: "height:260px", role: "img",
      "aria-label": `Runs started, succeeded and failed per ${o.window.step_seconds / 60} minutes over ${phrase}` });
    const latency = h("div", { style: "height:220px", role: "img", "aria-label": `Latency p95 over ${phrase}` });
    const trendSelect = h("select", { id: "trend-by", style: "width:auto" },
      ...kDimensions.filter(([k]) => k !== "process").map(([k, label]) => {
        const opt = h("option", { value: k }, label);
        if (k === trendDimension) opt.selected = true;
        return opt;
      }));
    const trend = h("div", { style: "height:240px", role: "img", "aria-label": "Runs started by the chosen dimension" });
    const trendCard = h("section", { class: "card" },
      h("h2", {}, "Trends"),
      h("div", { class: "actions" }, h("label", { for: "trend-by" }, "Runs started by "), trendSelect),
      trend);
    const tables = kDimensions.map(([k, label]) => breakdownTable(k, label, o.breakdowns[k] ?? []));
    body.replaceChildren(kpis,
      h("section", { class: "card" }, h("h2", {}, "Runs"), activity),
      h("section", { class: "card" }, h("h2", {}, "Latency (p95)"), latency),
      trendCard,
      h("section", { class: "card" }, h("h2", {}, "Breakdown"), ...tables));

    let init: (el: HTMLElement) => ECharts;
    try {
      init = await loadCharts();
    } catch {
      return;  // the tables still say everything
    }
    if (!alive()) return;
    const colours = chartColours();
    const labels = o.series.map((p) => timeLabel(p.start, o.window.step_seconds));
    const base = { color: colours, animation: false, tooltip: { trigger: "axis" },
      grid: { left: 48, right: 16, top: 32, bottom: 28 }, xAxis: { type: "category", data: labels } };
    const a = init(activity);
    a.setOption({ ...base, legend: { top: 0 }, yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: "Started", type: "bar", data: o.series.map((p) => p.runs_started) },
        { name: "Succeeded", type: "line", showSymbol: false, data: o.series.map((p) => p.runs_succeeded) },
        { name: "Failed", type: "line", showSymbol: false, data: o.series.map((p) => p.runs_failed), color: "#c0392b" },
      ] });
    const l = init(latency);
    l.setOption({ ...base, yAxis: { type: "value", name: "s" },
      series: [{ name: "p95", type: "line", connectNulls: false, showSymbol: true, symbolSize: 4,
        data: o.series.map((p) => (p.latency_p95_ms === null ? null : +(p.latency_p95_ms / 1000).toFixed(2))) }] });
    const tr = init(trend);
    const drawTrend = () => {
      const values = o.trends[trendDimension] ?? [];
      tr.setOption({ ...base, legend: { top: 0 }, yAxis: { type: "value", minInterval: 1 },
        series: values.map((v) => ({ name: v.value, type: "line", showSymbol: false, data: v.runs_started })) }, true);
    };
    drawTrend();
    trendSelect.addEventListener("change", () => { trendDimension = trendSelect.value; drawTrend(); });
    charts.push(a, l, tr);
  }

  function breakdownTable(key: string, label: string, rows: BreakdownRow[]): HTMLElement {
    if (rows.length === 0) {
      return h("div", {}, h("h3", {}, label), h("p", { class: "empty" }, `No runs by ${label.toLowerCase()} in this window.`));
    }
    return h("div", {},
      h("h3", {}, label),
      h("table", { class: "list", id: `breakdown-${key}` },
        h("thead", {}, h("tr", {}, ...[label, "Started", "Succeeded", "Failed", "Failure rate", "p95", "SLA", "Open exceptions"]
          .map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, ...rows.map((r) => h("tr", {},
          h("th", { scope: "row" }, r.value),
          h("td", {}, count(r.runs_started)), h("td", {}, count(r.runs_succeeded)),
          h("td", {}, count(r.runs_failed)), h("td", {}, percent(r.failure_rate)),
          h("td", {}, duration(r.latency_p95_ms)), h("td", {}, percent(r.sla_attainment)),
          h("td", {}, count(r.open_exceptions)))))));
  }

  const onResize = () => { for (const c of charts) c.resize(); };
  window.addEventListener("resize", onResize);
  const timer = window.setInterval(() => {
    if (!alive()) {
      window.clearInterval(timer);
      window.removeEventListener("resize", onResize);
      for (const c of charts.splice(0)) c.dispose();
      return;
    }
    // Not under someone's keyboard focus (a redraw would take it away): next time.
    if (body.contains(document.activeElement)) return;
    void load();
  }, kRefreshMs);
  void load();
}
