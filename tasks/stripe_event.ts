// stripe_event: acts on one Stripe event logged by POST /webhooks/stripe
// (payload { event_id }). Stripe delivers events late, out of order and more
// than once, so the event is only a pointer: the object it names is fetched
// again from Stripe now, together with the customer's current subscription,
// its open invoices and those we still hold as unpaid, and their current
// state goes to SQL in one call (app_private.apply_stripe_objects,
// db/billing/stripe.sql), which mirrors them and recomputes the account once.
// Whatever event comes first brings the account to the state Stripe is in;
// the later ones only add what is theirs alone (a paid invoice's receipt): the
// final state and the feed do not depend on the order of delivery, and a lost
// event is made up for by the next one. An account's jobs share a
// graphile-worker queue (one at a time).
//
// An event of a customer we do not know (another product on the same Stripe
// account, or an event that came before the checkout that links the account)
// is marked ignored; the checkout itself applies its subscription and first
// invoice, so nothing is lost by ignoring their earlier events.
//
// A Stripe or network failure throws: graphile-worker retries with backoff
// (up to 25 attempts), and nothing is recorded until it succeeds.
import type { JobHelpers, Task } from "graphile-worker";
import type pg from "pg";
import type Stripe from "stripe";
import { stripeEventPayload } from "./payloads.ts";

interface LoggedEvent {
  id: string;
  type: string;
  payload: Stripe.Event;
  processed_at: Date | null;
}

/** What an event leads to: an account to link (checkout), its customer, and the objects to mirror. */
interface Fetched {
  link?: { userId: string; customer: string };
  customer?: string;
  objects: unknown[];
}

/**
 * Subscriptions come with their discounts expanded: each names its promotion
 * code, which counts the use of one of our promo codes
 * (app_private.record_promo_redemptions).
 */
const SUBSCRIPTION_EXPAND = { expand: ["discounts"] };

const idOf = (value: string | { id: string } | null | undefined) => (typeof value === "string" ? value : value?.id);

/** The object an event names, fetched from Stripe now (for a checkout: its subscription and first invoice). */
async function fetchNamed(stripe: Stripe, event: Stripe.Event): Promise<Fetched> {
  const object = event.data.object as { id?: string };
  if (!object.id) return { objects: [] };
  switch (event.type) {
    case "checkout.session.completed": {
      const session = await stripe.checkout.sessions.retrieve(object.id);
      const customer = idOf(session.customer);
      const subscription = idOf(session.subscription);
      const invoice = idOf(session.invoice);
      const objects: unknown[] = [];
      // Its own invoice.paid may have come before the account was linked (and been ignored).
      if (invoice) objects.push(await stripe.invoices.retrieve(invoice));
      if (subscription) objects.push(await stripe.subscriptions.retrieve(subscription, SUBSCRIPTION_EXPAND));
      // Last: the promo codes it was paid with are counted once its subscription is mirrored.
      objects.push(session);
      const link = session.client_reference_id && customer ? { userId: session.client_reference_id, customer } : undefined;
      return { link, customer, objects };
    }
    case "customer.subscription.created":
    case "customer.subscription.updated":
    case "customer.subscription.deleted": {
      const subscription = await stripe.subscriptions.retrieve(object.id, SUBSCRIPTION_EXPAND);
      return { customer: idOf(subscription.customer), objects: [subscription] };
    }
    case "invoice.paid":
    case "invoice.payment_succeeded":
    case "invoice.payment_failed":
    case "invoice.finalized":
    case "invoice.voided":
    case "invoice.marked_uncollectible": {
      const invoice = await stripe.invoices.retrieve(object.id);
      return { customer: idOf(invoice.customer), objects: [invoice] };
    }
    default:
      return { objects: [] };
  }
}

/**
 * The customer's state at Stripe now: its newest subscription (Stripe lists
 * newest first; an older, cancelled one never replaces it), its open
 * invoices, which decide the dunning level, and again each invoice we still
 * hold as unpaid that Stripe no longer lists as open (paid, voided or given
 * up since, maybe without an event we handled).
 */
async function fetchCustomerState(stripe: Stripe, helpers: JobHelpers, customer: string): Promise<unknown[]> {
  const [subscriptions, invoices, mirrored] = await Promise.all([
    stripe.subscriptions.list({ customer, status: "all", limit: 1, expand: ["data.discounts"] }),
    stripe.invoices.list({ customer, status: "open", limit: 100 }),
    helpers.query<{ id: string }>("select app_private.unpaid_stripe_invoices($1) as id", [customer]),
  ]);
  const open = new Set(invoices.data.map((invoice) => invoice.id));
  const stale = mirrored.rows.map((row) => row.id).filter((id) => !open.has(id));
  const changed = await Promise.all(stale.map((id) => stripe.invoices.retrieve(id)));
  return [...changed, ...invoices.data, ...subscriptions.data];
}

async function isKnownCustomer(helpers: JobHelpers, customer: string): Promise<boolean> {
  const { rows } = await helpers.query<{ user_id: string | null }>("select app_private.stripe_customer_user($1) as user_id", [customer]);
  return Boolean(rows[0]?.user_id);
}

/** Links the account (checkout), mirrors the objects and recomputes the account, in one transaction. */
async function applyAll(client: pg.PoolClient, eventId: string, fetched: Fetched): Promise<"applied" | "ignored"> {
  await client.query("begin");
  try {
    // Account events recorded by these changes name Stripe as their cause.
    await client.query("select set_config('waitify.actor', 'stripe', true)");
    if (fetched.link) {
      await client.query("select app_private.record_stripe_customer($1, $2)", [fetched.link.userId, fetched.link.customer]);
    }
    const { rows } = await client.query<{ user_id: string | null }>("select app_private.apply_stripe_objects($1) as user_id", [
      JSON.stringify(fetched.objects),
    ]);
    // Applied when the objects belong to an account (the one this checkout just linked, too).
    const outcome = rows[0]?.user_id ? "applied" : "ignored";
    await client.query("select app_private.finish_stripe_event($1, $2)", [eventId, outcome]);
    await client.query("commit");
    return outcome;
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
    const fetched = await fetchNamed(stripe, logged.payload);
    // Only a customer we know (or one this checkout links) is worth more calls.
    if (fetched.customer && (fetched.link || (await isKnownCustomer(helpers, fetched.customer)))) {
      fetched.objects.push(...(await fetchCustomerState(stripe, helpers, fetched.customer)));
    } else {
      fetched.objects = [];
    }
    const outcome = await helpers.withPgClient((client) => applyAll(client, eventId, fetched));
    helpers.logger.info(`stripe_event: ${logged.type} ${outcome}`, { eventId });
  };
}
