// The console's only door to the server: POST /graphql with the session's bearer token.
import { session } from "./session.js";

export class ApiError extends Error {
  constructor(message, codes = []) {
    super(message);
    this.name = "ApiError";
    this.codes = codes;
  }
  get unauthenticated() { return this.codes.includes("UNAUTHENTICATED"); }
}

const FRIENDLY = {
  UNAUTHENTICATED: "Your token was not accepted (unknown, expired or revoked). Sign in again.",
  FORBIDDEN: "You are not allowed to do this",
  NOT_FOUND: "Not found",
  INTERNAL: "The server failed to handle the request",
};

function describe(errors) {
  const lines = errors.map((e) => {
    const code = e.extensions?.code;
    const field = e.extensions?.field ? ` (${e.extensions.field})` : "";
    if (code === "UNAUTHENTICATED" || code === "INTERNAL") return FRIENDLY[code];
    const prefix = FRIENDLY[code] && !e.message ? FRIENDLY[code] : e.message;
    return `${prefix}${field}`;
  });
  return [...new Set(lines)].join("; ");
}

/** Runs one GraphQL operation; resolves to `data`, rejects with a readable ApiError. */
export async function gql(query, variables = {}) {
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${session.token}` },
      body: JSON.stringify({ query, variables }),
    });
  } catch (err) {
    throw new ApiError(`Cannot reach the server: ${err.message}`);
  }
  const body = await response.json().catch(() => null);
  if (body?.errors?.length) {
    const error = new ApiError(describe(body.errors), body.errors.map((e) => e.extensions?.code));
    if (error.unauthenticated) window.dispatchEvent(new CustomEvent("tessera:signed-out"));
    throw error;
  }
  if (!response.ok || !body?.data) {
    throw new ApiError(`The server answered ${response.status} ${response.statusText}`.trim());
  }
  return body.data;
}
