// lib/billing/requests.ts: what we ask Stripe for, decided from our data and
// from the subscription Stripe returned — the checkout's parameters (prices,
// return URLs, flexible billing mode, the anchor on the 1st, a promotion code
// or the field for one), and the updates that
// cancel (monthly: at period end; yearly: with the year), resume and change
// plan.
import type Stripe from "stripe";
import { describe, expect, it } from "vitest";
import {
  BILLING_CYCLE_ANCHOR,
  billingInterval,
  cancelParams,
  cancellationScheduled,
  checkoutSessionParams,
  planChangeParams,
  resumeParams,
} from "../../../lib/billing/requests.ts";

function item(id: string, interval: "month" | "year", usage: "licensed" | "metered", end: number, quantity?: number): Stripe.SubscriptionItem {
  return {
    id,
    current_period_end: end,
    quantity,
    price: { id: `price_${id}`, recurring: { interval, usage_type: usage } },
  } as unknown as Stripe.SubscriptionItem;
}

function subscription(items: Stripe.SubscriptionItem[], extra: Partial<Stripe.Subscription> = {}): Stripe.Subscription {
  return { id: "sub_1", cancel_at_period_end: false, cancel_at: null, items: { data: items }, ...extra } as unknown as Stripe.Subscription;
}

const monthly = () => subscription([item("si_plan", "month", "licensed", 100, 1), item("si_sms", "month", "metered", 100)]);
const yearly = () => subscription([item("si_sms", "month", "metered", 100), item("si_plan", "year", "licensed", 1000, 1)]);

describe("checkoutSessionParams", () => {
  const request = {
    userId: "0b0c",
    customerId: "cus_1",
    licensedPriceId: "price_plan",
    overagePriceId: "price_sms",
    publicUrl: "https://app.example",
  };

  it("a subscription of the plan and its metered overage, for our customer, anchored on the 1st, in flexible billing mode", () => {
    expect(checkoutSessionParams(request)).toEqual({
      mode: "subscription",
      customer: "cus_1",
      client_reference_id: "0b0c",
      line_items: [{ price: "price_plan", quantity: 1 }, { price: "price_sms" }],
      success_url: "https://app.example/billing/success?session_id={CHECKOUT_SESSION_ID}",
      cancel_url: "https://app.example/billing",
      subscription_data: {
        metadata: { user_id: "0b0c" },
        billing_mode: { type: "flexible" },
        billing_cycle_anchor_config: { day_of_month: 1, hour: 0, minute: 0, second: 0 },
      },
      allow_promotion_codes: true,
    });
    expect(BILLING_CYCLE_ANCHOR.day_of_month).toBe(1);
  });

  it("a resolved promotion code replaces the field for one (Stripe refuses both)", () => {
    const params = checkoutSessionParams({ ...request, promotionCodeId: "promo_1" });
    expect(params.discounts).toEqual([{ promotion_code: "promo_1" }]);
    expect(params).not.toHaveProperty("allow_promotion_codes");
  });
});

describe("cancel and resume", () => {
  it("a monthly plan cancels at period end; a yearly one with its year (max_period_end), not with the overage's month", () => {
    expect(cancelParams(monthly())).toEqual({ cancel_at_period_end: true });
    expect(cancelParams(yearly())).toEqual({ cancel_at: "max_period_end" });
  });

  it("resumes the way the cancellation was scheduled, and not at all when none is", () => {
    expect(resumeParams(subscription([], { cancel_at_period_end: true, cancel_at: 100 }))).toEqual({ cancel_at_period_end: false });
    expect(resumeParams(subscription([], { cancel_at: 1000 }))).toEqual({ cancel_at: "" });
    expect(resumeParams(monthly())).toBeUndefined();
    expect(cancellationScheduled(monthly())).toBe(false);
    expect(cancellationScheduled(subscription([], { cancel_at: 1000 }))).toBe(true);
  });
});

describe("planChangeParams", () => {
  it("moves the plan item (keeping its quantity) and the overage item to the new prices, prorated", () => {
    expect(planChangeParams(yearly(), { licensed: "price_pro", overage: "price_pro_sms" })).toEqual({
      items: [
        { id: "si_plan", price: "price_pro", quantity: 1 },
        { id: "si_sms", price: "price_pro_sms" },
      ],
      proration_behavior: "create_prorations",
    });
  });

  it("adds the overage item a subscription lacks", () => {
    const planOnly = subscription([item("si_plan", "month", "licensed", 100, 1)]);
    expect(planChangeParams(planOnly, { licensed: "price_pro", overage: "price_pro_sms" }).items).toEqual([
      { id: "si_plan", price: "price_pro", quantity: 1 },
      { price: "price_pro_sms" },
    ]);
  });

  it("reads the interval as the GraphQL enum gives it (month by default)", () => {
    expect(billingInterval("year")).toBe("year");
    expect(billingInterval("month")).toBe("month");
    expect(billingInterval(undefined)).toBe("month");
  });
});
