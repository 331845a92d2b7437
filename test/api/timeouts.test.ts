// Time limits: a statement that runs past statement_timeout is cancelled and
// answered QUERY_TIMEOUT (never INTERNAL), and a client that sends its request
// too slowly is cut off by the HTTP server.
import net from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import { ANONYMOUS_ROLE } from "../../lib/db/roles.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { createMerchant } from "../helpers/fixtures.ts";
import { useTestServer } from "../helpers/server.ts";

describe("statement timeout", () => {
  const db = useTestDatabase();
  // A slow query the API exposes, in this test's database only (before the
  // server introspects it): sleeps, then answers its argument.
  beforeAll(async () => {
    await db().root.query(`
      create function app_public.test_slow_echo(delay_ms int) returns int language sql stable
        set search_path to pg_catalog, public, pg_temp
        as $$ select delay_ms from pg_sleep(delay_ms / 1000.0) $$;
      grant execute on function app_public.test_slow_echo(int) to ${ANONYMOUS_ROLE};
    `);
  });
  const server = useTestServer(db, { statementTimeoutMs: 300 });

  it("a statement under the timeout answers", async () => {
    const { status, body } = await server().graphql<{ testSlowEcho: number }>("{ testSlowEcho(delayMs: 20) }");
    expect(status).toBe(200);
    expect(body).toEqual({ data: { testSlowEcho: 20 } });
  });

  it("a statement over it is cancelled and answered QUERY_TIMEOUT, for anonymous and signed-in requests alike", async () => {
    const merchant = await createMerchant(db());
    // Anonymous requests run on connections switched to the anonymous role once;
    // signed-in ones in a transaction with the role and claims: both time out.
    for (const headers of [{}, merchant.headers]) {
      const started = performance.now();
      const { status, body } = await server().graphql("{ testSlowEcho(delayMs: 3000) }", undefined, headers);
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(status).toBe(200);
      expect(body.errors?.[0]?.extensions?.code).toBe("QUERY_TIMEOUT");
      expect(body.errors?.[0]?.message).not.toMatch(/statement|cancel.*due to/i);
    }
  });

  it("the pool's connections keep working after a cancelled statement", async () => {
    const answers = await Promise.all(Array.from({ length: 5 }, () => server().graphql<{ testSlowEcho: number }>("{ testSlowEcho(delayMs: 1) }")));
    expect(answers.map((answer) => answer.body.data?.testSlowEcho)).toEqual([1, 1, 1, 1, 1]);
  });
});

describe("HTTP request timeout", () => {
  const db = useTestDatabase();
  const server = useTestServer(db, { timeouts: { requestTimeoutMs: 1_500, headersTimeoutMs: 1_000 } });

  /** Sends `data`, then nothing; resolves with what the server said and when it closed. */
  function stall(data: string): Promise<{ answer: string; closedAfterMs: number }> {
    return new Promise((resolve, reject) => {
      const port = Number(new URL(server().url).port);
      const socket = net.connect(port, "127.0.0.1", () => socket.write(data));
      const started = performance.now();
      let answer = "";
      socket.on("data", (chunk) => (answer += chunk.toString("latin1")));
      socket.on("close", () => resolve({ answer, closedAfterMs: performance.now() - started }));
      socket.on("error", reject);
      socket.setTimeout(10_000, () => socket.destroy(new Error("the server never closed the connection")));
    });
  }

  it("headers that never end are cut off after the headers timeout (408)", async () => {
    const { answer, closedAfterMs } = await stall("POST /graphql HTTP/1.1\r\nHost: localhost\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(closedAfterMs).toBeGreaterThan(900);
    expect(closedAfterMs).toBeLessThan(4_000);
  });

  it("a body that never arrives is cut off after the request timeout (408)", async () => {
    const { answer, closedAfterMs } = await stall(
      'POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"query":',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(closedAfterMs).toBeGreaterThan(1_400);
    expect(closedAfterMs).toBeLessThan(5_000);
  });
});
