// The sign-in screen, in the partner's brand: email and password, a clear message on failure, the
// partner's support contact for people who cannot get in.
import { api, ApiError, setCsrfToken, type SessionCreated } from "../api";
import { branding } from "../branding";
import { h } from "../dom";

export function renderSignIn(root: HTMLElement, onSignedIn: () => void): void {
  const b = branding();
  const error = h("p", { class: "form-error", role: "alert", id: "signin-error" });
  const email = h("input", {
    id: "email", name: "email", type: "email", autocomplete: "username", required: true,
  });
  const password = h("input", {
    id: "password", name: "password", type: "password", autocomplete: "current-password",
    required: true,
  });
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h(
    "form",
    { class: "signin-form", "aria-labelledby": "signin-title", novalidate: true },
    h("h1", { id: "signin-title" }, `Sign in to ${b.product_name}`),
    h("label", { for: "email" }, "Email"),
    email,
    h("label", { for: "password" }, "Password"),
    password,
    error,
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    if (!email.value || !password.value) {
      error.textContent = "Enter your email and password.";
      (email.value ? password : email).focus();
      return;
    }
    submit.disabled = true;
    try {
      const session = await api.post<SessionCreated>("/session", {
        email: email.value,
        password: password.value,
      });
      setCsrfToken(session.csrf_token);
      onSignedIn();
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        error.textContent = "Email or password is not right, or the account is locked.";
      } else if (e instanceof ApiError && e.status === 429) {
        error.textContent = "Too many attempts. Wait a minute and try again.";
      } else {
        error.textContent = "Signing in failed. Try again in a moment.";
      }
      password.select();
      password.focus();
    } finally {
      submit.disabled = false;
    }
  });

  const support = b.support ?? {};
  const help = support.email || support.url || support.phone
    ? h("p", { class: "support" }, "Need help? ",
        support.email ? h("a", { href: `mailto:${support.email}` }, support.email) : null,
        support.email && (support.url || support.phone) ? " · " : "",
        support.url ? h("a", { href: support.url, rel: "noopener" }, support.url) : null,
        support.url && support.phone ? " · " : "",
        support.phone ?? "")
    : null;

  root.replaceChildren(
    h("main", { class: "signin" },
      h("div", { class: "signin-card" },
        b.logo_url ? h("img", { class: "logo", src: b.logo_url, alt: b.product_name }) :
          h("div", { class: "wordmark", "aria-hidden": "true" }, b.product_name),
        form,
        help)),
  );
  email.focus();
}
