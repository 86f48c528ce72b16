// The signed-in frame: top bar, navigation and the page of the current hash route.
import { h, replace } from "./dom.js";
import { errorBox } from "./ui.js";
import * as provisioning from "./pages/provisioning.js";
import * as users from "./pages/users.js";
import * as groups from "./pages/groups.js";
import * as roles from "./pages/roles.js";
import * as bindings from "./pages/bindings.js";
import * as audit from "./pages/audit.js";

const PAGES = [
  { path: "provisioning", title: "Provisioning", page: provisioning },
  { path: "users", title: "Users", page: users },
  { path: "groups", title: "Groups", page: groups },
  { path: "roles", title: "Roles", page: roles },
  { path: "bindings", title: "Bindings", page: bindings },
  { path: "audit", title: "Audit log", page: audit },
];

let onHashChange = null;

export function renderShell(root, { me, tenant, onSwitchTenant, onSignOut }) {
  const view = h("main", { id: "view", tabindex: "-1" });
  const links = PAGES.map((p) => h("a", { href: `#/${p.path}`, "data-path": p.path }, p.title));
  const bar = h("header", { class: "topbar" },
    h("span", { class: "brand" }, "Tessera"),
    h("span", { class: "tenant", "data-testid": "current-tenant" }, "Tenant: ",
      h("strong", {}, tenant.name || tenant.id)),
    h("span", { class: "spacer" }),
    h("span", { class: "who" }, me.label),
    me.tenants.length > 1
      ? h("button", { type: "button", class: "link", onclick: onSwitchTenant }, "Switch tenant")
      : null,
    h("button", { type: "button", class: "link", onclick: onSignOut }, "Sign out"));
  const nav = h("nav", { class: "sidebar", "aria-label": "IAM" },
    h("p", { class: "section" }, "IAM"), links);
  replace(root, bar, h("div", { class: "layout" }, nav, view));

  const show = () => {
    const path = location.hash.replace(/^#\/?/, "") || "provisioning";
    const entry = PAGES.find((p) => p.path === path) ?? PAGES[0];
    for (const link of links) {
      link.toggleAttribute("aria-current", link.dataset.path === entry.path);
    }
    document.title = `${entry.title} · Tessera console`;
    const actions = h("div", { class: "page-actions" });
    replace(view, h("header", { class: "page-head" }, h("h1", {}, entry.title), actions));
    Promise.resolve(entry.page.render(view, { tenant: tenant.id, me, actions }))
      .catch((error) => view.append(errorBox(error)));
  };
  stopShell();
  onHashChange = show;
  window.addEventListener("hashchange", show);
  show();
}

/** Stops following hash routes (when the console leaves the shell). */
export function stopShell() {
  if (onHashChange) window.removeEventListener("hashchange", onHashChange);
  onHashChange = null;
}
