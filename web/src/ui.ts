// Shared pieces of the console's pages: a modal confirmation (a real <dialog>: focus moves into
// it, Escape cancels, focus returns to the button that opened it), times and countdowns, money in
// minor units, and a problem message for a failed call.
import { ApiError } from "./api";
import { h } from "./dom";

export interface ConfirmOptions {
  title: string;
  message: string | Node;
  confirmLabel: string;
  // When set, the dialog asks for a comment; it refuses to confirm without one unless
  // commentOptional.
  commentLabel?: string;
  commentOptional?: boolean;
  // Extra one-line inputs (e.g. team and assignee), read with dialogValues() after confirming;
  // `anyOf`: at least one of them must be filled in.
  fields?: { id: string; label: string }[];
  anyOf?: string;
  danger?: boolean;
}

const lastValues = new Map<string, string>();

// The extra fields of the last confirmed dialog.
export function dialogValues(): Map<string, string> {
  return lastValues;
}

// Resolves to the comment ("" when none was asked) or null when cancelled.
export function confirmDialog(opts: ConfirmOptions): Promise<string | null> {
  const opener = document.activeElement as HTMLElement | null;
  return new Promise((resolve) => {
    const comment = opts.commentLabel
      ? h("textarea", { id: "confirm-comment", rows: "3",
          "aria-required": opts.commentOptional ? undefined : "true" })
      : null;
    const error = h("p", { class: "form-error", role: "alert", id: "confirm-error" });
    const inputs = (opts.fields ?? []).map((f) => ({ f, input: h("input", { id: f.id, type: "text" }) }));
    const ok = h("button", { type: "submit", class: opts.danger ? "danger" : "primary",
      id: "confirm-ok" }, opts.confirmLabel);
    const cancel = h("button", { type: "button", id: "confirm-cancel" }, "Cancel");
    // novalidate: the comment check below says what is missing in words.
    const form = h("form", { method: "dialog", class: "dialog-form", novalidate: true },
      h("h2", { id: "confirm-title" }, opts.title),
      typeof opts.message === "string" ? h("p", { id: "confirm-message" }, opts.message)
        : h("div", { id: "confirm-message" }, opts.message),
      ...inputs.flatMap(({ f, input }) => [h("label", { for: f.id }, f.label), input]),
      comment ? h("label", { for: "confirm-comment" }, opts.commentLabel ?? "") : null,
      comment, error,
      h("div", { class: "actions" }, ok, cancel));
    const dialog = h("dialog", { class: "confirm", "aria-labelledby": "confirm-title" }, form);
    let settled = false;
    const finish = (value: string | null) => {
      if (settled) return;
      settled = true;
      dialog.close();
      dialog.remove();
      opener?.focus();
      resolve(value);
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = comment?.value.trim() ?? "";
      if (inputs.length && opts.anyOf && inputs.every(({ input }) => !input.value.trim())) {
        error.textContent = opts.anyOf;
        inputs[0]!.input.focus();
        return;
      }
      lastValues.clear();
      for (const { f, input } of inputs) lastValues.set(f.id, input.value.trim());
      if (comment && !text && !opts.commentOptional) {
        error.textContent = "A comment is required: say why, for the audit trail.";
        comment.focus();
        return;
      }
      finish(text);
    });
    cancel.addEventListener("click", () => finish(null));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      finish(null);
    });
    document.body.append(dialog);
    dialog.showModal();
    (inputs[0]?.input ?? comment ?? ok).focus();
  });
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

// "in 1 h 05 min" / "overdue by 12 min", from now to `iso`.
export function countdown(iso: string, now = Date.now()): { text: string; overdue: boolean } {
  const ms = new Date(iso).getTime() - now;
  const overdue = ms < 0;
  let minutes = Math.floor(Math.abs(ms) / 60000);
  const days = Math.floor(minutes / 1440);
  minutes -= days * 1440;
  const hours = Math.floor(minutes / 60);
  minutes -= hours * 60;
  const parts = [days ? `${days} d` : "", hours ? `${hours} h` : "", `${minutes} min`]
    .filter(Boolean).join(" ");
  return { text: overdue ? `overdue by ${parts}` : `in ${parts}`, overdue };
}

