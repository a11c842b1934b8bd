// Governed documents: the list, and a document's page with its versions, the YAML of a version,
// the structural diff between two versions, and the lifecycle buttons (submit, approve, reject,
// publish to dev, promote dev -> staging -> prod) enabled only when the version's state allows
// them; the server decides the rest (segregation of duties, promotion approvals) and its answer
// is shown. Everything comes from GET/POST /api/v1/tenants/{tenant}/documents...
import { api, ApiError } from "../api";
import { h } from "../dom";
import type { Json } from "../lib/jsonpatch";
import { confirmDialog, focusHeading, formatTime, problemText, tenantPath } from "../ui";
import { loadPeople, personName } from "../lib/people";

type Raw = Record<string, Json>;

interface Page<T> {
  items: T[];
  next_cursor?: string;
}

function str(v: Json | undefined): string {
  return typeof v === "string" ? v : v === null || v === undefined ? "" : String(v);
}

function when(raw: Raw, name: string): string {
  const direct = raw[name];
  if (typeof direct === "string") return direct;
  const us = raw[`${name}_us`];
  return typeof us === "number" ? new Date(us / 1000).toISOString() : "";
}

const kEnvs = ["dev", "staging", "prod"] as const;

// Which version each environment runs, from the versions' "live_in" lists.
function environments(versions: Raw[]): Record<string, number | null> {
  const out: Record<string, number | null> = { dev: null, staging: null, prod: null };
  for (const v of versions) {
    for (const env of Array.isArray(v.live_in) ? v.live_in : []) {
      if (typeof env === "string" && env in out) out[env] = Number(v.version);
    }
  }
  return out;
}

function docPath(tenant: string, kind: string, name: string, rest = ""): string {
  return tenantPath(tenant, `/documents/${encodeURIComponent(kind)}/${encodeURIComponent(name)}${rest}`);
}

export function renderDocuments(main: HTMLElement, tenant: string, rest: string[]): void {
  if (rest[0] && rest[1]) {
    return renderDocument(main, tenant, decodeURIComponent(rest[0]), decodeURIComponent(rest[1]),
      rest[2] ? Number(rest[2]) : undefined);
  }
  const status = h("p", { class: "empty", id: "inbox-status", role: "status" }, "Loading…");
  const tbody = h("tbody");
  const table = h("table", { class: "list", id: "documents-table" },
    h("thead", {}, h("tr", {}, ...["Document", "Kind", "Latest version", "State", "Latest runs in", "Drafted"]
      .map((t) => h("th", { scope: "col" }, t)))), tbody);
  table.hidden = true;
  main.replaceChildren(h("h1", {}, "Documents"), status, table);
  void (async () => {
    try {
      const answer = await api.get<Raw[] | Page<Raw>>(tenantPath(tenant, "/documents"));
      const items = Array.isArray(answer) ? answer : answer.items;
      for (const d of items) {
        const kind = str(d.kind);
        const name = str(d.name);
        const live = Array.isArray(d.live_in) ? d.live_in.map(str) : [];
        tbody.append(h("tr", { "data-document": `${kind}/${name}` },
          h("td", {}, h("a", { href: `#/documents/${encodeURIComponent(kind)}/${encodeURIComponent(name)}` }, name)),
          h("td", {}, kind.replace(/_/g, " ")),
          h("td", {}, `v${str(d.version)}`),
          h("td", {}, str(d.state)),
          h("td", {}, live.join(", ") || "—"),
          h("td", {}, formatTime(str(d.created_at)))));
      }
      table.hidden = items.length === 0;
      status.textContent = items.length ? "" :
        "No documents yet. Draft a workflow or policy (govflow documents draft) and it appears here for review.";
    } catch (e) {
      status.textContent = e instanceof ApiError && e.status === 403
        ? "You do not have access to documents on this tenant."
        : problemText(e, "The documents could not be loaded. Try again in a moment.");
    }
  })();
}

