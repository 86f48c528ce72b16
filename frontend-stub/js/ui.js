// Small shared pieces of UI: loading and error states, tables, pagers, dialogs, copy buttons.
import { append, h, replace } from "./dom.js";

export function loading(what = "Loading…") {
  return h("p", { class: "loading", role: "status" }, what);
}

export function errorBox(error) {
  return h("p", { class: "error", role: "alert" }, error?.message ?? String(error));
}

export function notice(message) {
  return h("p", { class: "notice", role: "status" }, message);
}

/** Shows a loading state in `container`, then what `build()` resolves to, or its error. */
export async function fill(container, build, what) {
  replace(container, loading(what));
  try {
    replace(container, await build());
  } catch (error) {
    replace(container, errorBox(error));
  }
}

/** A table; columns: [{ title, cell: (row) => node|string }]. */
export function table(columns, rows, { empty = "Nothing here yet.", testid } = {}) {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  return h("table", { "data-testid": testid },
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c.title)))),
    h("tbody", {}, rows.map((row) => h("tr", {}, columns.map((c) => h("td", {}, c.cell(row)))))));
}

export function badge(text, kind = "") {
  return h("span", { class: `badge ${kind}`.trim() }, text);
}

/** Forward cursor paging with a stack of the cursors already visited (for "Previous"). */
export class CursorPager {
  constructor(onChange) {
    this.onChange = onChange;
    this.reset();
  }
  reset() { this.cursors = [null]; }
  get after() { return this.cursors.at(-1); }
  get page() { return this.cursors.length; }

  /** The pager's controls for the page just shown (its pageInfo). */
  controls(pageInfo, total) {
    const previous = h("button", { type: "button", disabled: this.page === 1,
      onclick: () => { this.cursors.pop(); this.onChange(); } }, "← Previous");
    const next = h("button", { type: "button", disabled: !pageInfo.hasNextPage,
      onclick: () => { this.cursors.push(pageInfo.endCursor); this.onChange(); } }, "Next →");
    const label = total === undefined ? `Page ${this.page}` : `Page ${this.page} · ${total} in all`;
    return h("nav", { class: "pager", "aria-label": "Pages" }, previous,
      h("span", {}, label), next);
  }
}

let dialogCount = 0;

/** A modal yes/no question; resolves to true when confirmed. */
export function confirmDialog(message, confirmLabel = "Confirm") {
  return new Promise((resolve) => {
    const title = `dialog-title-${++dialogCount}`;
    const dialog = h("dialog", { class: "confirm", "aria-labelledby": title },
      h("p", { id: title }, message),
      h("form", { method: "dialog", class: "actions" },
        h("button", { value: "cancel" }, "Cancel"),
        h("button", { value: "confirm", class: "danger" }, confirmLabel)));
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "confirm");
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

export function copyButton(getText, label = "Copy") {
  const button = h("button", { type: "button", class: "copy" }, label);
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(getText());
      button.textContent = "Copied";
    } catch {
      button.textContent = "Copy failed: select the text";
    }
    setTimeout(() => { button.textContent = label; }, 2000);
  });
  return button;
}

/** A value shown with a copy button next to it. */
export function copyable(value, testid) {
  return h("span", { class: "copyable" }, h("code", { "data-testid": testid }, value),
    copyButton(() => value));
}

/** Runs an action from a button: disables it meanwhile; shows failures in `status`. */
export async function act(button, status, action) {
  button.disabled = true;
  replace(status);
  try {
    await action();
  } catch (error) {
    append(status, errorBox(error));
  } finally {
    button.disabled = false;
  }
}
