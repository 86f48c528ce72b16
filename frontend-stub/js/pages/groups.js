// IAM → Groups: search, paging, members (paged) and managedBy.
import { gql } from "../api.js";
import { formatTime, h, replace } from "../dom.js";
import { containsFilter } from "../scim.js";
import { CursorPager, errorBox, loading, table } from "../ui.js";
import { managedBy, roleNames, searchForm } from "./common.js";

const PREVIEW = 5;
const MEMBER_PAGE = 20;
const GROUPS = `query Groups($t: ID!, $first: Int!, $after: String, $filter: String) {
  tenant(id: $t) { groups(first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id displayName externalId createdAt
      managedBy { integration { id name } }
      bindings { id namespace roleId role { name } }
      members(first: ${PREVIEW}) { totalCount edges { node { id userName displayName } } }
    } } } } }`;
const MEMBERS = `query Members($t: ID!, $id: ID!, $first: Int!, $after: String) {
  tenant(id: $t) { group(id: $id) { members(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id userName displayName } } } } } }`;

export function render(view, { tenant }) {
  const results = h("div", { class: "list" });
  const detail = h("div", { class: "detail-slot" });
  let query = { filter: null, first: 20 };
  const pager = new CursorPager(() => load());

  async function load() {
    replace(results, loading("Loading groups…"));
    try {
      const vars = { t: tenant, first: query.first, after: pager.after, filter: query.filter };
      const { groups } = (await gql(GROUPS, vars)).tenant;
      const nodes = groups.edges.map((e) => e.node);
      replace(results, groupsTable(nodes, (g) => showMembers(detail, tenant, g)),
        pager.controls(groups.pageInfo, groups.totalCount));
    } catch (error) {
      replace(results, errorBox(error));
    }
  }

  view.append(searchForm({ id: "groups", label: "Group name",
    example: 'displayName sw "eng"', onSearch: (search) => {
    query = { first: search.first,
      filter: search.filter || containsFilter("displayName", search.contains) };
    pager.reset();
    load();
  } }), results, detail);
  load();
}

function groupsTable(groups, onMembers) {
  return table([
    { title: "Name", cell: (g) => h("strong", {}, g.displayName) },
    { title: "Members", cell: (g) => membersPreview(g, onMembers) },
    { title: "Managed by", cell: managedBy },
    { title: "External id", cell: (g) => g.externalId ?? "—" },
    { title: "Roles", cell: (g) => roleNames(g.bindings) },
    { title: "Created", cell: (g) => formatTime(g.createdAt) },
  ], groups, { empty: "No group matches.", testid: "groups" });
}

function membersPreview(group, onMembers) {
  const { totalCount, edges } = group.members;
  if (!totalCount) return h("span", { class: "muted" }, "no members");
  const names = edges.map((e) => e.node.userName).join(", ");
  if (totalCount <= edges.length) return names;
  return h("span", {}, `${names} and ${totalCount - edges.length} more `,
    h("button", { type: "button", class: "link", onclick: () => onMembers(group) },
      `all ${totalCount} members`));
}

function showMembers(slot, tenant, group) {
  const body = h("div", {});
  const pager = new CursorPager(() => load());
  async function load() {
    replace(body, loading("Loading members…"));
    try {
      const vars = { t: tenant, id: group.id, first: MEMBER_PAGE, after: pager.after };
      const { members } = (await gql(MEMBERS, vars)).tenant.group;
      replace(body, table([
        { title: "User name", cell: (m) => m.userName },
        { title: "Display name", cell: (m) => m.displayName ?? "—" },
      ], members.edges.map((e) => e.node), { testid: "members" }),
      pager.controls(members.pageInfo, members.totalCount));
    } catch (error) {
      replace(body, errorBox(error));
    }
  }
  replace(slot, h("section", { class: "card", "aria-label": "Members" },
    h("header", { class: "panel-head" }, h("h2", {}, `Members of ${group.displayName}`),
      h("button", { type: "button", class: "link", onclick: () => replace(slot) }, "Close")),
    body));
  slot.scrollIntoView({ block: "nearest" });
  load();
}
