// Sign-in with an API token (kept in sessionStorage, never in the URL).
import { h, replace } from "../dom.js";
import { session } from "../session.js";
import { notice } from "../ui.js";

export function renderSignIn(root, { message, onSignedIn }) {
  const token = h("input", { type: "password", id: "token", name: "token", required: true,
    autocomplete: "off", spellcheck: "false", placeholder: "tsr_…" });
  const form = h("form", { class: "card signin", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in to Tessera"),
    message ? notice(message) : null,
    h("label", { for: "token" }, "API token"),
    token,
    h("p", { class: "hint" },
      "An admin gets one with ", h("code", {}, "tessera bootstrap --tenant main --admin-email you@example.com"),
      ". It stays in this browser tab only."),
    h("button", { type: "submit", class: "primary" }, "Sign in"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    session.signIn(token.value.trim());
    onSignedIn();
  });
  replace(root, h("main", { class: "centered" }, form));
  token.focus();
}
