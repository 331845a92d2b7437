// The admin's promo code mutations, added to the admin's PostGraphile
// instance only (lib/http/app.ts): the merchant and anonymous schemas never
// show them. Like the merchant's billing mutations (lib/billing/plugin.ts),
// the work runs outside the request's transaction — Stripe through the SDK,
// the SQL as the admin (the request's own settings) — and the mutation then
// answers with the code's row, read as the admin after the change.
import { context, sideEffect } from "postgraphile/grafast";
import { extendSchema, gql } from "postgraphile/utils";
import { createPromoCode, disablePromoCode, type CreatePromoCodeInput, type PromoCodeDependencies } from "./promo-codes.ts";

const typeDefs = gql`
  enum PromoCodeKind {
    "value = percent off (1–100)"
    PERCENTAGE
    "value = cents off (> 0), in euros"
    FIXED_AMOUNT
    "value = months free (1–24): 100 % off for that many months, monthly plans only"
    FREE_MONTHS
  }

  enum PromoCodeDuration {
    "The first invoice."
    ONCE
    "durationMonths months."
    REPEATING
    "Every invoice."
    FOREVER
  }

  input AdminCreatePromoCodeInput {
    "3 to 40 letters, digits and dashes; stored in capitals, unique whatever the case."
    code: String!
    kind: PromoCodeKind!
    value: Int!
    "ONCE when absent; FREE_MONTHS is REPEATING for its months."
    duration: PromoCodeDuration
    "REPEATING only: 1 to 24."
    durationMonths: Int
    "How many accounts may use it; absent = unlimited."
    maxUses: Int
    "Now when absent."
    validFrom: Datetime
    "No end when absent."
    validUntil: Datetime
  }

  input AdminDisablePromoCodeInput {
    "The code's rowId."
    promoCodeId: UUID!
    "Kept in the audit log."
    reason: String
  }

  type AdminPromoCodePayload {
    promoCode: PromoCode
  }

  extend type Mutation {
    """
    Creates a promo code: a Stripe coupon restricted to the plan products (never the SMS overage) and a promotion code with the code, its maximum uses and its end; audited. Errors: VALIDATION (PROMO_CODE_* messages), ALREADY_EXISTS (the code is taken), FORBIDDEN (not an active admin), BILLING_NOT_CONFIGURED, STRIPE_FAILURE (5002).
    """
    adminCreatePromoCode(input: AdminCreatePromoCodeInput!): AdminPromoCodePayload

    """
    Disables a promo code, at Stripe first (nobody can use it any more); audited. Disabling a disabled code changes nothing. Errors: NOT_FOUND, FORBIDDEN, BILLING_NOT_CONFIGURED, STRIPE_FAILURE (5002).
    """
    adminDisablePromoCode(input: AdminDisablePromoCodeInput!): AdminPromoCodePayload
  }
`;

export function makePromoCodesPlugin(deps: PromoCodeDependencies): GraphileConfig.Plugin {
  return extendSchema((build) => {
    const promoCodes = build.input.pgRegistry.pgResources.promo_codes;
    // The schema is introspected as the admin: without the table the API would be wrong.
    if (!promoCodes) throw new Error("WaitifyPromoCodesPlugin: app_public.promo_codes is not in the admin's schema");
    return {
      typeDefs,
      enums: {
        // SQL spells them in lower case.
        PromoCodeKind: { values: { PERCENTAGE: "percentage", FIXED_AMOUNT: "fixed_amount", FREE_MONTHS: "free_months" } },
        PromoCodeDuration: { values: { ONCE: "once", REPEATING: "repeating", FOREVER: "forever" } },
      },
      objects: {
        Mutation: {
          plans: {
            adminCreatePromoCode(_, fieldArgs) {
              const $id = sideEffect([context(), fieldArgs.getRaw("input")], ([ctx, input]) =>
                createPromoCode(deps, ctx.pgSettings ?? {}, input as CreatePromoCodeInput),
              );
              return promoCodes.get({ id: $id });
            },
            adminDisablePromoCode(_, fieldArgs) {
              const $id = sideEffect([context(), fieldArgs.getRaw("input")], ([ctx, input]) =>
                disablePromoCode(deps, ctx.pgSettings ?? {}, input as { promoCodeId: string; reason?: string | null }),
              );
              return promoCodes.get({ id: $id });
            },
          },
        },
        AdminPromoCodePayload: {
          plans: {
            // The payload's step is the row itself.
            promoCode: ($row) => $row,
          },
        },
      },
    };
  }, "WaitifyPromoCodesPlugin");
}
