// Building DOM nodes safely: text always goes through text nodes, never through innerHTML.

/**
 * h("button", { class: "primary", onclick: fn, "data-testid": "x" }, "Save")
 * Props starting with "on" become listeners; others become attributes (false/null are skipped).
 * Children may be nodes, strings, numbers, arrays or null.
 */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (key === "value") {
      node.value = value;
    } else {
      node.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(node, children);
  return node;
}

export function append(parent, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

export function formatTime(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** A JSON summary object as "key: value, key: value" (nested values as JSON). */
export function formatSummary(summary) {
  if (summary === null || summary === undefined) return "—";
  if (typeof summary !== "object") return String(summary);
  const parts = Object.entries(summary).map(([key, value]) =>
    `${key}: ${value !== null && typeof value === "object" ? JSON.stringify(value) : value}`);
  return parts.join(", ") || "—";
}
