// Keeping a signed-in page signed in (the counter, the back office): when to
// renew the session token, and the mutation that renews it
// (db/identity/session-refresh.sql). Pure: no DOM, no network; the pages and
// the tests (test/web/counter-view.test.ts) import this same file. Plain
// ES2019 (eslint.config.js checks).

/**
 * A new token for the same session: refused (UNAUTHENTICATED) once the
 * session began more than 12 hours ago or the password changed since.
 */
export const REFRESH_SESSION_MUTATION = `mutation RefreshSession {
  refreshSession(input: {}) { jwtToken }
}`;

/** The payload of a JWT (not verified: only to read its role and times), or null. */
export function tokenClaims(token) {
  const part = typeof token === "string" ? token.split(".")[1] : null;
  if (!part) return null;
  try {
    const base64 = part.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(base64 + "===".slice((base64.length + 3) % 4));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === "object" ? claims : null;
  } catch {
    return null;
  }
}

/**
 * How long to wait before renewing the session (ms): until three quarters of
 * the token's lifetime (iat → exp) have passed, on the server's clock — at
 * once if that is past; null when the token says no lifetime (nothing to renew).
 */
export function sessionRefreshDelay(token, serverNowMs) {
  const claims = tokenClaims(token);
  if (!claims || typeof claims.exp !== "number" || typeof claims.iat !== "number" || claims.exp <= claims.iat) return null;
  const renewAt = (claims.iat + (claims.exp - claims.iat) * 0.75) * 1000;
  return Math.max(0, Math.round(renewAt - serverNowMs));
}

/** After a renewal failed for a reason that may pass (network, server), try again this soon. */
const RETRY_MS = 30000;

/**
 * Renews a page's session before its token expires, again and again until
 * the session can no longer be renewed; then the token simply expires and the
 * page signs out as it would have. options:
 *   token()          the page's current token, or null when signed out;
 *   request(query)   sends the mutation with that token; resolves to the body;
 *   serverNow()      the server's clock (ms), as far as the page knows it;
 *   onRenewed(token) keep the new token (storage, live feed…).
 * Returns { schedule(), stop() }: schedule after every sign-in or page load.
 */
export function sessionKeeper(options) {
  let timer = null;
  function stop() {
    if (timer) clearTimeout(timer);
    timer = null;
  }
  function schedule(delay) {
    stop();
    const token = options.token();
    if (!token) return;
    const wait = delay === undefined ? sessionRefreshDelay(token, options.serverNow()) : delay;
    if (wait !== null) timer = setTimeout(renew, wait);
  }
  async function renew() {
    timer = null;
    const token = options.token();
    if (!token) return;
    const body = await options.request(REFRESH_SESSION_MUTATION);
    if (options.token() !== token) return; // signed out, or in again, meanwhile
    const renewed = body && body.data && body.data.refreshSession ? body.data.refreshSession.jwtToken : null;
    if (renewed) {
      options.onRenewed(renewed);
      schedule();
      return;
    }
    const error = body && body.errors && body.errors[0];
    const code = error && error.extensions ? error.extensions.code : null;
    // A refusal (too old, password changed) is final: nothing to retry.
    if (code === "NETWORK" || code === "INTERNAL") schedule(RETRY_MS);
  }
  return { schedule, stop };
}
