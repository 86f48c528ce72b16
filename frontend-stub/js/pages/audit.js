// IAM → Audit log: every write, newest first, filtered and paged.
import { gql } from "../api.js";
import { formatSummary, formatTime, h, replace } from "../dom.js";
import { CursorPager, badge, errorBox, loading, table } from "../ui.js";

const PAGE = 25;
const AUDIT = `query Audit($t: ID!, $first: Int!, $after: String, $filter: AuditEventFilter) {
  tenant(id: $t) { auditEvents(first: $first, after: $after, filter: $filter) {
    pageInfo { hasNextPage endCursor }
    edges { node { id at actorType actorLabel via action resourceType resourceId summary } } } } }`;

export function render(view, { tenant }) {
  const results = h("div", { class: "list" });
  const pager = new CursorPager(() => load());
  const action = h("input", { id: "audit-action", type: "search", placeholder: "e.g. binding.create" });
  const resource = h("input", { id: "audit-resource", type: "search", placeholder: "e.g. group" });
  const via = h("select", { id: "audit-via" }, ["", "graphql", "scim", "cli"].map((v) =>
    h("option", { value: v }, v || "any door")));
  const form = h("form", { class: "filters", role: "search" },
    h("label", { for: "audit-action" }, "Action"), action,
    h("label", { for: "audit-resource" }, "Resource type"), resource,
    h("label", { for: "audit-via" }, "Door"), via,
    h("button", { type: "submit" }, "Filter"));

  const filter = () => {
    const f = { action: action.value.trim(), resourceType: resource.value.trim(), via: via.value };
    return Object.fromEntries(Object.entries(f).filter(([, v]) => v));
  };
  async function load() {
    replace(results, loading("Loading the audit log…"));
    try {
      const vars = { t: tenant, first: PAGE, after: pager.after, filter: filter() };
      const { auditEvents } = (await gql(AUDIT, vars)).tenant;
      replace(results, eventsTable(auditEvents.edges.map((e) => e.node)),
        pager.controls(auditEvents.pageInfo));
    } catch (error) {
      replace(results, errorBox(error));
    }
  }
  form.addEventListener("submit", (event) => { event.preventDefault(); pager.reset(); load(); });
  view.append(form, results);
  load();
}

function eventsTable(events) {
  return table([
    { title: "When", cell: (e) => h("span", { class: "nowrap" }, formatTime(e.at)) },
    { title: "Actor", cell: (e) => h("span", {}, e.actorLabel, " ",
      h("span", { class: "muted" }, `(${e.actorType})`)) },
    { title: "Door", cell: (e) => badge(e.via) },
    { title: "Action", cell: (e) => h("code", { class: "nowrap" }, e.action) },
    { title: "Resource", cell: (e) => h("span", {}, e.resourceType, " ",
      h("code", { class: "muted" }, e.resourceId)) },
    { title: "Summary", cell: (e) => h("span", { class: "summary" }, formatSummary(e.summary)) },
  ], events, { empty: "No event matches.", testid: "audit" });
}
