// Debian's chromium, headless, driven by playwright-core (no browser download). Every page
// records its console errors and failed requests so that tests can assert "no errors in the
// browser console"; screenshots go to build/e2e-artifacts/ (kept by CI as test artifacts).
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, "../../..");
export const artifactsDir =
  process.env.GOVFLOW_E2E_ARTIFACTS ?? path.join(repoRoot, "build", "e2e-artifacts");

const kChromiumFlags = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.GOVFLOW_CHROMIUM ?? "/usr/bin/chromium",
    args: kChromiumFlags,
    headless: true,
  });
}

// A fresh context and page at a laptop's viewport, with console errors collected in
// page.consoleErrors.
export async function newPage(browser, { width = 1366, height = 768 } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  page.consoleErrors = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") page.consoleErrors.push(msg.text());
  });
  page.on("pageerror", (err) => page.consoleErrors.push(String(err)));
  return page;
}

export async function screenshot(page, name) {
  mkdirSync(artifactsDir, { recursive: true });
  const file = path.join(artifactsDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
