// stripe_event: acts on one Stripe event logged by POST /webhooks/stripe
// (payload { event_id }). Stripe delivers events late, out of order and more
// than once, so the event is only a pointer: the object it names is fetched
// again from Stripe now, and its current state goes to SQL
// (db/billing/stripe.sql), which recomputes the account from its mirrors. An
// account's jobs share a graphile-worker queue (one at a time), so the last
// fetch is the newest state whatever the delivery order.
//
// A Stripe or network failure throws: graphile-worker retries with backoff
// (up to 25 attempts), and nothing is recorded until it succeeds.
import type { Task } from "graphile-worker";
import type pg from "pg";
import type Stripe from "stripe";
import { stripeEventPayload } from "./payloads.ts";

interface LoggedEvent {
  id: string;
  type: string;
  payload: Stripe.Event;
  processed_at: Date | null;
}

type Applied = { kind: "subscription" | "invoice"; object: unknown } | { kind: "customer"; userId: string; customer: string };

/** What to apply for an event, fetched from Stripe now; empty when there is nothing to do. */
async function fetchCurrent(stripe: Stripe, event: Stripe.Event): Promise<Applied[]> {
  const object = event.data.object as { id?: string };
  if (!object.id) return [];
  switch (event.type) {
    case "checkout.session.completed": {
      const session = await stripe.checkout.sessions.retrieve(object.id);
      const customer = typeof session.customer === "string" ? session.customer : session.customer?.id;
      const subscriptionId = typeof session.subscription === "string" ? session.subscription : session.subscription?.id;
      const applied: Applied[] = [];
      if (session.client_reference_id && customer) {
        applied.push({ kind: "customer", userId: session.client_reference_id, customer });
      }
      if (subscriptionId) {
        applied.push({ kind: "subscription", object: await stripe.subscriptions.retrieve(subscriptionId) });
      }
      return applied;
    }
    case "customer.subscription.created":
    case "customer.subscription.updated":
    case "customer.subscription.deleted":
      return [{ kind: "subscription", object: await stripe.subscriptions.retrieve(object.id) }];
    case "invoice.paid":
    case "invoice.payment_succeeded":
    case "invoice.payment_failed":
    case "invoice.finalized":
      return [{ kind: "invoice", object: await stripe.invoices.retrieve(object.id) }];
    default:
      return [];
  }
}

async function applyAll(client: pg.PoolClient, eventId: string, applied: Applied[]): Promise<void> {
  await client.query("begin");
  try {
    // Account events recorded by these changes name Stripe as their cause.
    await client.query("select set_config('waitify.actor', 'stripe', true)");
    for (const item of applied) {
      if (item.kind === "customer") {
        await client.query("select app_private.record_stripe_customer($1, $2)", [item.userId, item.customer]);
      } else {
        await client.query(`select app_private.apply_stripe_${item.kind}($1)`, [JSON.stringify(item.object)]);
      }
    }
    await client.query("select app_private.finish_stripe_event($1, $2)", [eventId, applied.length > 0 ? "applied" : "ignored"]);
    await client.query("commit");
  } catch (error) {
    await client.query("rollback").catch(() => {});
    throw error;
  }
}

export function makeStripeEvent(stripe: Stripe | undefined): Task<"stripe_event"> {
  return async (payload, helpers) => {
    const { event_id: eventId } = stripeEventPayload.parse(payload);
    const { rows } = await helpers.query<LoggedEvent>(
      "select id, type, payload, processed_at from app_private.stripe_events where id = $1",
      [eventId],
    );
    const logged = rows[0];
    if (!logged || logged.processed_at) return;
    // Events only arrive when Stripe is configured; a worker without the key
    // cannot fetch, so the job waits for one that has it (retried).
    if (!stripe) throw new Error("stripe_event: STRIPE_SECRET_KEY is not set on this worker");
    const applied = await fetchCurrent(stripe, logged.payload);
    await helpers.withPgClient((client) => applyAll(client, eventId, applied));
    helpers.logger.info(`stripe_event: ${logged.type} ${applied.length > 0 ? "applied" : "ignored"}`, { eventId });
  };
}
