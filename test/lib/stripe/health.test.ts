// Stripe's reachability as /health reports it (lib/stripe/health.ts): cached,
// shared between concurrent polls, never throwing.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { makeStripe } from "../../../lib/stripe/client.ts";
import { stripeHealthProbe } from "../../../lib/stripe/health.ts";
import { startFakeStripe, type FakeStripe } from "../../helpers/fake-stripe/index.ts";

let fake: FakeStripe;
beforeAll(async () => {
  fake = await startFakeStripe();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

const balanceCalls = () => fake.requests({ path: "/v1/balance" }).length;

describe("stripeHealthProbe", () => {
  it("says not_configured without a client, and calls nobody", async () => {
    expect(await stripeHealthProbe(undefined)()).toBe("not_configured");
  });

  it("reports up with the latency, then answers from its cache for a minute", async () => {
    const health = stripeHealthProbe(makeStripe(fake.config));
    const first = await health();
    expect(first).toMatchObject({ status: "up", latencyMs: expect.any(Number), checkedAt: expect.any(String) });
    expect(await health()).toEqual(first);
    expect(balanceCalls()).toBe(1);
  });

  it("shares one call between concurrent polls and probes again once the answer is stale", async () => {
    const health = stripeHealthProbe(makeStripe(fake.config), { ttlMs: 0 });
    const answers = await Promise.all([health(), health(), health()]);
    expect(answers.map((answer) => (answer as { status: string }).status)).toEqual(["up", "up", "up"]);
    expect(balanceCalls()).toBe(1);
    await health();
    expect(balanceCalls()).toBe(2);
  });

  it("reports down on a 5xx without retrying, and unauthorized for a rejected key", async () => {
    fake.failNext(1, { status: 500, path: "/v1/balance" });
    expect(await stripeHealthProbe(makeStripe(fake.config))()).toMatchObject({ status: "down" });
    expect(balanceCalls()).toBe(1);
    const wrongKey = makeStripe({ STRIPE_SECRET_KEY: "sk_test_revoked", STRIPE_API_URL: fake.url });
    expect(await stripeHealthProbe(wrongKey)()).toMatchObject({ status: "unauthorized" });
  });

  it("reports down, within its timeout, when nothing answers", async () => {
    const silent = await startFakeStripe();
    await silent.close();
    const started = performance.now();
    const answer = await stripeHealthProbe(makeStripe(silent.config), { timeoutMs: 500 })();
    expect(answer).toMatchObject({ status: "down" });
    expect(answer).not.toHaveProperty("latencyMs");
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
