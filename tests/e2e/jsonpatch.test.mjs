// The payload editor's RFC 6902 patch (web/src/lib/jsonpatch.ts), compiled with the console's own
// esbuild (web/node_modules): for seeded random pairs of documents, applying the patch to the
// first gives the second; JSON Pointer tokens escape "~" and "/"; an unchanged document gives an
// empty patch; a resized array is replaced whole.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, test } from "node:test";
import { repoRoot } from "./lib/browser.mjs";

const require = createRequire(import.meta.url);
let lib;
let dir;

before(async () => {
  const esbuild = require(path.join(repoRoot, "web", "node_modules", "esbuild"));
  const out = esbuild.buildSync({
    entryPoints: [path.join(repoRoot, "web", "src", "lib", "jsonpatch.ts")],
    bundle: true, format: "esm", platform: "neutral", write: false,
  });
  dir = mkdtempSync(path.join(os.tmpdir(), "jsonpatch-"));
  const file = path.join(dir, "jsonpatch.mjs");
  writeFileSync(file, out.outputFiles[0].text);
  lib = await import(pathToFileURL(file).href);
});

after(() => rmSync(dir, { recursive: true, force: true }));

// A small deterministic generator (mulberry32), so a failure reproduces from its seed.
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const kKeys = ["a", "b", "sku", "a/b", "t~1", "", "lines"];

function randomJson(r, depth) {
  const pick = r();
  if (depth <= 0 || pick < 0.35) {
    const leaf = [null, true, false, Math.floor(r() * 100), "x", "DISC-1", "MUG-CER-NAV"];
    return leaf[Math.floor(r() * leaf.length)];
  }
  if (pick < 0.65) return Array.from({ length: Math.floor(r() * 4) }, () => randomJson(r, depth - 1));
  const o = {};
  for (const k of kKeys) if (r() < 0.5) o[k] = randomJson(r, depth - 1);
  return o;
}

// Small edits of a document (so that patches are mostly deep, like a person's edit).
function mutate(r, v, depth = 0) {
  if (r() < 0.15) return randomJson(r, 2);
  if (Array.isArray(v)) {
    const copy = v.map((x) => (r() < 0.5 ? mutate(r, x, depth + 1) : x));
    if (r() < 0.2) copy.push(randomJson(r, 1));
    return copy;
  }
  if (v !== null && typeof v === "object") {
    const copy = {};
    for (const [k, x] of Object.entries(v)) {
      if (r() < 0.1) continue;
      copy[k] = r() < 0.5 ? mutate(r, x, depth + 1) : x;
    }
    if (r() < 0.2) copy[kKeys[Math.floor(r() * kKeys.length)]] = randomJson(r, 1);
    return copy;
  }
  return v;
}

test("applying the computed patch turns the original into the edit, for 2000 seeded pairs", () => {
  for (let seed = 1; seed <= 2000; ++seed) {
    const r = rng(seed);
    const before = randomJson(r, 4);
    const edited = mutate(r, before);
    const patch = lib.diffJson(before, edited);
    assert.deepEqual(lib.applyPatch(before, patch), edited, `seed ${seed}: ${JSON.stringify(patch)}`);
    if (lib.deepEqual(before, edited)) assert.deepEqual(patch, [], `seed ${seed}`);
  }
});

test("pointer tokens escape ~ and / (RFC 6901)", () => {
  const patch = lib.diffJson({ "a/b": { "t~1": 1 } }, { "a/b": { "t~1": 2 } });
  assert.deepEqual(patch, [{ op: "replace", path: "/a~1b/t~01", value: 2 }]);
});

test("an unknown item fixed in two places is two replaces, described with old and new values", () => {
  const before = { input: { line_items: [{ sku: "DISC-1", quantity: 2 }] }, steps: { map: { no: "DISC-1" } } };
  const after = structuredClone(before);
  after.input.line_items[0].sku = "MUG-CER-NAV";
  after.steps.map.no = "MUG-CER-NAV";
  const patch = lib.diffJson(before, after);
  assert.deepEqual(patch, [
    { op: "replace", path: "/input/line_items/0/sku", value: "MUG-CER-NAV" },
    { op: "replace", path: "/steps/map/no", value: "MUG-CER-NAV" },
  ]);
  assert.equal(lib.describeOp(patch[0], before), 'replace /input/line_items/0/sku: "DISC-1" → "MUG-CER-NAV"');
});

test("removed and added members, and a resized array replaced whole", () => {
  const patch = lib.diffJson({ a: 1, b: [1, 2] }, { b: [1, 2, 3], c: null });
  assert.deepEqual(patch, [
    { op: "remove", path: "/a" },
    { op: "replace", path: "/b", value: [1, 2, 3] },
    { op: "add", path: "/c", value: null },
  ]);
});
