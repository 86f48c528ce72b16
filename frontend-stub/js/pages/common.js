// Pieces shared by the IAM pages.
import { h } from "../dom.js";
import { badge } from "../ui.js";

export const PAGE_SIZES = [20, 50, 100];

export function managedBy(item) {
  const integration = item.managedBy?.integration;
  if (item.managedBy && !integration) return badge("deleted integration", "muted");
  return integration ? badge(`SCIM: ${integration.name}`, "scim") : badge("manual", "muted");
}

export function roleNames(bindings) {
  if (!bindings?.length) return "—";
  return h("span", { class: "chips" }, bindings.map((b) =>
    badge(b.namespace ? `${b.role?.name ?? b.roleId} @ ${b.namespace}` : (b.role?.name ?? b.roleId))));
}

/** A search form: a "contains" box and an advanced SCIM filter box. */
export function searchForm({ id, label, example, onSearch }) {
  const contains = h("input", { id: `${id}-contains`, type: "search", placeholder: "contains…" });
  const scim = h("input", { id: `${id}-filter`, type: "search", class: "wide",
    placeholder: `e.g. ${example}` });
  const size = h("select", { id: `${id}-size`, "aria-label": "Page size" },
    PAGE_SIZES.map((n) => h("option", { value: String(n) }, `${n} a page`)));
  const form = h("form", { class: "filters", role: "search" },
    h("label", { for: `${id}-contains` }, label), contains,
    h("label", { for: `${id}-filter` }, "or SCIM filter"), scim, size,
    h("button", { type: "submit" }, "Search"));
  const submit = (event) => {
    event?.preventDefault();
    onSearch({ contains: contains.value, filter: scim.value.trim(), first: Number(size.value) });
  };
  form.addEventListener("submit", submit);
  size.addEventListener("change", submit);
  return form;
}
