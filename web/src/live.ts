// Live updates: one EventSource per tenant on /api/v1/tenants/{tenant}/events (server-sent
// events), shared by every view that subscribes. Views subscribe to topics and re-read what
// changed; events never carry a payload. Subscriptions belong to the page on screen: the shell
// ends them (endPageSubscriptions) before it renders another page, and the stream closes shortly
// after nobody listens. The browser reconnects by itself and resumes from the last event id;
// when the server refuses a stream (too many streams, stopping) this module retries with a
// growing delay, and when the session has ended it stops until the next sign-in. The shell shows
// the connection's state (liveIndicator).

import { api, ApiError } from "./api";

export type LiveTopic = "exception" | "approval" | "run" | "price_change" | "document";

export interface LiveEvent {
  topic: LiveTopic;
  // The audit action that caused it, e.g. "exception.open", "approval.request",
  // "approval.approve", "run.failed", "price_change.release", "document.publish". "reset" means
  // changes were missed (the console was away too long): re-read everything the page shows.
  action: string;
  // The changed object's id (exception case, approval task, run, ...); "" for "reset".
  subject_id: string;
  // When it happened (RFC 3339).
  at: string;
}

// off: no page listens; connecting: the first connection; live: connected; reconnecting: the
// connection dropped and is being restored; stopped: the session ended (sign in again).
export type LiveState = "off" | "connecting" | "live" | "reconnecting" | "stopped";

type Listener = { tenant: string; topics: Set<string>; onEvent: (e: LiveEvent) => void };

// How long the stream stays open after the last subscription ends, so that moving between two
// live pages keeps one connection.
const kCloseDelayMs = 1500;
const kRetryMinMs = 3000;
const kRetryMaxMs = 60000;

let source: EventSource | null = null;
let sourceTenant = "";
// The last event id seen on sourceTenant's stream (its audit sequence number).
let lastEventId = "";
let retryMs = kRetryMinMs;
let retryTimer: number | undefined;
let closeTimer: number | undefined;
let state: LiveState = "off";
const listeners = new Set<Listener>();
const pageSubscriptions = new Set<() => void>();
let indicator: HTMLElement | null = null;

const kStateText: Record<LiveState, string> = {
  off: "",
  connecting: "Connecting live updates…",
  live: "Live",
  reconnecting: "Reconnecting…",
  stopped: "Live updates stopped: sign in again",
};

function setState(next: LiveState): void {
  if (next === state) return;
  state = next;
  paintIndicator();
}

function paintIndicator(): void {
  if (!indicator) return;
  indicator.dataset.state = state;
  indicator.title = state === "live" ? "This page updates by itself as changes happen" : "";
  const text = indicator.querySelector<HTMLElement>(".live-text");
  if (text) text.textContent = kStateText[state];
  const dot = indicator.querySelector<HTMLElement>(".live-dot");
  if (dot) {
    dot.style.color = state === "live" ? "#4ade80" : "#fbbf24";
    dot.hidden = state === "off";
  }
}

// The shell's indicator of the live connection: a polite live region, so that screen readers
// hear "Reconnecting…" and "Live" without losing their place. The latest element returned is
// the one kept up to date.
export function liveIndicator(): HTMLElement {
  indicator = document.createElement("span");
  indicator.id = "live-status";
  indicator.className = "live-indicator";
  indicator.setAttribute("role", "status");
  indicator.setAttribute("aria-live", "polite");
  const dot = document.createElement("span");
  dot.className = "live-dot";
  dot.setAttribute("aria-hidden", "true");
  dot.textContent = "\u25cf ";
  const text = document.createElement("span");
  text.className = "live-text";
  indicator.append(dot, text);
  paintIndicator();
  return indicator;
}

function dispatch(event: LiveEvent): void {
  for (const l of [...listeners]) {
    if (l.tenant === sourceTenant && l.topics.has(event.topic)) l.onEvent(event);
  }
}

function closeSource(): void {
  source?.close();
  source = null;
  if (retryTimer !== undefined) window.clearTimeout(retryTimer);
  retryTimer = undefined;
}

