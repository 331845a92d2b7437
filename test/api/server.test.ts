// The HTTP server answers GraphQL, reports its health, and keeps Ruru (the
// GraphQL IDE) and raw errors away from production clients.
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../helpers/db.ts";
import { useTestServer } from "../helpers/server.ts";

interface HealthBody {
  status: string;
  database: { status: string; latencyMs?: number };
  worker: { status: string };
}

describe("HTTP server", () => {
  const db = useTestDatabase();
  const server = useTestServer(db);

  it("answers GraphQL introspection", async () => {
    const { status, body } = await server().graphql<{ __schema: { queryType: { name: string }; types: { name: string }[] } }>(
      "{ __schema { queryType { name } types { name } } }",
    );
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data?.__schema.queryType.name).toBe("Query");
    expect(body.data?.__schema.types.map((type) => type.name)).toContain("Query");
  });

  it("reports the database and the worker in /health", async () => {
    const response = await fetch(`${server().url}/health`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as HealthBody;
    expect(body.status).toBe("ok");
    expect(body.database.status).toBe("up");
    expect(typeof body.database.latencyMs).toBe("number");
    expect(body.worker.status).toBe("off");
  });

  it("answers liveness and readiness probes", async () => {
    expect((await fetch(`${server().url}/health/live`)).status).toBe(200);
    const ready = await fetch(`${server().url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ok" });
  });

  it("does not serve Ruru outside development", async () => {
    const response = await fetch(`${server().url}/graphiql`);
    expect(response.status).toBe(404);
  });

  it("returns a syntax error as a GraphQL error, not a stack trace", async () => {
    const { body } = await server().graphql("{ nope ");
    expect(body.errors?.[0]?.message).toMatch(/Syntax Error/);
    expect(JSON.stringify(body)).not.toMatch(/at .*\.(js|ts):\d+/);
  });
});

describe("health when the database is down", () => {
  const db = useTestDatabase();
  const server = useTestServer(db);

  it("reports 503 and the database as down, without connection details", async () => {
    // The API's role loses its connections and may not open new ones.
    await db().root.query(`revoke connect on database ${db().name} from waitify_authenticator`);
    await db().root.query(
      "select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and usename = 'waitify_authenticator'",
      [db().name],
    );
    try {
      const health = await fetch(`${server().url}/health`);
      expect(health.status).toBe(503);
      const body = (await health.json()) as HealthBody;
      expect(body.database).toEqual({ status: "down" });
      expect((await fetch(`${server().url}/health/ready`)).status).toBe(503);
      expect((await fetch(`${server().url}/health/live`)).status).toBe(200);
    } finally {
      await db().root.query(`grant connect on database ${db().name} to waitify_authenticator`);
    }
    expect((await fetch(`${server().url}/health`)).status).toBe(200);
  });
});