function renderDocument(main: HTMLElement, tenant: string, kind: string, name: string,
                        selected?: number, note = "", approvalId = ""): void {
  const status = h("p", { class: "empty", id: "document-status", role: "status" }, "Loading…");
  main.replaceChildren(h("p", {}, h("a", { href: "#/documents" }, "← Documents")),
    h("h1", {}, name), status);
  const href = (v: number) =>
    `#/documents/${encodeURIComponent(kind)}/${encodeURIComponent(name)}/${v}`;
  void (async () => {
    let doc: Raw;
    let etag = "";
    try {
      const [tagged] = await Promise.all([api.getTagged<Raw>(docPath(tenant, kind, name)),
        loadPeople(tenant)]);
      doc = tagged.body;
      etag = tagged.etag;
    } catch (e) {
      status.textContent = problemText(e, "The document could not be loaded. Try again in a moment.");
      return;
    }
    const versions = (Array.isArray(doc.versions) ? doc.versions as Raw[] : [])
      .slice().sort((a, b) => Number(b.version) - Number(a.version));
    const envs = environments(versions);
    const current = selected ?? (versions[0] ? Number(versions[0].version) : undefined);
    const result = h("p", { class: "result", id: "action-result", role: "status", tabindex: "-1" }, note,
      approvalId ? " " : null,
      approvalId ? h("a", { href: `#/approvals/${encodeURIComponent(approvalId)}`, id: "approval-link" },
        "Open the approval") : null);

    const vbody = h("tbody");
    for (const v of versions) {
      const n = Number(v.version);
      const running = kEnvs.filter((env) => envs[env] === n);
      vbody.append(h("tr", { "data-version": String(n), class: n === current ? "selected" : undefined },
        h("td", {}, h("a", { href: href(n), "aria-current": n === current ? "true" : undefined }, `v${n}`)),
        h("td", {}, str(v.state ?? v.review_state)),
        h("td", {}, running.join(", ") || "—"),
        h("td", {}, personName(str(v.author))),
        h("td", {}, formatTime(when(v, "created_at")))));
    }
    const versionsTable = h("table", { class: "list", id: "versions" },
      h("thead", {}, h("tr", {}, ...["Version", "State", "Runs in", "By", "Drafted"]
        .map((t) => h("th", { scope: "col" }, t)))), vbody);

    const detail = h("section", { class: "card", id: "version-detail" });
    const diffOut = h("pre", { class: "diff", id: "diff-output" });
    const diffSection = h("section", { class: "card", id: "diff" }, h("h2", {}, "Compare versions"));
    if (versions.length >= 2) {
      const pick = (id: string, label: string, value: number) => {
        const s = h("select", { id, "aria-label": label },
          ...versions.map((v) => h("option", { value: String(v.version) }, `v${v.version}`)));
        s.value = String(value);
        return s;
      };
      const newest = Number(versions[0]?.version);
      const from = pick("diff-from", "From version", current !== undefined && current !== newest ? current : Number(versions[1]?.version));
      const to = pick("diff-to", "To version", newest);
      const show = h("button", { type: "button", id: "show-diff" }, "Show diff");
      show.addEventListener("click", async () => {
        diffOut.textContent = "Loading…";
        try {
          const d = await api.get<{ text: string }>(docPath(tenant, kind, name,
            `/diff?from=${encodeURIComponent(from.value)}&to=${encodeURIComponent(to.value)}`));
          diffOut.textContent = d.text || "No differences.";
        } catch (e) {
          diffOut.textContent = problemText(e, "The diff could not be loaded.");
        }
      });
      diffSection.append(h("div", { class: "actions" }, h("label", { for: "diff-from" }, "From"), from,
        h("label", { for: "diff-to" }, "to"), to, show), diffOut);
    } else {
      diffSection.append(h("p", { class: "empty" }, "Only one version so far: draft another to compare."));
    }

    // Promotion reflects what the environments run: dev -> staging when dev runs something
    // staging does not, staging -> prod likewise.
    const promote = (fromEnv: "dev" | "staging", toEnv: "staging" | "prod") => {
      const b = h("button", { type: "button", id: `promote-${fromEnv}`,
        disabled: envs[fromEnv] === null || envs[fromEnv] === envs[toEnv] },
        `Promote ${fromEnv} → ${toEnv}…`);
      b.addEventListener("click", async () => {
        const comment = await confirmDialog({
          title: `Promote ${name} from ${fromEnv} to ${toEnv}?`,
          message: `${toEnv} will run v${envs[fromEnv]} (now ${envs[toEnv] === null ? "nothing" : `v${envs[toEnv]}`}). ` +
            "The first promotion asks for an approval; once it is approved, promote again to publish.",
          confirmLabel: "Promote",
        });
        if (comment === null) return;
        await act(`/promote`, { from: fromEnv }, `Promotion ${fromEnv} → ${toEnv}`);
      });
      return b;
    };
    const act = async (rest: string, body: Raw, label: string) => {
      try {
        // If-Match: the change applies only to the document as this page showed it.
        const out = await api.post<Raw>(docPath(tenant, kind, name, rest), body,
          etag ? { "If-Match": etag } : {});
        let note: string;
        let approvalId = "";
        if (out.promoted === false) {
          approvalId = str(out.approval_id);
          note = `${label}: waiting for approval ${str(out.approval_id)} (${str(out.approval_state)})` +
            `${out.note ? `: ${str(out.note)}` : ""}.`;
        } else if (out.promoted === true) {
          note = `${label}: done, ${str(out.to)} runs v${str((out.version as Raw | undefined)?.version)}.`;
        } else {
          note = `${label}: done (${str(out.state)}).`;
        }
        renderDocument(main, tenant, kind, name, current, note, approvalId);
      } catch (e) {
        result.textContent = e instanceof ApiError && e.status === 412
          ? "The document changed since this page loaded it. Reload the page and try again."
          : problemText(e, `${label} failed. Try again in a moment.`);
        result.focus();
      }
    };

    status.remove();
    main.replaceChildren(
      h("p", {}, h("a", { href: "#/documents" }, "← Documents")),
      h("h1", {}, `${name} `, h("span", { class: "muted" }, `(${kind.replace(/_/g, " ")})`)),
      result,
      h("dl", { class: "facts", id: "environments" },
        ...kEnvs.flatMap((env) => [h("dt", {}, env), h("dd", {}, envs[env] === null ? "nothing published" : `v${envs[env]}`)])),
      h("div", { class: "actions" }, promote("dev", "staging"), promote("staging", "prod")),
      versions.length ? versionsTable : h("p", { class: "empty" }, "No versions."),
      detail, diffSection);

    if (current !== undefined) {
      detail.append(h("h2", {}, `Version ${current}`), h("p", { class: "empty" }, "Loading…"));
      try {
        const v = await api.get<Raw>(docPath(tenant, kind, name, `/versions/${current}`));
        const state = str(v.state ?? v.review_state);
        const button = (verb: string, label: string, enabled: boolean, comment: boolean) => {
          const b = h("button", { type: "button", id: `${verb}-version`, disabled: !enabled,
            class: verb === "reject" ? "danger" : undefined }, label);
          b.addEventListener("click", async () => {
            const text = await confirmDialog({
              title: `${label.replace("…", "")} version ${current}?`,
              message: `${name} v${current} is ${state}.`,
              confirmLabel: label.replace("…", ""),
              commentLabel: comment ? "Comment (required)" : undefined,
            });
            if (text === null) return;
            await act(`/versions/${current}/${verb}`, text ? { comment: text } : {}, `${label.replace("…", "")} v${current}`);
          });
          return b;
        };
        detail.replaceChildren(
          h("h2", {}, `Version ${current} · ${state}`),
          h("p", { class: "muted" }, `Content hash ${str(v.content_hash) || "—"}`),
          h("div", { class: "actions" },
            button("submit", "Submit for review…", state === "draft", false),
            button("approve", "Approve…", state === "submitted", true),
            button("reject", "Reject…", state === "submitted", true),
            button("publish", "Publish to dev…", state === "approved" && envs.dev !== current, false)),
          h("pre", { class: "yaml", id: "yaml", tabindex: "0", "aria-label": `YAML of version ${current}` },
            str(v.yaml) || "(no YAML)"));
      } catch (e) {
        detail.replaceChildren(h("h2", {}, `Version ${current}`),
          h("p", { class: "form-error" }, problemText(e, "The version could not be loaded.")));
      }
    }
    focusHeading(main);
  })();
}