export function money(minor: number, currency: string): string {
  if (!currency) return minor === 0 ? "—" : String(minor);
  try {
    const digits = new Intl.NumberFormat(undefined, { style: "currency", currency })
      .resolvedOptions().maximumFractionDigits ?? 2;
    return new Intl.NumberFormat(undefined, { style: "currency", currency })
      .format(minor / 10 ** digits);
  } catch {
    return `${(minor / 100).toFixed(2)} ${currency}`;
  }
}

export function problemText(e: unknown, fallback: string): string {
  if (e instanceof ApiError) {
    if (e.status === 403) return `Not allowed: ${e.message}`;
    if (e.status === 404) return "Not found, or not on this tenant.";
    if (e.status === 409) return `Conflict: ${e.message}`;
    return e.message || fallback;
  }
  return fallback;
}

// Moves focus to a page's heading after it changes, so keyboard and screen-reader users land on
// the new content.
export function focusHeading(main: HTMLElement): void {
  const heading = main.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
}

export function tenantPath(tenant: string, rest: string): string {
  return `/tenants/${encodeURIComponent(tenant)}${rest}`;
}

// Calls `fn` once `ms` after the last call (typing in a filter box); `cancel` drops a pending
// call.
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number):
    ((...args: A) => void) & { cancel: () => void } {
  let timer: number | undefined;
  const call = (...args: A) => {
    if (timer !== undefined) window.clearTimeout(timer);
    timer = window.setTimeout(() => { timer = undefined; fn(...args); }, ms);
  };
  return Object.assign(call, { cancel: () => { if (timer !== undefined) window.clearTimeout(timer); timer = undefined; } });
}

// "1–100 of 10,000" (or "of more than 10,000" when the server stopped counting; "" when empty).
export function rangeText(first: number, shown: number, total: number | undefined,
                          capped = false): string {
  if (shown === 0) return "";
  const fmt = (n: number) => n.toLocaleString("en-US");
  const span = `${fmt(first)}–${fmt(first + shown - 1)}`;
  if (total === undefined) return span;
  return `${span} of ${capped ? "more than " : ""}${fmt(total)}`;
}

// True when a keyboard shortcut must not fire: the key was typed into a field, a modifier is
// held, or a modal dialog is open.
export function typingTarget(event: KeyboardEvent): boolean {
  if (event.ctrlKey || event.metaKey || event.altKey) return true;
  if (document.querySelector("dialog[open]")) return true;
  const t = event.target as HTMLElement | null;
  if (!t) return false;
  return t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName);
}

// The "?" dialog: a page's keyboard shortcuts as a table (a real <dialog>: Escape or the Close
// button closes it, focus returns to where it was).
export function shortcutHelp(title: string, shortcuts: [keys: string[], what: string][]): void {
  const opener = document.activeElement as HTMLElement | null;
  const close = h("button", { type: "button", id: "help-close", class: "primary" }, "Close");
  const dialog = h("dialog", { class: "confirm help", id: "shortcut-help", "aria-labelledby": "help-title" },
    h("h2", { id: "help-title" }, title),
    h("table", { class: "shortcuts" },
      h("tbody", {}, ...shortcuts.map(([keys, what]) => h("tr", {},
        h("th", { scope: "row" }, ...keys.flatMap((k, i) => [i ? " or " : "", h("kbd", {}, k)])),
        h("td", {}, what))))),
    h("div", { class: "actions" }, close));
  const finish = () => {
    dialog.close();
    dialog.remove();
    opener?.focus();
  };
  close.addEventListener("click", finish);
  dialog.addEventListener("cancel", (event) => { event.preventDefault(); finish(); });
  document.body.append(dialog);
  dialog.showModal();
  close.focus();
}
