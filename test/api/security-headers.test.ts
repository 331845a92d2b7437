// Security headers on every route (lib/http/security-headers.ts), the pages'
// own CSP kept, Ruru's only in development, HSTS only in production; CORS for
// /graphql from CORS_ORIGINS only (lib/http/cors.ts).
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../helpers/db.ts";
import { useTestServer } from "../helpers/server.ts";

const METRICS_TOKEN = "metrics-token-0123456789abcdef";

/** Every kind of answer: GraphQL (each role's sub-app, its 405), health, metrics, pages, assets, 404s. */
const requests: Array<[string, string, RequestInit]> = [
  ["GraphQL POST", "/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: '{"query":"{ __typename }"}' }],
  ["GraphQL as a merchant with a bad token", "/graphql", { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer x.y.z" }, body: "{}" }],
  ["GraphQL GET (405 from the sub-app)", "/graphql", { method: "GET" }],
  ["GraphQL unknown sub-path", "/graphql/stream", { method: "GET" }],
  ["health", "/health", {}],
  ["liveness", "/health/live", {}],
  ["metrics", "/metrics", { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }],
  ["metrics without a token", "/metrics", {}],
  ["status page", "/e/some-token", {}],
  ["asset", "/assets/status.js", {}],
  ["QR code without a session", "/queues/00000000-0000-0000-0000-000000000000/qr.svg", {}],
  ["Stripe webhook", "/webhooks/stripe", { method: "POST", body: "{}" }],
  ["404", "/nope", {}],
  ["Ruru outside development", "/graphiql", {}],
];

describe("security headers", () => {
  const db = useTestDatabase();
  const server = useTestServer(db, { observability: { metricsToken: METRICS_TOKEN } });

  it.each(requests)("%s: nosniff, no framing, a CSP, no X-Powered-By, no HSTS outside production", async (_name, path, init) => {
    const response = await fetch(`${server().url}${path}`, init);
    const headers = response.headers;
    expect(headers.get("x-powered-by")).toBeNull();
    expect(headers.get("x-content-type-options")).toBe("nosniff");
    expect(headers.get("x-frame-options")).toBe("DENY");
    expect(headers.get("content-security-policy")).toMatch(/frame-ancestors 'none'/);
    expect(headers.get("content-security-policy")).not.toMatch(/unsafe-/);
    expect(headers.get("referrer-policy")).toBe("no-referrer");
    expect(headers.get("strict-transport-security")).toBeNull();
    expect(headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers JSON with a CSP that allows nothing, and keeps the pages' own CSP", async () => {
    const api = await fetch(`${server().url}/health`);
    expect(api.headers.get("content-security-policy")).toMatch(/^default-src 'none'/);
    const page = await fetch(`${server().url}/q/some-token`);
    expect(page.headers.get("content-security-policy")).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
  });

  it("sends no CORS header by default, even to a preflight", async () => {
    const preflight = await fetch(`${server().url}/graphql`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST" },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    const post = await fetch(`${server().url}/graphql`, {
      method: "POST",
      headers: { origin: "https://app.example", "content-type": "application/json" },
      body: '{"query":"{ __typename }"}',
    });
    expect(post.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("HSTS in production", () => {
  const db = useTestDatabase();
  const server = useTestServer(db, { observability: { production: true } });

  it.each(["/graphql", "/health", "/nope", "/e/token"])("%s carries Strict-Transport-Security", async (path) => {
    const response = await fetch(`${server().url}${path}`);
    expect(response.headers.get("strict-transport-security")).toBe("max-age=31536000; includeSubDomains");
    expect(response.headers.get("x-powered-by")).toBeNull();
  });
});

describe("Ruru in development", () => {
  const db = useTestDatabase();
  const server = useTestServer(db, { development: true });

  it("is served with its own CSP, which no other route gets", async () => {
    const ruru = await fetch(`${server().url}/graphiql`, { headers: { accept: "text/html" } });
    expect(ruru.status).toBe(200);
    expect(ruru.headers.get("x-powered-by")).toBeNull();
    const csp = ruru.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/script-src 'self' 'unsafe-inline'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    // Its scripts load from this server.
    const html = await ruru.text();
    const script = /href="(\/ruru-static\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect((await fetch(`${server().url}${script}`)).status).toBe(200);
    const api = await fetch(`${server().url}/health`);
    expect(api.headers.get("content-security-policy")).toMatch(/^default-src 'none'/);
  });
});

describe("CORS for /graphql from CORS_ORIGINS", () => {
  const db = useTestDatabase();
  const server = useTestServer(db, { observability: { corsOrigins: ["https://app.example", "http://localhost:5173"] } });

  it("answers an allowed origin's preflight 204 with the methods and headers a client sends", async () => {
    const response = await fetch(`${server().url}/graphql`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(response.headers.get("access-control-allow-methods")).toMatch(/\bPOST\b/);
    expect(response.headers.get("access-control-allow-headers")).toMatch(/Authorization/);
    expect(response.headers.get("access-control-allow-headers")).toMatch(/Content-Type/);
    expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    expect(response.headers.get("vary")).toMatch(/Origin/);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("refuses another origin's preflight without any CORS header", async () => {
    const response = await fetch(`${server().url}/graphql`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(response.status).toBe(403);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    expect(response.headers.get("access-control-allow-methods")).toBeNull();
  });

  it("names the allowed origin on the answer itself, and no other", async () => {
    const post = (origin: string) =>
      fetch(`${server().url}/graphql`, {
        method: "POST",
        headers: { origin, "content-type": "application/json" },
        body: '{"query":"{ __typename }"}',
      });
    const allowed = await post("http://localhost:5173");
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    expect(allowed.headers.get("access-control-expose-headers")).toMatch(/X-Request-Id/);
    const other = await post("https://app.example.evil.test");
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("leaves other routes without CORS headers", async () => {
    const response = await fetch(`${server().url}/health`, { headers: { origin: "https://app.example" } });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });
});
