// IAM → Users: search (contains or a SCIM filter), paging, managedBy, groups and active state;
// suspend or reactivate a user in this tenant.
import { gql } from "../api.js";
import { formatTime, h, replace } from "../dom.js";
import { containsFilter } from "../scim.js";
import { CursorPager, act, badge, confirmDialog, errorBox, loading, table } from "../ui.js";
import { managedBy, roleNames, searchForm } from "./common.js";

const USERS = `query Users($t: ID!, $first: Int!, $after: String, $filter: String) {
  tenant(id: $t) { users(first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id userName displayName emails active externalId createdAt
      managedBy { integration { id name } } groups { id displayName }
      bindings { id namespace roleId role { name } } } } } } }`;

const SET_ACTIVE = `mutation SetUserActive($t: ID!, $id: ID!, $active: Boolean!) {
  setUserActive(tenant: $t, id: $id, active: $active) { user { id active } } }`;

export function render(view, { tenant }) {
  const results = h("div", { class: "list" });
  const status = h("div", { class: "status", "aria-live": "polite" });
  let query = { filter: null, first: 20 };
  const pager = new CursorPager(() => load());

  async function load() {
    replace(results, loading("Loading users…"));
    try {
      const vars = { t: tenant, first: query.first, after: pager.after, filter: query.filter };
      const { users } = (await gql(USERS, vars)).tenant;
      const toggle = (user) => activeButton(user, { tenant, status, reload: load });
      replace(results, usersTable(users.edges.map((e) => e.node), toggle),
        pager.controls(users.pageInfo, users.totalCount));
    } catch (error) {
      replace(results, errorBox(error));
    }
  }

  view.append(searchForm({ id: "users", label: "User name",
    example: 'userName sw "a" and active eq true', onSearch: (search) => {
    query = { first: search.first,
      filter: search.filter || containsFilter("userName", search.contains) };
    pager.reset();
    load();
  } }), status, results);
  load();
}

/** Suspend or reactivate, after a confirmation; an IdP that manages the user may undo it. */
function activeButton(user, { tenant, status, reload }) {
  const label = user.active ? "Suspend" : "Reactivate";
  const button = h("button", { type: "button", class: user.active ? "danger" : "",
    "aria-label": `${label} ${user.userName}` }, label);
  button.addEventListener("click", async () => {
    const managed = user.managedBy?.integration
      ? ` ${user.managedBy.integration.name} manages this user and may change it back.` : "";
    const question = user.active
      ? `Suspend “${user.userName}” in this tenant? Their tokens stop working here.${managed}`
      : `Reactivate “${user.userName}” in this tenant?${managed}`;
    if (!(await confirmDialog(question, label))) return;
    await act(button, status, async () => {
      await gql(SET_ACTIVE, { t: tenant, id: user.id, active: !user.active });
      await reload();
    });
  });
  return button;
}

function usersTable(users, toggle) {
  return table([
    { title: "User name", cell: (u) => h("strong", {}, u.userName) },
    { title: "Display name", cell: (u) => u.displayName ?? "—" },
    { title: "E-mails", cell: (u) => u.emails.join(", ") || "—" },
    { title: "State", cell: (u) => u.active ? badge("active", "good") : badge("suspended", "bad") },
    { title: "Managed by", cell: managedBy },
    { title: "External id", cell: (u) => u.externalId ?? "—" },
    { title: "Groups", cell: (u) => u.groups.map((g) => g.displayName).join(", ") || "—" },
    { title: "Direct roles", cell: (u) => roleNames(u.bindings) },
    { title: "Added", cell: (u) => formatTime(u.createdAt) },
    { title: "Actions", cell: toggle },
  ], users, { empty: "No user matches.", testid: "users" });
}
