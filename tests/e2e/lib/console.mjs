// What the console's browser tests share: signing in through the real sign-in screen, the
// browser-console errors a test did not expect, and polling until something holds.
import { newPage } from "./browser.mjs";

// A new page signed in as `user` ({email, password}) on the console at `baseUrl`; resolves once
// the shell shows the product name.
export async function signIn(browser, baseUrl, user) {
  const page = await newPage(browser);
  await page.goto(baseUrl);
  await page.waitForSelector("#signin-title");
  await page.fill("#email", user.email);
  await page.fill("#password", user.password);
  await page.click("button[type=submit]");
  await page.waitForSelector("#product-name");
  return page;
}

// The page's console errors except "Failed to load resource" for the HTTP statuses in
// `allowed` (Chromium logs every 4xx that way; 401 is the console asking who is signed in
// before anyone is). Anything else a test should fail on.
export function unexpectedErrors(page, allowed = []) {
  const expected = [401, ...allowed];
  return page.consoleErrors.filter((text) => {
    const m = text.match(/Failed to load resource: the server responded with a status of (\d+)/);
    return !(m && expected.includes(Number(m[1])));
  });
}

// Calls `fn` (sync or async) until it returns something truthy, which it then returns; throws
// naming `what` after `timeoutMs`.
export async function waitFor(fn, what, timeoutMs = 45000, intervalMs = 250) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
