// One integration's SCIM request log, newest first, with a status filter and paging.
import { gql } from "../api.js";
import { formatSummary, formatTime, h, replace } from "../dom.js";
import { CursorPager, badge, errorBox, loading, table } from "../ui.js";

const PAGE = 20;
const STATUSES = [200, 201, 204, 400, 401, 403, 404, 409, 412, 413, 500];
const LOG = `query RequestLog($t: ID!, $i: ID!, $first: Int!, $after: String, $status: Int) {
  tenant(id: $t) { integration(id: $i) {
    requestLog(first: $first, after: $after, status: $status) {
      edges { cursor node { id requestId at method path status scimType durationMs summary } }
      pageInfo { hasNextPage endCursor } } } } }`;

export function renderRequestLog(slot, { tenant, integration }) {
  const filter = h("select", { id: "log-status", "aria-label": "Status" },
    h("option", { value: "" }, "any status"),
    STATUSES.map((s) => h("option", { value: String(s) }, String(s))));
  const body = h("div", { class: "log-body" });
  const pager = new CursorPager(() => load());
  const close = h("button", { type: "button", class: "link", onclick: () => replace(slot) },
    "Close");
  filter.addEventListener("change", () => { pager.reset(); load(); });

  async function load() {
    replace(body, loading("Loading the request log…"));
    const status = filter.value ? Number(filter.value) : null;
    try {
      const vars = { t: tenant, i: integration.id, first: PAGE, after: pager.after, status };
      const { edges, pageInfo } = (await gql(LOG, vars)).tenant.integration.requestLog;
      replace(body, logTable(edges.map((e) => e.node)), pager.controls(pageInfo));
    } catch (error) {
      replace(body, errorBox(new Error(`Could not load the request log: ${error.message}`)));
    }
  }

  replace(slot, h("section", { class: "card request-log", "aria-label": "Request log" },
    h("header", { class: "panel-head" },
      h("h2", {}, `Request log: ${integration.name}`), close),
    h("div", { class: "filters" }, h("label", { for: "log-status" }, "Status"), filter),
    body));
  slot.scrollIntoView({ block: "nearest" });
  load();
}

/** The path below the integration's SCIM base ("/Users/…"), which is what an admin reads. */
function scimPath(path) {
  const at = path.indexOf("/scim/v2");
  return at < 0 ? path : (path.slice(at + "/scim/v2".length) || "/");
}

function logTable(requests) {
  return table([
    { title: "When", cell: (r) => h("span", { class: "nowrap" }, formatTime(r.at)) },
    { title: "Request", cell: (r) => h("code", { title: r.path }, `${r.method} ${scimPath(r.path)}`) },
    { title: "Status", cell: (r) => badge(String(r.status), r.status >= 400 ? "bad" : "good") },
    { title: "SCIM type", cell: (r) => r.scimType ?? "—" },
    { title: "Duration", cell: (r) => `${r.durationMs} ms` },
    { title: "Summary", cell: (r) => formatSummary(r.summary) },
    { title: "Request id", cell: (r) => h("code", { class: "muted" }, r.requestId) },
  ], requests, { empty: "No request matches.", testid: "request-log" });
}
