// IAM → Provisioning: SCIM integrations; create, toggle, rotate the secret, delete, request log.
import { gql } from "../api.js";
import { formatTime, h, replace } from "../dom.js";
import { act, confirmDialog, copyable, fill, table } from "../ui.js";
import { renderRequestLog } from "./requestlog.js";

const FIELDS = "id name description type enabled endpointUrl createdAt";
const LIST = `query Integrations($t: ID!) { tenant(id: $t) { integrations { ${FIELDS} } } }`;
const CREATE = `mutation Create($t: ID!, $input: CreateIntegrationInput!) {
  createProvisioningIntegration(tenant: $t, input: $input) { integration { ${FIELDS} } secretToken } }`;
const UPDATE = `mutation Toggle($t: ID!, $id: ID!, $enabled: Boolean!) {
  updateProvisioningIntegration(tenant: $t, id: $id, input: { enabled: $enabled }) {
    integration { id enabled } } }`;
const ROTATE = `mutation Rotate($t: ID!, $id: ID!) {
  rotateProvisioningIntegrationToken(tenant: $t, id: $id) { integration { ${FIELDS} } secretToken } }`;
const DELETE = `mutation Delete($t: ID!, $id: ID!) {
  deleteProvisioningIntegration(tenant: $t, id: $id) { id } }`;

export function render(view, { tenant, actions }) {
  const status = h("div", { class: "status", "aria-live": "polite" });
  const secret = h("div", { class: "secret-slot" });
  const list = h("div", { class: "list" });
  const log = h("div", { class: "log-slot" });

  const reload = () => fill(list, async () => {
    const { integrations } = (await gql(LIST, { t: tenant })).tenant;
    return integrationsTable(integrations, { tenant, status, secret, log, reload });
  }, "Loading integrations…");

  const toggle = h("button", { type: "button", class: "primary", "aria-expanded": "false" },
    "Create");
  const showForm = (shown) => {
    form.hidden = !shown;
    toggle.setAttribute("aria-expanded", String(shown));
    if (shown) form.querySelector("input").focus();
  };
  const form = createForm({ tenant, status, secret, reload, onCreated: () => showForm(false) });
  toggle.addEventListener("click", () => showForm(form.hidden));
  actions.append(toggle);
  view.append(
    h("p", { class: "lead" }, "An identity provider (Entra ID, Okta, authentik, Keycloak) pushes "
      + "users and groups here over SCIM 2.0. Create an integration, then paste its endpoint URL "
      + "and secret token into the IdP."),
    form, status, secret, h("h2", {}, "Integrations"), list, log);
  reload();
}

function createForm({ tenant, status, secret, reload, onCreated }) {
  const name = h("input", { id: "integration-name", name: "name", required: true, maxlength: 200 });
  const description = h("input", { id: "integration-description", name: "description",
    maxlength: 1000 });
  const submit = h("button", { type: "submit", class: "primary" }, "Save");
  const form = h("form", { class: "card inline-form", "aria-label": "Create an integration",
    hidden: true },
    h("h2", {}, "New provisioning integration"),
    h("label", { for: "integration-name" }, "Name"), name,
    h("label", { for: "integration-description" }, "Description"), description,
    h("p", { class: "hint" }, "Type: SCIM 2.0"), submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(submit, status, async () => {
      const input = { name: name.value.trim(), description: description.value.trim() };
      const created = (await gql(CREATE, { t: tenant, input })).createProvisioningIntegration;
      form.reset();
      onCreated();
      showSecret(secret, created, `Integration “${created.integration.name}” created`);
      await reload();
    });
  });
  return form;
}

/** The endpoint URL and secret token, shown once, with copy buttons and a warning. */
function showSecret(slot, { integration, secretToken }, title) {
  const done = h("button", { type: "button", onclick: () => replace(slot) },
    "I have copied the token");
  replace(slot, h("section", { class: "card secret", "aria-label": "Secret token" },
    h("h2", {}, title),
    h("p", { class: "warning", role: "alert" }, "Copy the secret token now: it will not be shown "
      + "again. If you lose it, rotate the secret and update the identity provider."),
    h("dl", {},
      h("dt", {}, "SCIM endpoint URL"),
      h("dd", {}, copyable(integration.endpointUrl, "secret-endpoint")),
      h("dt", {}, "Secret token"),
      h("dd", {}, copyable(secretToken, "secret-token"))),
    done));
  slot.scrollIntoView({ block: "nearest" });
}

function integrationsTable(integrations, ctx) {
  return table([
    { title: "Name", cell: (i) => h("strong", {}, i.name) },
    { title: "Description", cell: (i) => i.description || "—" },
    { title: "Enabled", cell: (i) => enabledSwitch(i, ctx) },
    { title: "Endpoint URL", cell: (i) => copyable(i.endpointUrl) },
    { title: "Created", cell: (i) => formatTime(i.createdAt) },
    { title: "Actions", cell: (i) => rowActions(i, ctx) },
  ], integrations, { empty: "No integration yet: create one above.", testid: "integrations" });
}

function enabledSwitch(integration, { tenant, status }) {
  const box = h("input", { type: "checkbox", role: "switch", checked: integration.enabled,
    "aria-label": `Enabled: ${integration.name}` });
  const label = h("span", {}, integration.enabled ? "Enabled" : "Disabled");
  box.addEventListener("change", () => act(box, status, async () => {
    const wanted = box.checked;
    try {
      await gql(UPDATE, { t: tenant, id: integration.id, enabled: wanted });
      label.textContent = wanted ? "Enabled" : "Disabled";
    } catch (error) {
      box.checked = !wanted;
      throw error;
    }
  }));
  return h("label", { class: "switch" }, box, label);
}

function rowActions(integration, { tenant, status, secret, log, reload }) {
  const logButton = h("button", { type: "button",
    onclick: () => renderRequestLog(log, { tenant, integration }) }, "Request log");
  const rotate = h("button", { type: "button" }, "Rotate secret");
  rotate.addEventListener("click", async () => {
    const ok = await confirmDialog(`Rotate the secret of “${integration.name}”? The current `
      + "token stops working at once; the identity provider needs the new one.", "Rotate");
    if (!ok) return;
    await act(rotate, status, async () => {
      const rotated = (await gql(ROTATE, { t: tenant, id: integration.id }))
        .rotateProvisioningIntegrationToken;
      showSecret(secret, rotated, `New secret for “${integration.name}”`);
    });
  });
  const remove = h("button", { type: "button", class: "danger" }, "Delete");
  remove.addEventListener("click", async () => {
    const ok = await confirmDialog(`Delete “${integration.name}”? Its token is revoked and its `
      + "service account removed; the users and groups it provisioned stay.", "Delete");
    if (!ok) return;
    await act(remove, status, async () => {
      await gql(DELETE, { t: tenant, id: integration.id });
      replace(log);
      await reload();
    });
  });
  return h("div", { class: "row-actions" }, logButton, rotate, remove);
}
