// The database side of the catalog sync, through the functions of
// db/billing/catalog.sql: the plans to sell in, the Stripe ids out. Runs as
// the owner (the functions are granted to nobody else).
import type pg from "pg";
import type { BillingInterval, CatalogPlan, CatalogSettings, PriceKind } from "./catalog.ts";

export type RecordOutcome = "created" | "updated" | "unchanged";

export interface RecordedPrice {
  lookupKey: string;
  planId: string;
  kind: PriceKind;
  interval: BillingInterval;
  productId: string;
  priceId: string;
}

interface PlanRow {
  plan_id: string;
  name: string;
  price_cents: number;
  sms_quota_monthly: number;
  yearly_price_months: number;
  sms_unit_cents: number;
}

export class CatalogNotMigratedError extends Error {
  constructor() {
    super("the database has no billing catalog yet (app_private.stripe_catalog_plans): run `npm run db:migrate` first");
    this.name = "CatalogNotMigratedError";
  }
}

/** The active plans and the settings their prices derive from. */
export async function readCatalogInput(
  db: Pick<pg.ClientBase, "query">,
): Promise<{ plans: CatalogPlan[]; settings: CatalogSettings }> {
  const { rows: ready } = await db.query<{ ready: boolean }>(
    "select to_regprocedure('app_private.stripe_catalog_plans()') is not null as ready",
  );
  if (!ready[0]?.ready) throw new CatalogNotMigratedError();
  const { rows } = await db.query<PlanRow>("select * from app_private.stripe_catalog_plans()");
  const plans = rows.map((row) => ({
    planId: row.plan_id,
    name: row.name,
    priceCents: row.price_cents,
    smsQuotaMonthly: row.sms_quota_monthly,
  }));
  // Every row carries the same settings; without any plan nothing is priced.
  const settings = { yearlyPriceMonths: rows[0]?.yearly_price_months ?? 10, smsUnitCents: rows[0]?.sms_unit_cents ?? 3 };
  return { plans, settings };
}

/**
 * Stores every price and setting in one transaction, so the database never
 * holds half a catalog. Returns what happened to each lookup key / setting.
 */
export async function recordCatalog(
  client: pg.ClientBase,
  prices: RecordedPrice[],
  settings: Record<string, string>,
): Promise<Record<string, RecordOutcome>> {
  const outcomes: Record<string, RecordOutcome> = {};
  await client.query("begin");
  try {
    for (const price of prices) {
      const { rows } = await client.query<{ outcome: RecordOutcome }>(
        "select app_private.record_stripe_price($1, $2, $3, $4, $5, $6) as outcome",
        [price.lookupKey, price.planId, price.kind, price.interval, price.productId, price.priceId],
      );
      outcomes[price.lookupKey] = rows[0]!.outcome;
    }
    for (const [key, value] of Object.entries(settings)) {
      const { rows } = await client.query<{ outcome: RecordOutcome }>(
        "select app_private.record_stripe_setting($1, $2) as outcome",
        [key, value],
      );
      outcomes[key] = rows[0]!.outcome;
    }
    await client.query("commit");
  } catch (error) {
    await client.query("rollback").catch(() => {});
    throw error;
  }
  return outcomes;
}
