// Choosing the tenant to work in, among those the signed-in actor can see.
import { h, replace } from "../dom.js";
import { session } from "../session.js";

export function renderTenantChoice(root, { me, onChosen, onSignOut }) {
  const choose = (id) => { session.chooseTenant(id); onChosen(); };
  const list = me.tenants.length
    ? h("ul", { class: "tenant-list" }, me.tenants.map((t) => h("li", {},
      h("button", { type: "button", onclick: () => choose(t.id) },
        h("strong", {}, t.name || t.id), h("span", { class: "muted" }, ` (${t.id})`)))))
    : h("p", { class: "error", role: "alert" },
      "This token gives access to no tenant. Ask an admin for a binding.");
  const signOut = h("button", { type: "button", class: "link", onclick: onSignOut }, "Sign out");
  replace(root, h("main", { class: "centered" }, h("section", { class: "card" },
    h("h1", {}, "Choose a tenant"),
    h("p", {}, "Signed in as ", h("strong", {}, me.label), "."),
    list, signOut)));
}
