// Building SCIM filter expressions from what an admin types.

/** A SCIM string literal: quotes and backslashes escaped. */
export function scimString(value) {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** `attribute co "text"`, or null for an empty box. */
export function containsFilter(attribute, text) {
  const trimmed = text.trim();
  return trimmed ? `${attribute} co ${scimString(trimmed)}` : null;
}
