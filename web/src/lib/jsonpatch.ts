// RFC 6902 JSON Patch computed from two JSON documents (the payload editor's "before" and
// "after"), and a readable line per operation for the confirmation step. Objects are compared
// member by member; arrays of equal length element by element; an array whose length changed is
// replaced whole (always a correct patch, and easy for a person to read).

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface PatchOp {
  op: "add" | "remove" | "replace";
  path: string;
  value?: Json;
}

// RFC 6901: "~" is written "~0" and "/" is written "~1".
export function pointerToken(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}

function isObject(v: Json): v is { [key: string]: Json } {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

export function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i] as Json));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => k in b && deepEqual(a[k] as Json, b[k] as Json));
  }
  return false;
}

export function diffJson(before: Json, after: Json, path = ""): PatchOp[] {
  if (deepEqual(before, after)) return [];
  if (isObject(before) && isObject(after)) {
    const ops: PatchOp[] = [];
    for (const key of Object.keys(before)) {
      if (!(key in after)) ops.push({ op: "remove", path: `${path}/${pointerToken(key)}` });
    }
    for (const key of Object.keys(after)) {
      const p = `${path}/${pointerToken(key)}`;
      if (!(key in before)) ops.push({ op: "add", path: p, value: after[key] as Json });
      else ops.push(...diffJson(before[key] as Json, after[key] as Json, p));
    }
    return ops;
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((x, i) => diffJson(x, after[i] as Json, `${path}/${i}`));
  }
  return [{ op: "replace", path, value: after }];
}

// Applies a patch made by diffJson (add/remove/replace only), for checking round trips.
export function applyPatch(doc: Json, ops: PatchOp[]): Json {
  let root: Json = structuredClone(doc);
  for (const op of ops) {
    if (op.path === "") {
      root = op.op === "remove" ? null : structuredClone(op.value as Json);
      continue;
    }
    const tokens = op.path.slice(1).split("/").map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
    const last = tokens.pop() as string;
    let parent: Json = root;
    for (const t of tokens) parent = (parent as Record<string, Json>)[t] as Json;
    if (Array.isArray(parent)) {
      const i = last === "-" ? parent.length : Number(last);
      if (op.op === "remove") parent.splice(i, 1);
      else if (op.op === "add") parent.splice(i, 0, structuredClone(op.value as Json));
      else parent[i] = structuredClone(op.value as Json);
    } else if (isObject(parent)) {
      if (op.op === "remove") delete parent[last];
      else parent[last] = structuredClone(op.value as Json);
    }
  }
  return root;
}

// One line a person can read: "replace /lines/0/sku: "X-1" → "X-2"".
export function describeOp(op: PatchOp, before: Json): string {
  const old = lookup(before, op.path);
  const show = (v: Json | undefined) => (v === undefined ? "(absent)" : JSON.stringify(v));
  const where = op.path === "" ? "(whole payload)" : op.path;
  if (op.op === "remove") return `remove ${where} (was ${show(old)})`;
  if (op.op === "add") return `add ${where}: ${show(op.value)}`;
  return `replace ${where}: ${show(old)} → ${show(op.value)}`;
}

function lookup(doc: Json, path: string): Json | undefined {
  if (path === "") return doc;
  let cur: Json | undefined = doc;
  for (const raw of path.slice(1).split("/")) {
    const t = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (cur !== null && typeof cur === "object") cur = (cur as Record<string, Json>)[t];
    else return undefined;
  }
  return cur;
}
