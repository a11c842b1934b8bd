// A real `govflow serve` for browser tests: a temporary data directory seeded through the CLI
// (partner, tenants, users: docs/governance/access.md), the partner's branding.json, and the
// server on a free loopback port serving the built console (web/dist, built by `make web`).
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "./browser.mjs";

export const govflowBin =
  process.env.GOVFLOW_BIN ?? path.join(repoRoot, "build", "debug", "src", "cli", "govflow");
export const webRoot = path.join(repoRoot, "web", "dist");

// Runs one CLI command against `dataDir`; `input` goes to stdin (passwords).
export function cli(dataDir, args, input) {
  return execFileSync(govflowBin, [...args, "--data", dataDir], {
    input: input === undefined ? "" : `${input}\n`,
    encoding: "utf8",
    stdio: ["pipe", "pipe", "pipe"],
  });
}

// Seeds the installation:
//   partner { id, name, admin: { email, name, password } }
//   tenants [{ id, name }]
//   users [{ email, name, password, tenant, role }] (created by the partner admin)
export function seed(dataDir, { partner, tenants, users }) {
  cli(dataDir, ["partner", "init", "--id", partner.id, "--name", partner.name,
    "--admin-email", partner.admin.email, "--admin-name", partner.admin.name,
    "--password-stdin"], partner.admin.password);
  const as = ["--as", partner.admin.email];
  for (const t of tenants) cli(dataDir, ["tenants", "create", t.id, "--name", t.name, ...as]);
  for (const u of users) {
    cli(dataDir, ["users", "create", u.email, "--name", u.name, "--tenant", u.tenant,
      "--role", u.role, "--password-stdin", ...as], u.password);
  }
}

// Starts `govflow serve` on 127.0.0.1:0 and resolves once it prints its address:
// { baseUrl, dataDir, stop() }. `setup(dataDir)` runs first (seeding, branding).
export async function startGovflow(setup) {
  if (!existsSync(govflowBin)) throw new Error(`no govflow binary at ${govflowBin} (GOVFLOW_BIN)`);
  if (!existsSync(path.join(webRoot, "index.html"))) {
    throw new Error(`the console is not built: ${webRoot}/index.html is missing (run make web)`);
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "govflow-e2e-"));
  setup?.(dataDir);
  const child = spawn(govflowBin, ["serve", "--data", dataDir, "--listen", "127.0.0.1:0",
    "--jobs-ms", "0", "--web-root", webRoot], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => { stderr += d; });
  const address = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`govflow serve did not start:\n${stderr}`)), 30000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/govflow listening on (\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`govflow serve exited with ${code}:\n${stderr}`));
    });
  });
  return {
    baseUrl: `http://${address}`,
    dataDir,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function writeBranding(dataDir, branding) {
  writeFileSync(path.join(dataDir, "branding.json"), JSON.stringify(branding, null, 2));
}

// The simulators (sim/, docs/simulators.md), next to the govflow binary in the same build dir.
export const simBin =
  process.env.GOVFLOW_SIM_BIN ?? path.join(path.dirname(govflowBin), "..", "..", "sim", "govflow-sim");

// Starts `govflow-sim erp` (Business Central stand-in) on a free loopback port:
// { baseUrl, stop() }.
export async function startErp(args = []) {
  if (!existsSync(simBin)) throw new Error(`no govflow-sim binary at ${simBin} (GOVFLOW_SIM_BIN)`);
  const child = spawn(simBin, ["erp", "--listen", "127.0.0.1:0", ...args],
    { stdio: ["ignore", "pipe", "pipe"] });
  const address = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("govflow-sim erp did not start")), 15000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`govflow-sim erp exited with ${code}`));
    });
  });
  return {
    baseUrl: `http://${address}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}

// Sends signed Shopify orders/create webhooks with `govflow-sim shopify` (e.g. ["--orders", "1",
// "--bad-sku", "1"]).
export function sendShopifyOrders(target, secret, args) {
  return execFileSync(simBin, ["shopify", "--target", target, "--secret", secret, "--quiet", ...args],
    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

// `govflow apply -f FILE --data DIR` with extra environment (secrets, URLs).
export function apply(dataDir, configText, env = {}) {
  const file = path.join(dataDir, "e2e-config.yaml");
  writeFileSync(file, configText);
  return execFileSync(govflowBin, ["apply", "-f", file, "--data", dataDir], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}
