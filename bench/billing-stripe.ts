// The billing benchmark's Stripe: the tests' local fake (test/helpers/fake-stripe/,
// Stripe's REST as the real SDK calls it) in a thread of its own, so that
// answering the worker's fetches costs nothing on the event loop of the API
// server and worker being measured — as with the real Stripe, which runs
// elsewhere. The main thread drives it by calls (bench/billing-rpc.ts): sign
// merchants up through Checkout, play a history of renewals, failed payments
// and plan changes, fail one renewal per account. Each call answers the
// Stripe events that these changes make, as Stripe would POST them.
import { workerData } from "node:worker_threads";
import { makeStripe } from "../lib/stripe/client.ts";
import { startFakeStripe, type FakeStripe } from "../test/helpers/fake-stripe/index.ts";
import { eventBody, playHistory, type HistoryInput } from "./billing-history.ts";
import { serveThread, startThread, type ThreadClient } from "./billing-rpc.ts";

const ROLE = "billing-fake-stripe";

export interface SignedUp {
  userId: string;
  customer: string;
  subscription: string;
  /** checkout.session.completed, customer.subscription.created, invoice.paid: in that order. */
  events: string[];
}

function handlers(fake: FakeStripe) {
  // The thread's own SDK, for what the fake only does through its API (Checkout).
  const stripe = makeStripe(fake.config)!;
  return {
    url: () => fake.url,
    /** Each merchant pays the plan at Checkout (no trial): customer, subscription, first invoice paid. */
    async checkout(input: { accounts: Array<{ userId: string; email: string }>; licensed: string; overage: string }): Promise<SignedUp[]> {
      const signedUp: SignedUp[] = [];
      for (const account of input.accounts) {
        const session = await stripe.checkout.sessions.create({
          mode: "subscription",
          client_reference_id: account.userId,
          customer_email: account.email,
          line_items: [{ price: input.licensed, quantity: 1 }, { price: input.overage }],
          subscription_data: { billing_mode: { type: "flexible" } },
          success_url: "https://bench.waitify.example/billing?checkout=done",
        });
        const done = fake.completeCheckout(session.id, { status: "active" });
        signedUp.push({
          userId: account.userId,
          customer: done.customer.id,
          subscription: done.subscription.id,
          events: done.events.map(eventBody),
        });
      }
      return signedUp;
    },
    history: (input: HistoryInput) => playHistory(fake, input),
    /** Each subscription renews and its payment fails: one invoice.payment_failed per account. */
    failRenewals(input: { subscriptions: string[] }): string[] {
      return input.subscriptions.map((id) => {
        const { invoice } = fake.renewSubscription(id, { paymentFails: true });
        return eventBody(fake.event("invoice.payment_failed", invoice));
      });
    },
    /** API calls the fake answered, by method and path shape (ids replaced by ":id"). */
    requests(): Record<string, number> {
      const counts: Record<string, number> = {};
      for (const request of fake.requests()) {
        const key = `${request.method} ${request.path.replace(/\/(cs|cus|sub|in|evt|price|prod|mtr)_[A-Za-z0-9_]+/g, "/:id")} ${request.status}`;
        counts[key] = (counts[key] ?? 0) + 1;
      }
      return counts;
    },
    close: () => fake.close(),
  };
}

export type FakeStripeHandlers = ReturnType<typeof handlers>;
export type FakeStripeThread = ThreadClient<FakeStripeHandlers>;

export function startFakeStripeThread(): Promise<FakeStripeThread> {
  return startThread<FakeStripeHandlers>(new URL(import.meta.url), { role: ROLE });
}

if ((workerData as { role?: string } | null)?.role === ROLE) serveThread(handlers(await startFakeStripe()));
