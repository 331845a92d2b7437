// The throughput run's history, played at the fake Stripe before anything is
// delivered: merchants' subscriptions renew (paid, or failing one to three
// times) and change plan, each change making the events Stripe would send
// about it (invoice.paid, invoice.payment_failed, customer.subscription.updated).
//
// Every change happens first and every event is delivered afterwards, out of
// order and some twice. The worker fetches each object again when it handles
// an event, so it always sees the objects' final state, and what the
// database must end up with follows from the fake's objects alone: that is
// what `expected` gives per account (the oracle of bench/billing-check.ts).
import { itemsOf } from "../test/helpers/fake-stripe/billing.ts";
import type { FakeStripe, StripeObject } from "../test/helpers/fake-stripe/index.ts";
import { applyItems } from "../test/helpers/fake-stripe/resources/subscriptions.ts";

/** One Stripe event as its webhook body (Stripe sends it indented). */
export const eventBody = (event: StripeObject) => JSON.stringify(event, null, 2);

export interface HistoryInput {
  accounts: Array<{ userId: string; subscription: string }>;
  /** Distinct events to make (the history stops at the first episode that reaches it). */
  events: number;
  seed: number;
  /** Licensed and overage price ids of each plan (stripe:sync's). */
  prices: Record<string, { licensed: string; overage: string }>;
}

export interface HistoryEvent {
  id: string;
  type: string;
  userId: string;
  body: string;
  /** invoice.payment_failed: the attempt the event reports. */
  failed?: { invoice: string; attempt: number };
}

export interface AccountExpectation {
  userId: string;
  /** Failed attempts of the invoices still open: one payment_failures row, feed event, reminder and email each. */
  failures: number;
  /** Distinct (invoice, attempt) named by the invoice.payment_failed events delivered for the account. */
  failedPairsDelivered: number;
  /** Invoices paid during the history: one payment_succeeded event and email each. */
  paid: number;
  status: string;
  plan: string;
}

export interface History {
  events: HistoryEvent[];
  expected: AccountExpectation[];
}

/** A small seeded generator (mulberry32): the same history for the same seed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LADDER = ["active", "past_due", "read_only", "suspended"] as const;

/**
 * The account's status as refresh_account_status (db/billing/stripe.sql)
 * derives it, restated from Stripe's objects: the worst open invoice's failed
 * attempts (1 past_due, 2 read_only, 3 suspended; none of these invoices is
 * overdue), else the subscription's status.
 */
export function expectedStatus(subscription: StripeObject, invoices: StripeObject[]): string {
  if (subscription.status === "canceled") return "cancelled";
  const level = Math.max(
    0,
    ...invoices
      .filter((invoice) => invoice.status === "open" && Number(invoice.amount_due) > 0)
      .map((invoice) => Math.min(3, Number(invoice.attempt_count))),
  );
  if (level > 0) return LADDER[level]!;
  return ({ active: "active", trialing: "trial", past_due: "past_due", unpaid: "past_due" } as Record<string, string>)[
    String(subscription.status)
  ]!;
}

export function playHistory(fake: FakeStripe, input: HistoryInput): History {
  const random = seeded(input.seed);
  const planOf = new Map(Object.entries(input.prices).map(([plan, ids]) => [ids.licensed, plan]));
  const events: HistoryEvent[] = [];
  const invoicesOf = new Map<string, string[]>(input.accounts.map((account) => [account.userId, []]));
  const emit = (userId: string, type: string, object: StripeObject, previous?: Record<string, unknown>) => {
    const event = fake.event(type, object, previous);
    const failed = type === "invoice.payment_failed" ? { invoice: object.id, attempt: Number(object.attempt_count) } : undefined;
    events.push({ id: event.id, type, userId, body: eventBody(event), ...(failed ? { failed } : {}) });
  };

  while (events.length < input.events) {
    const account = input.accounts[Math.floor(random() * input.accounts.length)]!;
    const before = fake.get(account.subscription)!;
    const roll = random();
    if (roll < 0.35) {
      // The period ends and the card pays.
      const { subscription, invoice } = fake.renewSubscription(account.subscription);
      invoicesOf.get(account.userId)!.push(invoice.id);
      emit(account.userId, "invoice.paid", invoice);
      emit(account.userId, "customer.subscription.updated", subscription, { status: before.status });
    } else if (roll < 0.7) {
      // The period ends and the card fails: once (50 %), twice (30 %) or three times (20 %).
      const failures = roll < 0.525 ? 1 : roll < 0.63 ? 2 : 3;
      const { subscription, invoice } = fake.renewSubscription(account.subscription, { paymentFails: true });
      invoicesOf.get(account.userId)!.push(invoice.id);
      emit(account.userId, "invoice.payment_failed", invoice);
      emit(account.userId, "customer.subscription.updated", subscription, { status: before.status });
      for (let attempt = 2; attempt <= failures; attempt++) {
        emit(account.userId, "invoice.payment_failed", fake.failInvoice(invoice.id));
      }
    } else {
      // The merchant moves to another plan (billing portal): both items change price.
      const current = planOf.get(String((itemsOf(before)[0]!.price as StripeObject).id))!;
      const others = Object.keys(input.prices).filter((plan) => plan !== current);
      const next = input.prices[others[Math.floor(random() * others.length)]!]!;
      const stored = fake.store.get("subscription", account.subscription);
      const [licensed, overage] = itemsOf(stored);
      applyItems(fake.store, stored, { items: [{ id: licensed!.id, price: next.licensed }, { id: overage!.id, price: next.overage }] });
      emit(account.userId, "customer.subscription.updated", fake.get(account.subscription)!, { items: before.items });
    }
  }

  const expected = input.accounts.map((account): AccountExpectation => {
    const subscription = fake.get(account.subscription)!;
    const invoices = invoicesOf.get(account.userId)!.map((id) => fake.get(id)!);
    const open = invoices.filter((invoice) => invoice.status === "open");
    const pairs = new Set(
      events.filter((event) => event.userId === account.userId && event.failed).map((event) => `${event.failed!.invoice}#${event.failed!.attempt}`),
    );
    return {
      userId: account.userId,
      failures: open.reduce((sum, invoice) => sum + Number(invoice.attempt_count), 0),
      failedPairsDelivered: pairs.size,
      paid: invoices.filter((invoice) => invoice.status === "paid").length,
      status: expectedStatus(subscription, invoices),
      plan: planOf.get(String((itemsOf(subscription)[0]!.price as StripeObject).id))!,
    };
  });
  return { events, expected };
}
