// Security headers on every response (helmet): nosniff, no framing, no
// X-Powered-By, no Referer leaks, a strict CSP for everything that is not a
// page (JSON, SVG, PDF…: nothing there may run or load anything), HSTS in
// production only (a development server on http://localhost must not pin
// HTTPS in the browser). The pages (lib/http/pages.ts) set their own CSP
// afterwards; Ruru (/graphiql, development only) gets the looser one its
// inline bootstrap needs, and only there.
import type { RequestHandler } from "express";
import helmet from "helmet";

const STRICT_CSP = { "default-src": ["'none'"], "frame-ancestors": ["'none'"], "base-uri": ["'none'"], "form-action": ["'none'"] };

// Ruru's page: an inline bootstrap script and styles, its bundle from
// /ruru-static/, a worker from a blob, the GraphQL endpoint over HTTP and ws.
const RURU_CSP = {
  "default-src": ["'self'"],
  "script-src": ["'self'", "'unsafe-inline'", "'unsafe-eval'", "blob:"],
  "style-src": ["'self'", "'unsafe-inline'"],
  "img-src": ["'self'", "data:", "blob:"],
  "font-src": ["'self'", "data:"],
  "connect-src": ["'self'", "ws:", "wss:"],
  "worker-src": ["'self'", "blob:"],
  "frame-ancestors": ["'none'"],
  "base-uri": ["'none'"],
  "form-action": ["'none'"],
};

export interface SecurityHeadersOptions {
  /** NODE_ENV=production: adds Strict-Transport-Security. */
  production: boolean;
  /** Ruru is served (development): its paths get RURU_CSP. */
  ruru: boolean;
}

export function securityHeaders(options: SecurityHeadersOptions): RequestHandler {
  const common = {
    strictTransportSecurity: options.production ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: "no-referrer" as const },
    xFrameOptions: { action: "deny" as const },
  };
  const strict = helmet({ ...common, contentSecurityPolicy: { useDefaults: false, directives: STRICT_CSP } });
  const ruru = helmet({ ...common, contentSecurityPolicy: { useDefaults: false, directives: RURU_CSP } });
  return (req, res, next) => {
    const ruruPath = options.ruru && (req.path === "/graphiql" || req.path.startsWith("/ruru-static/"));
    (ruruPath ? ruru : strict)(req, res, next);
  };
}
