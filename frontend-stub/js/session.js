// The signed-in state lives in sessionStorage only: closing the tab forgets it.

const TOKEN = "tessera.token";
const TENANT = "tessera.tenant";

export const session = {
  get token() { return sessionStorage.getItem(TOKEN); },
  get tenant() { return sessionStorage.getItem(TENANT); },
  signIn(token) { sessionStorage.setItem(TOKEN, token); },
  chooseTenant(id) { sessionStorage.setItem(TENANT, id); },
  forgetTenant() { sessionStorage.removeItem(TENANT); },
  signOut() { sessionStorage.removeItem(TOKEN); sessionStorage.removeItem(TENANT); },
};
