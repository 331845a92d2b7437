// The stripe_event task against deliveries as Stripe makes them: late, out of
// order and more than once. One account's month at Stripe is played, its
// events collected, then delivered over HTTP (signed with the SDK) to a
// fresh account in 20 seeded random orders with random duplicates: the
// account's status, plan, failed payments, feed (counted by kind) and emails
// end identical to the in-order delivery every time. A failing order is
// replayed from its seed (seededRandom in test/helpers/stripe-flow.ts).
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../helpers/db.ts";
import type { StripeObject } from "../helpers/fake-stripe/index.ts";
import {
  accountFeed,
  accountState,
  checkout,
  emailTemplates,
  linkedCustomer,
  seededRandom,
  shuffle,
  trialBusiness,
  useMoneyPath,
} from "../helpers/stripe-flow.ts";

const db = useTestDatabase();
const money = useMoneyPath(db);

describe("deliveries shuffled and duplicated", () => {
  /**
   * One account's month at Stripe, as the events Stripe sends in order: it
   * subscribes to basic, moves to pro, and the renewal's payment fails twice.
   * Its Stripe customer is created and linked before checkout (as our
   * checkout does), or, with `linkedByCheckout`, created by Stripe and linked
   * by checkout.session.completed alone: the events delivered before that one
   * are then ignored, and the checkout's own fetch catches up.
   */
  async function history(linkedByCheckout = false): Promise<{ userId: string; events: StripeObject[] }> {
    const { stripe, fake, prices } = money();
    const shop = await trialBusiness(db());
    const customer = linkedByCheckout ? undefined : await linkedCustomer(db(), stripe, shop.userId, shop.merchant.email);
    const done = await checkout(stripe, fake, prices, { userId: shop.userId, email: shop.merchant.email, plan: "basic", customer });
    const licensed = (done.subscription.items as { data: StripeObject[] }).data.find(
      (item) => (item.price as StripeObject).id === prices.waitify_basic_monthly,
    )!;
    await stripe.subscriptions.update(done.subscription.id, {
      items: [{ id: licensed.id, price: prices.waitify_pro_monthly }],
      proration_behavior: "none",
    });
    const upgraded = fake.get(done.subscription.id)!;
    const renewal = fake.renewSubscription(done.subscription.id, { paymentFails: true });
    const events = [
      ...done.events,
      fake.event("customer.subscription.updated", upgraded),
      fake.event("invoice.finalized", renewal.invoice),
      fake.event("invoice.payment_failed", renewal.invoice),
      fake.event("customer.subscription.updated", renewal.subscription),
      fake.event("invoice.payment_failed", fake.failInvoice(renewal.invoice.id)),
    ];
    return { userId: shop.userId, events };
  }

  /** What must not depend on the order: the account, its dunning, its feed and its emails. */
  async function result(userId: string) {
    const failures = await db().root.query("select count(*)::int as n from app_private.payment_failures where user_id = $1", [userId]);
    const counts: Record<string, number> = {};
    for (const event of await accountFeed(db(), userId)) counts[event.event_type] = (counts[event.event_type] ?? 0) + 1;
    const emails = (await emailTemplates(db(), userId)).sort();
    return { ...(await accountState(db(), userId)), failures: failures.rows[0].n as number, feed: counts, emails };
  }

  it("20 random orders with random duplicates end exactly where the in-order delivery ends", { timeout: 120_000 }, async () => {
    const inOrder = await history();
    await money().send(...inOrder.events);
    const expected = await result(inOrder.userId);
    expect(expected).toEqual({
      status: "read_only",
      plan: "pro",
      failures: 2,
      feed: { plan_changed: 1, payment_succeeded: 1, payment_failed: 2, reminder_sent: 2, status_changed: 1 },
      emails: ["payment_failed", "payment_failed_read_only", "payment_succeeded"],
    });

    const seeds = Array.from({ length: 20 }, (_, index) => 1000 + index);
    // Five accounts at a time: each has its own Stripe customer, so its own worker queue.
    for (let start = 0; start < seeds.length; start += 5) {
      await Promise.all(
        seeds.slice(start, start + 5).map(async (seed) => {
          const random = seededRandom(seed);
          const run = await history(seed % 2 === 1);
          const duplicates = run.events.filter(() => random() < 0.5);
          await money().send(...shuffle([...run.events, ...duplicates], random));
          expect({ seed, ...(await result(run.userId)) }).toEqual({ seed, ...expected });
        }),
      );
    }
  });
});
