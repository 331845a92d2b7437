// The merchant's billing mutations, added to the merchant's PostGraphile
// instance only (lib/http/app.ts): anonymous and admin schemas never show
// them. They are offered whether or not Stripe is configured — the API has
// one shape everywhere — and answer BILLING_NOT_CONFIGURED without it.
//
// Like Google sign-in (lib/auth/google.ts), the work runs outside the
// request's transaction: Stripe through the SDK, the SQL on the
// authenticator's own connection with the merchant id of the verified token
// (the request's pgSettings, set from that token in graphile.config.ts). The
// mutations that change the subscription then answer with mySubscription,
// read as the merchant after the change (a step planned after a side effect
// waits for it).
import { GraphQLError } from "postgraphile/graphql";
import { context, sideEffect } from "postgraphile/grafast";
import { extendSchema, gql } from "postgraphile/utils";
import {
  cancelSubscription,
  changePlan,
  createBillingPortalSession,
  createCheckoutSession,
  resumeSubscription,
  type BillingDependencies,
  type CheckoutInput,
} from "./operations.ts";

/** The signed-in merchant's id, from the settings the verified token produced. */
function merchantId(ctx: Grafast.Context): string {
  const userId = ctx.pgSettings?.["jwt.claims.user_id"];
  if (!userId) throw new GraphQLError("Connexion requise.", { extensions: { code: "UNAUTHENTICATED" } });
  return userId;
}

const typeDefs = gql`
  "How often the plan is paid. The SMS overage is billed monthly either way."
  enum BillingInterval {
    MONTH
    YEAR
  }

  input CreateCheckoutSessionInput {
    "The plan to subscribe to: basic, pro or enterprise."
    plan: String!
    interval: BillingInterval = MONTH
    "A promo code made in the back office; without one, Stripe's page offers a field for it."
    promotionCode: String
  }

  type CreateCheckoutSessionPayload {
    "Stripe Checkout's page: send the merchant there. It returns to PUBLIC_URL/billing/success (paid) or PUBLIC_URL/billing (abandoned)."
    url: String!
  }

  type CreateBillingPortalSessionPayload {
    "Stripe's billing portal (payment method, invoices, cancellation); it returns to PUBLIC_URL/billing."
    url: String!
  }

  input ChangePlanInput {
    "The new plan: basic, pro or enterprise."
    plan: String!
    interval: BillingInterval = MONTH
  }

  type SubscriptionChangePayload {
    "Your subscription after the change (as mySubscription)."
    subscription: SubscriptionSummary
  }

  extend type Mutation {
    """
    Starts a subscription: a Stripe Checkout page for the plan (and its monthly SMS overage). Billing periods start on the 1st of the month (UTC); the first, shorter one is prorated. Errors: PLAN_NOT_FOUND (NOT_FOUND), PLAN_LIMIT (more active businesses than the plan allows), ALREADY_SUBSCRIBED (change plan instead), PROMOTION_CODE_INVALID (unknown, disabled, already used by this account, or free months on a yearly plan), PROMOTION_CODE_EXPIRED (outside its validity), PROMOTION_CODE_EXHAUSTED (used its maximum number of times), BILLING_NOT_CONFIGURED, STRIPE_FAILURE (5002).
    """
    createCheckoutSession(input: CreateCheckoutSessionInput!): CreateCheckoutSessionPayload

    """
    Opens Stripe's billing portal for your account. Errors: NO_SUBSCRIPTION (no checkout yet), BILLING_NOT_CONFIGURED, STRIPE_FAILURE (5002).
    """
    createBillingPortalSession: CreateBillingPortalSessionPayload

    """
    Cancels your subscription at the end of the paid period (a yearly plan at the end of its year); everything works until then. Errors: NO_SUBSCRIPTION, BILLING_NOT_CONFIGURED, STRIPE_FAILURE (5002).
    """
    cancelSubscription: SubscriptionChangePayload

    """
    Undoes a scheduled cancellation. Errors: NO_SUBSCRIPTION, BILLING_NOT_CONFIGURED, STRIPE_FAILURE (5002).
    """
    resumeSubscription: SubscriptionChangePayload

    """
    Moves your subscription to another plan or interval now, prorated on the next invoice; the SMS quota becomes the new plan's. Errors: PLAN_LIMIT (more active businesses than the plan allows), PLAN_NOT_FOUND (NOT_FOUND), NO_SUBSCRIPTION, BILLING_NOT_CONFIGURED, STRIPE_FAILURE (5002).
    """
    changePlan(input: ChangePlanInput!): SubscriptionChangePayload
  }
`;

export function makeBillingPlugin(deps: BillingDependencies): GraphileConfig.Plugin {
  return extendSchema((build) => {
    const mySubscription = build.input.pgRegistry.pgResources.my_subscription;
    // The schema is introspected as the merchant: without this function the API would be wrong.
    if (!mySubscription) throw new Error("WaitifyBillingPlugin: app_public.my_subscription is not in the merchant's schema");
    // The mutations that change the subscription plan their side effect,
    // then answer with this: the merchant's own summary, read as the merchant
    // (the request's role and claims). Planned after the side effect, it
    // depends on it implicitly, so it reads the state the change left.
    const summary = () => mySubscription.execute();
    return {
      typeDefs,
      enums: {
        // SQL and Stripe spell intervals in lower case.
        BillingInterval: { values: { MONTH: "month", YEAR: "year" } },
      },
      objects: {
        Mutation: {
          plans: {
            createCheckoutSession(_, fieldArgs) {
              return sideEffect([context(), fieldArgs.getRaw("input")], ([ctx, input]) =>
                createCheckoutSession(deps, merchantId(ctx), input as CheckoutInput),
              );
            },
            createBillingPortalSession() {
              return sideEffect(context(), (ctx) => createBillingPortalSession(deps, merchantId(ctx)));
            },
            cancelSubscription() {
              sideEffect(context(), (ctx) => cancelSubscription(deps, merchantId(ctx)));
              return summary();
            },
            resumeSubscription() {
              sideEffect(context(), (ctx) => resumeSubscription(deps, merchantId(ctx)));
              return summary();
            },
            changePlan(_, fieldArgs) {
              sideEffect([context(), fieldArgs.getRaw("input")], ([ctx, input]) =>
                changePlan(deps, merchantId(ctx), input as { plan: string; interval?: unknown }),
              );
              return summary();
            },
          },
        },
        SubscriptionChangePayload: {
          plans: {
            // The payload's step is the summary itself.
            subscription: ($summary) => $summary,
          },
        },
      },
    };
  }, "WaitifyBillingPlugin");
}
