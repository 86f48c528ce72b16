// IAM → Bindings: attach a role to a user, group or service account (optionally in a
// namespace), and remove bindings.
import { gql } from "../api.js";
import { formatTime, h, replace } from "../dom.js";
import { containsFilter } from "../scim.js";
import { act, badge, confirmDialog, fill, table } from "../ui.js";

const PICK = 100;
const LOAD = `query Bindings($t: ID!) { tenant(id: $t) {
  roles { id name }
  bindings { id roleId subjectType subjectId namespace createdAt role { name } }
  users(first: ${PICK}) { edges { node { id userName } } }
  groups(first: ${PICK}) { edges { node { id displayName } } }
  serviceAccounts { id name } } }`;
const FIND_USERS = `query FindUsers($t: ID!, $filter: String) { tenant(id: $t) {
  users(first: ${PICK}, filter: $filter) { edges { node { id userName } } } } }`;
const FIND_GROUPS = `query FindGroups($t: ID!, $filter: String) { tenant(id: $t) {
  groups(first: ${PICK}, filter: $filter) { edges { node { id displayName } } } } }`;
const CREATE = `mutation Bind($t: ID!, $input: BindingInput!) {
  createBinding(tenant: $t, input: $input) { binding { id } } }`;
const DELETE = `mutation Unbind($t: ID!, $id: ID!) { deleteBinding(tenant: $t, id: $id) { id } }`;

const KINDS = {
  USER: { label: "User", attribute: "userName", query: FIND_USERS, key: "users",
    name: (n) => n.userName },
  GROUP: { label: "Group", attribute: "displayName", query: FIND_GROUPS, key: "groups",
    name: (n) => n.displayName },
  SERVICE_ACCOUNT: { label: "Service account", name: (n) => n.name },
};

export function render(view, { tenant }) {
  const status = h("div", { class: "status", "aria-live": "polite" });
  const body = h("div", {});
  const reload = () => fill(body, async () => {
    const data = (await gql(LOAD, { t: tenant })).tenant;
    const subjects = {
      USER: data.users.edges.map((e) => e.node),
      GROUP: data.groups.edges.map((e) => e.node),
      SERVICE_ACCOUNT: data.serviceAccounts,
    };
    const names = subjectNames(subjects);
    return h("div", {}, bindForm({ tenant, roles: data.roles, subjects, status, reload }),
      h("h2", {}, "Bindings"), bindingsTable(data.bindings, names, { tenant, status, reload }));
  }, "Loading bindings…");
  view.append(h("p", { class: "lead" }, "A binding gives a role to a user, a group or a service "
    + "account, in the whole tenant or limited to a namespace (which covers its children)."),
  status, body);
  return reload();
}

function subjectNames(subjects) {
  const names = new Map();
  for (const [kind, list] of Object.entries(subjects)) {
    for (const node of list) names.set(`${kind}:${node.id}`, KINDS[kind].name(node));
  }
  return names;
}

function bindForm({ tenant, roles, subjects, status, reload }) {
  const role = h("select", { id: "bind-role", required: true },
    roles.map((r) => h("option", { value: r.id }, r.name)));
  const kind = h("select", { id: "bind-kind" },
    Object.entries(KINDS).map(([value, k]) => h("option", { value, selected: value === "GROUP" },
      k.label)));
  const subject = h("select", { id: "bind-subject", required: true });
  const search = h("input", { id: "bind-search", type: "search", placeholder: "contains…",
    "aria-label": "Find a subject" });
  const find = h("button", { type: "button" }, "Find");
  const namespace = h("input", { id: "bind-namespace", placeholder: "whole tenant",
    pattern: "[A-Za-z0-9_.\\-]*" });
  const submit = h("button", { type: "submit", class: "primary" }, "Attach role");

  const fillSubjects = (list) => replace(subject, list.length
    ? list.map((n) => h("option", { value: n.id }, KINDS[kind.value].name(n)))
    : h("option", { value: "", disabled: true, selected: true }, "none found"));
  kind.addEventListener("change", () => { search.value = ""; fillSubjects(subjects[kind.value]); });
  find.addEventListener("click", () => act(find, status, async () => {
    const k = KINDS[kind.value];
    const text = search.value.trim().toLowerCase();
    if (!k.query) {
      fillSubjects(subjects[kind.value].filter((n) => k.name(n).toLowerCase().includes(text)));
      return;
    }
    replace(subject, h("option", { value: "" }, "searching…"));
    const found = await gql(k.query, { t: tenant, filter: containsFilter(k.attribute, text) });
    fillSubjects(found.tenant[k.key].edges.map((e) => e.node));
  }));
  fillSubjects(subjects.GROUP);

  const form = h("form", { class: "card bind-form", "aria-label": "Attach a role" },
    h("h2", {}, "Attach a role"),
    h("label", { for: "bind-role" }, "Role"), role,
    h("label", { for: "bind-kind" }, "To a"), kind,
    h("label", { for: "bind-subject" }, "Subject"), h("span", { class: "picker" }, search, find, subject),
    h("label", { for: "bind-namespace" }, "Namespace (optional)"), namespace,
    submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(submit, status, async () => {
      await gql(CREATE, { t: tenant, input: { roleId: role.value, subjectType: kind.value,
        subjectId: subject.value, namespace: namespace.value.trim() || null } });
      await reload();
    });
  });
  return form;
}

function bindingsTable(bindings, names, { tenant, status, reload }) {
  const remove = (binding) => {
    const button = h("button", { type: "button", class: "danger" }, "Remove");
    button.addEventListener("click", async () => {
      const who = names.get(`${binding.subjectType}:${binding.subjectId}`) ?? binding.subjectId;
      const ok = await confirmDialog(`Remove ${binding.role?.name ?? "the role"} from ${who}?`,
        "Remove");
      if (!ok) return;
      await act(button, status, async () => {
        await gql(DELETE, { t: tenant, id: binding.id });
        await reload();
      });
    });
    return button;
  };
  return table([
    { title: "Role", cell: (b) => h("strong", {}, b.role?.name ?? b.roleId) },
    { title: "Subject", cell: (b) => h("span", {}, badge(KINDS[b.subjectType]?.label ?? b.subjectType),
      " ", names.get(`${b.subjectType}:${b.subjectId}`) ?? h("code", {}, b.subjectId)) },
    { title: "Namespace", cell: (b) => b.namespace ?? h("span", { class: "muted" }, "whole tenant") },
    { title: "Created", cell: (b) => formatTime(b.createdAt) },
    { title: "", cell: remove },
  ], bindings, { empty: "No binding yet.", testid: "bindings" });
}
