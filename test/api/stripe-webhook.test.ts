// POST /webhooks/stripe over real HTTP, signed with the stripe SDK's own test
// helper: a verified event is stored once with its job, whatever the number
// of deliveries (also 50 at once); a bad or missing signature, a stale
// timestamp or a malformed body is refused with 400 and stores nothing.
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../helpers/db.ts";
import { useTestServer } from "../helpers/server.ts";

const SECRET = "whsec_test_waitify_webhooks";
const db = useTestDatabase();
const server = useTestServer(db, { stripeWebhookSecret: SECRET });
const unconfigured = useTestServer(db);

function event(id: string, type = "invoice.paid"): string {
  return JSON.stringify({
    id,
    object: "event",
    type,
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    api_version: "2026-10-28.endive",
    data: { object: { id: "in_test_1", object: "invoice", customer: "cus_webhook" } },
  });
}

function sign(payload: string, options: { secret?: string; timestamp?: number } = {}): string {
  return Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? SECRET,
    timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
  });
}

async function deliver(
  body: string,
  headers: Record<string, string>,
  url = server().url,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/webhooks/stripe`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function stored(id: string): Promise<{ events: number; jobs: number }> {
  const events = await db().root.query("select count(*)::int as n from app_private.stripe_events where id = $1", [id]);
  const jobs = await db().root.query("select count(*)::int as n from graphile_worker._private_jobs where key = $1", [
    `stripe_event:${id}`,
  ]);
  return { events: events.rows[0].n, jobs: jobs.rows[0].n };
}

describe("POST /webhooks/stripe", () => {
  it("stores a verified event and its job once; a redelivery is acknowledged and changes nothing", async () => {
    const body = event("evt_webhook_once");
    const first = await deliver(body, { "stripe-signature": sign(body) });
    expect(first).toEqual({ status: 200, body: { received: true, duplicate: false } });
    const again = await deliver(body, { "stripe-signature": sign(body) });
    expect(again).toEqual({ status: 200, body: { received: true, duplicate: true } });
    expect(await stored("evt_webhook_once")).toEqual({ events: 1, jobs: 1 });
  });

  it("50 simultaneous deliveries of one event store it once", async () => {
    const body = event("evt_webhook_burst");
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => deliver(body, { "stripe-signature": sign(body) })),
    );
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(answers.filter((answer) => answer.body.duplicate === false)).toHaveLength(1);
    expect(await stored("evt_webhook_burst")).toEqual({ events: 1, jobs: 1 });
  });

  it("refuses a wrong secret, a tampered body, a stale timestamp, a missing header and non-JSON, storing nothing", async () => {
    const body = event("evt_webhook_refused");
    const cases: [string, Record<string, string>][] = [
      [body, { "stripe-signature": sign(body, { secret: "whsec_someone_else" }) }],
      [body.replace("invoice.paid", "invoice.payment_failed"), { "stripe-signature": sign(body) }],
      [body, { "stripe-signature": sign(body, { timestamp: Math.floor(Date.now() / 1000) - 400 }) }],
      [body, {}],
      ["not json at all", { "stripe-signature": sign("not json at all") }],
    ];
    for (const [payload, headers] of cases) {
      const answer = await deliver(payload, headers);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: { code: "INVALID_SIGNATURE" } });
      expect(JSON.stringify(answer.body)).not.toMatch(/whsec_|stack|at \//);
    }
    const { rows } = await db().root.query("select count(*)::int as n from app_private.stripe_events where id = 'evt_webhook_refused'");
    expect(rows[0].n).toBe(0);
  });

  it("logs an unknown event type as ignored, with no job", async () => {
    const body = event("evt_webhook_unknown", "customer.tax_id.created");
    expect((await deliver(body, { "stripe-signature": sign(body) })).status).toBe(200);
    expect(await stored("evt_webhook_unknown")).toEqual({ events: 1, jobs: 0 });
    const { rows } = await db().root.query("select outcome from app_private.stripe_events where id = 'evt_webhook_unknown'");
    expect(rows[0].outcome).toBe("ignored");
  });

  it("answers in JSON to a body too large and to other methods; 503 when Stripe is not configured", async () => {
    const huge = JSON.stringify({ padding: "x".repeat(600 * 1024) });
    const tooLarge = await deliver(huge, { "stripe-signature": sign(huge) });
    expect(tooLarge).toMatchObject({ status: 413, body: { error: { code: "PAYLOAD_TOO_LARGE" } } });
    const get = await fetch(`${server().url}/webhooks/stripe`);
    expect(get.status).toBe(405);
    const body = event("evt_webhook_unconfigured");
    const off = await deliver(body, { "stripe-signature": sign(body) }, unconfigured().url);
    expect(off).toMatchObject({ status: 503, body: { error: { code: "BILLING_NOT_CONFIGURED" } } });
    expect(await stored("evt_webhook_unconfigured")).toEqual({ events: 0, jobs: 0 });
  });
});
