// CORS for /graphql only, from the CORS_ORIGINS allow-list. Default (empty
// list): same origin only, i.e. no CORS header is ever sent and browsers keep
// other sites' scripts out. An allowed origin gets its own origin back (never
// "*"), no credentials (sessions are Bearer tokens, not cookies), and a
// preflight answered 204 with the method and headers a GraphQL client sends.
// A preflight from any other origin is refused: 403, no CORS header.
import type { RequestHandler } from "express";

const ALLOWED_METHODS = "POST, OPTIONS";
const ALLOWED_HEADERS = "Authorization, Content-Type, Accept, X-Request-Id";
const EXPOSED_HEADERS = "X-Request-Id, Retry-After";
const PREFLIGHT_MAX_AGE_SECONDS = "600";

export function corsForGraphQL(path: string, origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return (req, res, next) => {
    if (req.path !== path) return next();
    const origin = req.header("origin");
    if (allowed.size > 0) res.vary("Origin");
    const preflight = req.method === "OPTIONS" && req.header("access-control-request-method") !== undefined;
    if (!origin || !allowed.has(origin)) {
      if (preflight && origin) {
        res.status(403).json({ errors: [{ message: "This origin may not call the API.", extensions: { code: "FORBIDDEN" } }] });
        return;
      }
      return next();
    }
    res.set("Access-Control-Allow-Origin", origin);
    res.set("Access-Control-Expose-Headers", EXPOSED_HEADERS);
    if (!preflight) return next();
    res.set({
      "Access-Control-Allow-Methods": ALLOWED_METHODS,
      "Access-Control-Allow-Headers": ALLOWED_HEADERS,
      "Access-Control-Max-Age": PREFLIGHT_MAX_AGE_SECONDS,
    });
    res.status(204).end();
  };
}
