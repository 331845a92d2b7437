// /health reports Stripe: "not_configured" without a key, otherwise whether
// it answers; either way Stripe never turns the answer into a 503.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeStripe } from "../../lib/stripe/client.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { startFakeStripe, type FakeStripe } from "../helpers/fake-stripe/index.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const db = useTestDatabase();
let fake: FakeStripe;
let withStripe: TestServer;
let withoutStripe: TestServer;

beforeAll(async () => {
  fake = await startFakeStripe();
  withStripe = await startTestServer(db(), { stripe: makeStripe(fake.config) });
  withoutStripe = await startTestServer(db());
});
afterAll(async () => {
  await withStripe?.close();
  await withoutStripe?.close();
  await fake?.close();
});

async function health(server: TestServer) {
  const response = await fetch(`${server.url}/health`);
  return { status: response.status, body: (await response.json()) as { status: string; stripe: unknown; database: { status: string } } };
}

describe("/health and Stripe", () => {
  it('says "not_configured" without a Stripe key', async () => {
    const { status, body } = await health(withoutStripe);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: "ok", database: { status: "up" }, stripe: "not_configured" });
  });

  it("reports Stripe up, probing it at most once a minute", async () => {
    const { status, body } = await health(withStripe);
    expect(status).toBe(200);
    expect(body.stripe).toMatchObject({ status: "up", latencyMs: expect.any(Number) });
    await health(withStripe);
    expect(fake.requests({ path: "/v1/balance" })).toHaveLength(1);
  });

  it("stays 200 when Stripe is down: billing is not the API's health", async () => {
    const gone = await startFakeStripe();
    await gone.close();
    const server = await startTestServer(db(), { stripe: makeStripe(gone.config) });
    try {
      const { status, body } = await health(server);
      expect(status).toBe(200);
      expect(body).toMatchObject({ status: "ok", stripe: { status: "down" } });
    } finally {
      await server.close();
    }
  });
});
