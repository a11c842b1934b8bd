// The console's entry: load the partner's branding, find out who is signed in, and route between
// the sign-in screen and the shell (hash routes: #/exceptions, #/approvals, ...).
import "./styles.css";
import { api, ApiError, setCsrfToken, type Me } from "./api";
import { loadBranding } from "./branding";
import { renderShell } from "./views/shell";
import { renderSignIn } from "./views/signin";

const root = document.getElementById("app") as HTMLElement;
let me: Me | null = null;
let lastRoute: string | null = null;

async function whoAmI(): Promise<Me | null> {
  try {
    const result = await api.get<Me>("/me");
    setCsrfToken(result.csrf_token);
    return result;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

async function route(): Promise<void> {
  if (!me) me = await whoAmI();
  if (!me) {
    renderSignIn(root, () => {
      me = null;
      void route();
    });
    return;
  }
  const [section = "", ...rest] = location.hash.replace(/^#\/?/, "").split("?")[0]!.split("/");
  const changed = lastRoute !== null && lastRoute !== location.hash;
  lastRoute = location.hash;
  renderShell(root, me, section, rest.filter((s) => s !== ""), () => {
    me = null;
    setCsrfToken("");
    location.hash = "";
    void route();
  });
  // A new page: move focus to it (the pages move it again to their heading once loaded).
  if (changed) document.getElementById("main")?.focus();
}

window.addEventListener("hashchange", () => void route());
void (async () => {
  await loadBranding();
  await route();
})();
