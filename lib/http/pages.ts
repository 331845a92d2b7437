// Static pages of web/: the customer's status page at /e/<entry token> (the
// link in every SMS), the join page at /q/<qr token> (what the printed QR
// code opens), the merchant's counter screen at /counter, and their scripts,
// styles and icon under /assets/. Each page is the same file for every token: it reads the token from its own address,
// so nothing from the URL is ever written into HTML. Only names of the form
// `name.js` / `name.css` / `name.svg` directly in web/ are served, so no path
// (encoded or not) can reach a file outside it.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Response, Router } from "express";
import express from "express";

const WEB_ROOT = fileURLToPath(new URL("../../web/", import.meta.url));
const ASSET_NAME = /^[a-z0-9-]+\.(?:js|css|svg)$/;

// graphql-ws's own browser build (a classic script that sets
// window.graphqlWs), for web/live.js: the one file of node_modules served,
// by this fixed path, so nothing of node_modules is reachable by name.
const GRAPHQL_WS_BROWSER_BUILD = path.join(
  path.dirname(createRequire(import.meta.url).resolve("graphql-ws")),
  "..",
  "umd",
  "graphql-ws.min.js",
);

// Scripts, styles and API calls from this origin only; no inline code, no
// framing, no forms posting elsewhere.
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

function secure(res: Response, cacheControl: string): void {
  res.set({
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    // The page's URL is the customer's secret: no Referer, ever.
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": cacheControl,
  });
}

export function pagesRouter(): Router {
  const router = express.Router();
  // Any token shape gets the page: the page itself says "not found" (without
  // asking the server when the token cannot be one).
  const page = (file: string) => (_req: unknown, res: Response, next: (error?: unknown) => void) => {
    secure(res, "no-store");
    res.sendFile(file, { root: WEB_ROOT, dotfiles: "deny", lastModified: false, etag: false }, (error) => {
      if (error) next(error);
    });
  };
  router.get("/e/:token", page("status.html"));
  router.get("/q/:token", page("join.html"));
  // The merchant's counter screen: one static page; the session token stays
  // in the tab (sessionStorage) and the Authorization header, never the URL.
  router.get("/counter", page("counter.html"));
  // The back office: the same rules (token in the tab, never the URL); admin sessions only.
  router.get("/admin", page("admin.html"));
  router.get("/assets/vendor/graphql-ws.js", (_req, res, next) => {
    secure(res, "no-cache");
    res.type("text/javascript");
    res.sendFile(GRAPHQL_WS_BROWSER_BUILD, (error) => {
      if (error) next(error);
    });
  });
  router.get("/assets/:file", (req, res, next) => {
    const file = req.params.file;
    if (!ASSET_NAME.test(file)) return next();
    secure(res, "no-cache");
    res.sendFile(file, { root: WEB_ROOT, dotfiles: "deny" }, (error) => {
      if (!error) return;
      // A name that looks right but is not there: fall through to the 404.
      next((error as NodeJS.ErrnoException).code === "ENOENT" ? undefined : error);
    });
  });
  return router;
}