function connect(tenant: string): void {
  closeSource();
  if (sourceTenant !== tenant) lastEventId = "";  // ids are per tenant
  sourceTenant = tenant;
  // The browser's own reconnects send Last-Event-ID (which the server prefers); the parameter
  // resumes a stream this module reopens itself.
  const resume = lastEventId ? `?last_event_id=${encodeURIComponent(lastEventId)}` : "";
  const es = new EventSource(`/api/v1/tenants/${encodeURIComponent(tenant)}/events${resume}`);
  source = es;
  setState(state === "live" || state === "reconnecting" ? "reconnecting" : "connecting");
  es.addEventListener("ready", (message) => {
    if (source !== es) return;
    lastEventId = (message as MessageEvent<string>).lastEventId || lastEventId;
    retryMs = kRetryMinMs;
    setState("live");
  });
  es.addEventListener("change", (message) => {
    if (source !== es) return;
    const m = message as MessageEvent<string>;
    // Never the same change twice, even across reconnects.
    if (lastEventId && m.lastEventId && Number(m.lastEventId) <= Number(lastEventId)) return;
    lastEventId = m.lastEventId || lastEventId;
    let event: LiveEvent;
    try {
      event = JSON.parse(m.data) as LiveEvent;
    } catch {
      return;
    }
    dispatch(event);
  });
  es.addEventListener("reset", (message) => {
    if (source !== es) return;
    lastEventId = (message as MessageEvent<string>).lastEventId || lastEventId;
    const at = new Date().toISOString();
    // Once per listener, with its first topic: each page re-reads what it shows.
    for (const l of [...listeners]) {
      const topic = [...l.topics][0] as LiveTopic | undefined;
      if (l.tenant === sourceTenant && topic) l.onEvent({ topic, action: "reset", subject_id: "", at });
    }
  });
  es.addEventListener("closed", (message) => {
    if (source !== es) return;
    let reason = "";
    try {
      reason = String((JSON.parse((message as MessageEvent<string>).data) as { reason?: string }).reason ?? "");
    } catch {
      // no reason given
    }
    // The session ended: reconnecting cannot succeed until the person signs in again.
    if (/^signed out/.test(reason)) {
      closeSource();
      setState("stopped");
    }
  });
  es.addEventListener("error", () => {
    if (source !== es) return;
    setState("reconnecting");
    if (es.readyState !== EventSource.CLOSED) return;  // the browser retries by itself
    // Refused (401, 429, 503) or cut before the head: the browser gives up. Unless the session
    // is gone (401 on /me), retry here, backing off, as long as some page listens.
    closeSource();
    const tenant = sourceTenant;
    void api.get("/me").then(
      () => scheduleRetry(tenant),
      (e: unknown) => {
        if (e instanceof ApiError && e.status === 401) setState("stopped");
        else scheduleRetry(tenant);
      });
  });
}

function scheduleRetry(tenant: string): void {
  if (source || retryTimer !== undefined || listeners.size === 0 || tenant !== sourceTenant) return;
  retryTimer = window.setTimeout(() => {
    retryTimer = undefined;
    if (listeners.size > 0 && !source) connect(sourceTenant);
  }, retryMs);
  retryMs = Math.min(retryMs * 2, kRetryMaxMs);
}

function stop(): void {
  closeSource();
  setState("off");
}

// Calls `onEvent` for every change of `topics` in `tenant` until the returned function is
// called (calling it again does nothing) or the shell renders another page. The stream closes
// when nobody listens any more.
export function subscribe(tenant: string, topics: LiveTopic[],
                          onEvent: (e: LiveEvent) => void): () => void {
  const listener: Listener = { tenant, topics: new Set(topics), onEvent };
  listeners.add(listener);
  if (closeTimer !== undefined) window.clearTimeout(closeTimer);
  closeTimer = undefined;
  if (sourceTenant !== tenant || (!source && retryTimer === undefined)) connect(tenant);
  const unsubscribe = () => {
    if (!listeners.delete(listener)) return;
    pageSubscriptions.delete(unsubscribe);
    if (listeners.size === 0 && closeTimer === undefined) {
      closeTimer = window.setTimeout(() => {
        closeTimer = undefined;
        if (listeners.size === 0) stop();
      }, kCloseDelayMs);
    }
  };
  pageSubscriptions.add(unsubscribe);
  return unsubscribe;
}

// Ends every subscription of the page on screen (the shell calls it before rendering another).
export function endPageSubscriptions(): void {
  for (const unsubscribe of [...pageSubscriptions]) unsubscribe();
}

// The connection's state now (tests, views that want to say "updates live").
export function liveState(): LiveState {
  return state;
}
