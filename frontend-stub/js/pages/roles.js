// IAM → Roles: each role's permissions as a resource × action matrix.
import { gql } from "../api.js";
import { h, replace } from "../dom.js";
import { badge, fill } from "../ui.js";

const ROLES = `query Roles($t: ID!) {
  permissionCatalogue { resource actions namespaced }
  tenant(id: $t) { roles { id name description managed permissions } } }`;

export function render(view, { tenant }) {
  const body = h("div", {});
  view.append(h("p", { class: "lead" }, "What each role allows. Managed roles are the same in "
    + "every tenant and cannot be edited."), body);
  return fill(body, async () => {
    const data = await gql(ROLES, { t: tenant });
    return rolesView(data.tenant.roles, data.permissionCatalogue);
  }, "Loading roles…");
}

function rolesView(roles, catalogue) {
  const matrix = h("div", { class: "matrix-slot" });
  const tabs = roles.map((role) => h("button", { type: "button", role: "tab",
    "aria-selected": "false", onclick: () => select(role) }, role.name));
  function select(role) {
    tabs.forEach((tab, i) => tab.setAttribute("aria-selected", String(roles[i] === role)));
    replace(matrix, roleMatrix(role, catalogue));
  }
  if (roles.length) select(roles[0]);
  return h("div", { class: "roles" }, h("div", { role: "tablist", class: "tabs" }, tabs), matrix);
}

/** Columns: the actions most resources share; the rest are listed per row as "other". */
function mainActions(catalogue) {
  const counts = new Map();
  for (const r of catalogue) for (const a of r.actions) counts.set(a, (counts.get(a) ?? 0) + 1);
  return [...counts].filter(([, n]) => n > catalogue.length / 2).map(([a]) => a);
}

function roleMatrix(role, catalogue) {
  const granted = new Set(role.permissions);
  const columns = mainActions(catalogue);
  const has = (r, a) => granted.has(`${r.resource}:${a}`);
  const cell = (r, a) => {
    if (!r.actions.includes(a)) return h("td", { class: "na", "aria-label": "not applicable" }, "");
    return has(r, a)
      ? h("td", { class: "yes", "aria-label": "granted" }, "✓")
      : h("td", { class: "no", "aria-label": "not granted" }, "·");
  };
  const others = (r) => h("td", { class: "others" }, r.actions.filter((a) => !columns.includes(a))
    .map((a) => badge(a, has(r, a) ? "good" : "off")));
  const rows = catalogue.map((r) => h("tr", { class: r.actions.some((a) => has(r, a)) ? "" : "none" },
    h("th", { scope: "row" }, r.resource, r.namespaced ? h("span", { class: "muted" }, " (ns)") : null),
    columns.map((a) => cell(r, a)), others(r)));
  return h("section", { class: "card" },
    h("h2", {}, role.name, " ", role.managed ? badge("managed", "muted") : badge("custom", "scim")),
    role.description ? h("p", {}, role.description) : null,
    h("p", { class: "hint" }, `${role.permissions.length} permissions. ✓ granted, · not granted, `
      + "blank: not applicable; (ns) resources can be limited to a namespace."),
    h("table", { class: "matrix", "data-testid": "permission-matrix" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Resource"),
        columns.map((a) => h("th", { scope: "col" }, a)), h("th", { scope: "col" }, "Other actions"))),
      h("tbody", {}, rows)));
}
