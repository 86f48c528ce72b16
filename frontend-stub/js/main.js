// Entry point: sign-in, tenant choice, then the shell with one page per hash route.
import { gql } from "./api.js";
import { h, replace } from "./dom.js";
import { session } from "./session.js";
import { errorBox, loading } from "./ui.js";
import { renderSignIn } from "./pages/signin.js";
import { renderTenantChoice } from "./pages/tenant.js";
import { renderShell, stopShell } from "./shell.js";

const app = document.getElementById("app");
let me = null;

const ME = `query Me { me { id label type instanceOwner tenants { id name } } }`;

async function start(message) {
  stopShell();
  if (!session.token) {
    me = null;
    renderSignIn(app, { message, onSignedIn: () => start() });
    return;
  }
  if (!me) {
    replace(app, loading("Checking your token…"));
    try {
      me = (await gql(ME)).me;
    } catch (error) {
      session.signOut();
      renderSignIn(app, { message: error.message, onSignedIn: () => start() });
      return;
    }
  }
  if (!session.tenant && me.tenants.length === 1) session.chooseTenant(me.tenants[0].id);
  const tenant = me.tenants.find((t) => t.id === session.tenant);
  if (!tenant) {
    session.forgetTenant();
    renderTenantChoice(app, { me, onChosen: () => start(), onSignOut: signOut });
    return;
  }
  renderShell(app, {
    me, tenant,
    onSwitchTenant: () => { session.forgetTenant(); start(); },
    onSignOut: signOut,
  });
}

function signOut() {
  session.signOut();
  me = null;
  start("You are signed out.");
}

// A token revoked or expired while the console is open: back to sign-in.
window.addEventListener("tessera:signed-out", () => {
  if (!me) return; // still checking the token: start() shows the error itself
  session.signOut();
  me = null;
  start("Your token is no longer accepted. Sign in again.");
});

start().catch((error) => replace(app, h("main", {}, errorBox(error))));
