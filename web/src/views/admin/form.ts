// The administration pages' forms: labelled fields, each with its own error line that a
// problem+json answer fills in (invalid-params names the field), a form-level message for the
// rest, and focus moved to the first field in error.
import { ApiError } from "../../api";
import { h } from "../../dom";
import { focusHeading, problemText } from "../../ui";

export interface FieldSpec {
  name: string;              // the API's field name (also what invalid-params names)
  label: string;
  type?: "text" | "email" | "password" | "url" | "color" | "select" | "textarea" | "datetime-local";
  required?: boolean;
  value?: string;
  hint?: string;
  options?: { value: string; label: string }[];
  autocomplete?: string;
}

export type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

export interface AdminForm {
  form: HTMLFormElement;
  controls: Map<string, Control>;
  values(): Record<string, string>;
  message: HTMLElement;
  reset(): void;
}

// `id` prefixes every element id: `${id}-${name}` for a control, `${id}-${name}-error` for its
// error line. onSubmit's ApiError lands on the fields it names.
export function adminForm(id: string, title: string, fields: FieldSpec[], submitLabel: string,
                          onSubmit: (values: Record<string, string>) => Promise<string | void>):
    AdminForm {
  const controls = new Map<string, Control>();
  const errors = new Map<string, HTMLElement>();
  const rows = fields.map((f) => {
    const cid = `${id}-${f.name.replace(/\./g, "-")}`;
    let control: Control;
    if (f.type === "select") {
      const select = h("select", { id: cid, name: f.name });
      for (const o of f.options ?? []) select.append(h("option", { value: o.value }, o.label));
      if (f.value !== undefined) select.value = f.value;
      control = select;
    } else if (f.type === "textarea") {
      control = h("textarea", { id: cid, name: f.name, rows: "3" });
      control.value = f.value ?? "";
    } else {
      control = h("input", { id: cid, name: f.name, type: f.type ?? "text",
        autocomplete: f.autocomplete ?? (f.type === "password" ? "new-password" : "off") });
      control.value = f.value ?? "";
    }
    if (f.required) control.setAttribute("aria-required", "true");
    const error = h("p", { class: "field-error", id: `${cid}-error`, "aria-live": "polite" });
    control.setAttribute("aria-describedby", `${cid}-error${f.hint ? ` ${cid}-hint` : ""}`);
    controls.set(f.name, control);
    errors.set(f.name, error);
    // A field's error goes once it is edited.
    control.addEventListener("input", () => {
      error.textContent = "";
      control.removeAttribute("aria-invalid");
    });
    return h("div", { class: "field" },
      h("label", { for: cid }, f.label + (f.required || f.type === "select" ? "" : " (optional)")),
      control,
      f.hint ? h("p", { class: "hint", id: `${cid}-hint` }, f.hint) : null,
      error);
  });
  const message = h("p", { class: "result", id: `${id}-result`, role: "status", tabindex: "-1" });
  const submit = h("button", { type: "submit", class: "primary", id: `${id}-submit` }, submitLabel);
  const form = h("form", { class: "admin-form card", id, novalidate: true, "aria-labelledby": `${id}-title` },
    h("h2", { id: `${id}-title` }, title), ...rows, h("div", { class: "actions" }, submit), message);
  const values = () => {
    const out: Record<string, string> = {};
    for (const [name, c] of controls) out[name] = c.value.trim();
    return out;
  };
  const clearErrors = () => {
    for (const e of errors.values()) e.textContent = "";
    for (const c of controls.values()) c.removeAttribute("aria-invalid");
    message.textContent = "";
    message.className = "result";
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    const v = values();
    const missing = fields.find((f) => f.required && !v[f.name]);
    if (missing) {
      showFieldError(missing.name, "Required.");
      return;
    }
    submit.disabled = true;
    try {
      const note = await onSubmit(v);
      if (note) {
        message.textContent = note;
        message.className = "result ok";
      }
    } catch (e) {
      const named = e instanceof ApiError ? invalidParams(e) : [];
      let shown = false;
      for (const p of named) {
        // "colors.primary" lands on that field; "secret" on the first field under it.
        const field = fields.find((f) => f.name === p.name) ??
          fields.find((f) => f.name.startsWith(`${p.name}.`) || p.name.startsWith(`${f.name}.`));
        if (field) {
          showFieldError(field.name, p.reason, !shown);
          shown = true;
        }
      }
      message.textContent = problemText(e, "That did not work. Try again in a moment.");
      message.className = "result error";
      if (!shown) message.focus();
    } finally {
      submit.disabled = false;
    }
  });
  function showFieldError(name: string, text: string, focus = true): void {
    const c = controls.get(name);
    errors.get(name)!.textContent = text;
    c?.setAttribute("aria-invalid", "true");
    if (focus) c?.focus();
  }
  return {
    form, controls, values, message,
    reset: () => {
      for (const f of fields) {
        const c = controls.get(f.name)!;
        if (f.type !== "select") c.value = f.value ?? "";
      }
    },
  };
}

export function invalidParams(e: ApiError): { name: string; reason: string }[] {
  const list = (e.problem as Record<string, unknown>)["invalid-params"];
  if (!Array.isArray(list)) return e.problem.field ? [{ name: e.problem.field, reason: e.message }] : [];
  return list.filter((p): p is { name: string; reason: string } =>
    typeof p === "object" && p !== null && typeof (p as { name?: unknown }).name === "string");
}

// A one-time secret (a generated password, a new API token): shown once, with a copy button,
// and a plain statement that it will not be shown again.
export function oneTimeSecret(id: string, label: string, value: string): HTMLElement {
  const code = h("code", { id }, value);
  const copy = h("button", { type: "button" }, "Copy");
  copy.addEventListener("click", () => void navigator.clipboard?.writeText(value));
  return h("div", { class: "card one-time", role: "alert" },
    h("p", {}, h("strong", {}, label), " — shown this once; it is not stored in a form anyone can read back."),
    h("p", {}, code, " ", copy));
}

// After a tab has loaded: focus the page's heading (keyboard and screen-reader users land on it).
export function focusPage(body: HTMLElement): void {
  focusHeading((body.closest("main") as HTMLElement | null) ?? body);
}

export interface Page<T> {
  items: T[];
  next_cursor: string;
}

// Every page of a list (administration lists are short: users, teams, tokens of one tenant).
export async function allPages<T>(get: (cursor: string) => Promise<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  let cursor = "";
  for (let i = 0; i < 100; ++i) {
    const page = await get(cursor);
    out.push(...page.items);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return out;
}
