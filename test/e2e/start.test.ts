// `node server.ts` as a user runs it: embedded PostgreSQL, migrations, API and
// worker up; SIGTERM/SIGINT stop everything, PostgreSQL included; a second
// start reuses the data.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = path.join(import.meta.dirname, "..", "..");
const dataDir = path.join(root, ".data", `e2e-pg-${process.pid}`);
const pgPort = 55_000 + (process.pid % 1000);

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

function startServer(): Promise<Started> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "development",
    PORT: "0",
    HOST: "127.0.0.1",
    EMBEDDED_PG_DIR: dataDir,
    EMBEDDED_PG_PORT: String(pgPort),
    LOG_LEVEL: "info",
  };
  for (const name of ["DATABASE_URL", "AUTH_DATABASE_URL", "ROOT_DATABASE_URL", "SHADOW_DATABASE_URL", "GRAPHILE_ENV"]) {
    delete env[name];
  }
  const child = spawn(process.execPath, ["server.ts"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 90_000);
    child.on("exit", (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
    child.stdout!.on("data", () => {
      const match = /listening on (http:\/\/localhost:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, output: () => output });
      }
    });
  });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
  await rm(`${dataDir}.secret`, { force: true });
});

describe("npm start with the embedded database", () => {
  it("serves health and GraphQL, then stops cleanly on SIGTERM", async () => {
    const server = await startServer();
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", database: { status: "up" }, worker: { status: "running" } });

    const introspection = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ __schema { queryType { name } } }" }),
    });
    expect(await introspection.json()).toEqual({ data: { __schema: { queryType: { name: "Query" } } } });
    // Development mode serves Ruru.
    expect((await fetch(`${server.url}/graphiql`)).status).toBe(200);

    const exited = exitCode(server.child);
    server.child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(server.output()).toContain("initialising embedded PostgreSQL");
    expect(server.output()).toContain("embedded PostgreSQL stopped");
    expect(existsSync(path.join(dataDir, "postmaster.pid"))).toBe(false);
  }, 120_000);

  it("reuses the data on a second start and stops on SIGINT", async () => {
    const server = await startServer();
    expect(server.output()).not.toContain("initialising embedded PostgreSQL");
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
    const exited = exitCode(server.child);
    server.child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(existsSync(path.join(dataDir, "postmaster.pid"))).toBe(false);
  }, 120_000);
});
