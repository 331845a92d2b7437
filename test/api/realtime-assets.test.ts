// What a page needs for live updates, served by the HTTP server: graphql-ws's
// browser build at one fixed path (and nothing else of node_modules), and
// web/live.js, both with the security headers of every asset.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../helpers/db.ts";
import { useTestServer } from "../helpers/server.ts";

const db = useTestDatabase();
const server = useTestServer(db);

describe("realtime assets", () => {
  it("serves graphql-ws's browser build at /assets/vendor/graphql-ws.js, as a script with the assets' headers", async () => {
    const response = await fetch(`${server().url}/assets/vendor/graphql-ws.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/javascript/);
    const asset = await fetch(`${server().url}/assets/status.js`);
    for (const header of ["content-security-policy", "referrer-policy", "x-content-type-options", "x-frame-options", "cache-control"]) {
      expect(response.headers.get(header), header).toBe(asset.headers.get(header));
    }
    const file = path.join(path.dirname(createRequire(import.meta.url).resolve("graphql-ws")), "..", "umd", "graphql-ws.min.js");
    const body = await response.text();
    expect(body).toBe(await readFile(file, "utf8"));
    // A classic script that defines window.graphqlWs.
    expect(body).toContain(".graphqlWs=");
  });

  it("serves nothing else under /assets/vendor/", async () => {
    for (const name of ["graphql-ws.min.js", "graphql-ws.mjs", "ws.js", "..%2Fstatus.js", "graphql-ws.js%00"]) {
      const response = await fetch(`${server().url}/assets/vendor/${name}`);
      expect(response.status, name).toBe(404);
    }
  });

  it("serves web/live.js as a module script", async () => {
    const response = await fetch(`${server().url}/assets/live.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(await response.text()).toContain("export function subscribe(");
  });
});
