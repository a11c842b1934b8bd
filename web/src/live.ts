// Live updates: one EventSource per tenant on /api/v1/tenants/{tenant}/events (server-sent
// events), shared by every view that subscribes. Views subscribe to topics and re-read what
// changed; the browser reconnects by itself and resumes from the last event id.

export type LiveTopic = "exception" | "approval" | "run" | "price_change" | "document";

export interface LiveEvent {
  topic: LiveTopic;
  // The audit action that caused it, e.g. "exception.opened", "approval.decided".
  action: string;
  // The changed object's id (exception case, approval task, run, ...).
  subject_id: string;
  // When it happened (RFC 3339).
  at: string;
}

type Listener = { topics: Set<string>; onEvent: (e: LiveEvent) => void };

let source: EventSource | null = null;
let sourceTenant = "";
const listeners = new Set<Listener>();

function open(tenant: string): void {
  if (source && sourceTenant === tenant) return;
  source?.close();
  sourceTenant = tenant;
  source = new EventSource(`/api/v1/tenants/${encodeURIComponent(tenant)}/events`);
  source.addEventListener("change", (message) => {
    let event: LiveEvent;
    try {
      event = JSON.parse((message as MessageEvent<string>).data) as LiveEvent;
    } catch {
      return;
    }
    for (const l of listeners) if (l.topics.has(event.topic)) l.onEvent(event);
  });
}

// Calls `onEvent` for every change of `topics` in `tenant` until the returned function is
// called. The stream closes when nobody listens any more.
export function subscribe(tenant: string, topics: LiveTopic[],
                          onEvent: (e: LiveEvent) => void): () => void {
  const listener: Listener = { topics: new Set(topics), onEvent };
  listeners.add(listener);
  open(tenant);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) {
      source?.close();
      source = null;
      sourceTenant = "";
    }
  };
}
