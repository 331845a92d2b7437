// `npm run stripe:sync`: makes Stripe hold the catalog of lib/stripe/catalog.ts
// and records the ids in the database. Find-or-create everywhere, so it can
// run at every deployment: the meter is found by its event name, products by
// the key in their metadata, prices by lookup_key — a second run creates
// nothing. A price whose amount, tiers or interval no longer match the plan
// is replaced by a new one that takes over the lookup key (Stripe prices are
// immutable); subscriptions on the old price keep it until moved.
import type pg from "pg";
import type Stripe from "stripe";
import { log } from "../logger.ts";
import {
  buildCatalog,
  PRODUCT_KEY_METADATA,
  SETTING_SMS_METER_EVENT_NAME,
  SETTING_SMS_METER_ID,
  SMS_METER_CUSTOMER_KEY,
  smsMeter,
  type PriceSpec,
  type ProductSpec,
} from "./catalog.ts";
import { readCatalogInput, recordCatalog, type RecordedPrice, type RecordOutcome } from "./catalog-db.ts";
import { priceCreateParams, priceMismatch } from "./prices.ts";

export interface SyncOptions {
  /** Price ids by lookup key that replace the search (STRIPE_PRICES); each is checked against its spec. */
  priceIds?: Record<string, string>;
}

export type PriceAction = "found" | "created" | "replaced" | "configured";

export interface SyncReport {
  meter: { id: string; created: boolean };
  products: Array<{ key: string; id: string; action: "found" | "created" | "updated" }>;
  prices: Array<{ lookupKey: string; id: string; productId: string; action: PriceAction }>;
  /** What the database recording did, by lookup key or setting key. */
  recorded: Record<string, RecordOutcome>;
}

export class CatalogSyncError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CatalogSyncError";
  }
}

/** How many Stripe objects a sync created (0 on a second run). */
export function createdCount(report: SyncReport): number {
  return (
    (report.meter.created ? 1 : 0) +
    report.products.filter((product) => product.action === "created").length +
    report.prices.filter((price) => price.action === "created" || price.action === "replaced").length
  );
}

async function ensureMeter(stripe: Stripe): Promise<{ id: string; created: boolean }> {
  for await (const meter of stripe.billing.meters.list({ status: "active", limit: 100 })) {
    if (meter.event_name !== smsMeter.eventName) continue;
    // A meter cannot change its aggregation or mapping: a wrong one needs a person.
    if (meter.default_aggregation.formula !== "sum" || meter.customer_mapping.event_payload_key !== SMS_METER_CUSTOMER_KEY) {
      throw new CatalogSyncError(
        `meter ${meter.id} (${meter.event_name}) must sum values and map customers by ${SMS_METER_CUSTOMER_KEY}; deactivate it and sync again`,
      );
    }
    return { id: meter.id, created: false };
  }
  const meter = await stripe.billing.meters.create({
    display_name: smsMeter.displayName,
    event_name: smsMeter.eventName,
    default_aggregation: { formula: "sum" },
    customer_mapping: { type: "by_id", event_payload_key: SMS_METER_CUSTOMER_KEY },
    value_settings: { event_payload_key: "value" },
  });
  log.info("stripe:sync created the SMS meter", { id: meter.id, eventName: meter.event_name });
  return { id: meter.id, created: true };
}

async function ensureProducts(stripe: Stripe, specs: ProductSpec[]): Promise<SyncReport["products"]> {
  const existing = new Map<string, Stripe.Product>();
  for await (const product of stripe.products.list({ active: true, limit: 100 })) {
    const key = product.metadata[PRODUCT_KEY_METADATA];
    // Listed newest first: keep the newest product of a key.
    if (key && !existing.has(key)) existing.set(key, product);
  }
  const report: SyncReport["products"] = [];
  for (const spec of specs) {
    const wanted = { name: spec.name, description: spec.description, unit_label: spec.unitLabel ?? null };
    const found = existing.get(spec.key);
    if (!found) {
      const product = await stripe.products.create({
        name: spec.name,
        description: spec.description,
        ...(spec.unitLabel ? { unit_label: spec.unitLabel } : {}),
        metadata: { [PRODUCT_KEY_METADATA]: spec.key },
      });
      log.info("stripe:sync created a product", { key: spec.key, id: product.id });
      report.push({ key: spec.key, id: product.id, action: "created" });
    } else if (found.name !== wanted.name || found.description !== wanted.description || (found.unit_label ?? null) !== wanted.unit_label) {
      // Names and descriptions are editable (unlike prices): keep them current.
      await stripe.products.update(found.id, { name: wanted.name, description: wanted.description, unit_label: wanted.unit_label ?? "" });
      report.push({ key: spec.key, id: found.id, action: "updated" });
    } else {
      report.push({ key: spec.key, id: found.id, action: "found" });
    }
  }
  return report;
}

/** Existing prices by lookup key (Stripe takes at most 10 keys per list call). */
async function pricesByLookupKey(stripe: Stripe, lookupKeys: string[]): Promise<Map<string, Stripe.Price>> {
  const found = new Map<string, Stripe.Price>();
  for (let start = 0; start < lookupKeys.length; start += 10) {
    const list = await stripe.prices.list({ lookup_keys: lookupKeys.slice(start, start + 10), expand: ["data.tiers"], limit: 100 });
    for (const price of list.data) if (price.lookup_key) found.set(price.lookup_key, price);
  }
  return found;
}

async function configuredPrice(stripe: Stripe, spec: PriceSpec, priceId: string, meterId: string): Promise<Stripe.Price> {
  const price = await stripe.prices.retrieve(priceId, { expand: ["tiers"] });
  const mismatch = priceMismatch(price, spec, meterId);
  // Never record an id from the environment that would bill something else.
  if (mismatch) throw new CatalogSyncError(`STRIPE_PRICES: ${spec.lookupKey}=${priceId} does not match the plan: ${mismatch}`);
  return price;
}

async function ensurePrices(
  stripe: Stripe,
  specs: PriceSpec[],
  productIds: Map<string, string>,
  meterId: string,
  priceIds: Record<string, string>,
): Promise<SyncReport["prices"]> {
  const searched = specs.filter((spec) => !priceIds[spec.lookupKey]).map((spec) => spec.lookupKey);
  const existing = await pricesByLookupKey(stripe, searched);
  const report: SyncReport["prices"] = [];
  for (const spec of specs) {
    const productOf = (price: Stripe.Price) => (typeof price.product === "string" ? price.product : price.product.id);
    const configuredId = priceIds[spec.lookupKey];
    if (configuredId) {
      const price = await configuredPrice(stripe, spec, configuredId, meterId);
      report.push({ lookupKey: spec.lookupKey, id: price.id, productId: productOf(price), action: "configured" });
      continue;
    }
    const found = existing.get(spec.lookupKey);
    const mismatch = found ? priceMismatch(found, spec, meterId) : undefined;
    if (found && !mismatch) {
      report.push({ lookupKey: spec.lookupKey, id: found.id, productId: productOf(found), action: "found" });
      continue;
    }
    const productId = productIds.get(spec.productKey)!;
    const price = await stripe.prices.create({
      ...priceCreateParams(spec, productId, meterId),
      // Moves the lookup key from a price that no longer matches the plan.
      ...(found ? { transfer_lookup_key: true } : {}),
    });
    if (found) log.warn("stripe:sync replaced a price", { lookupKey: spec.lookupKey, previous: found.id, id: price.id, reason: mismatch });
    else log.info("stripe:sync created a price", { lookupKey: spec.lookupKey, id: price.id });
    report.push({ lookupKey: spec.lookupKey, id: price.id, productId, action: found ? "replaced" : "created" });
  }
  return report;
}

/**
 * Finds or creates the meter, products and prices of the catalog at Stripe,
 * then records their ids through `db` (an owner connection, used for one
 * transaction at the end: a failure half-way records nothing, and the next
 * run finds what this one created).
 */
export async function syncStripeCatalog(stripe: Stripe, db: pg.ClientBase, options: SyncOptions = {}): Promise<SyncReport> {
  const { plans, settings } = await readCatalogInput(db);
  const catalog = buildCatalog(plans, settings);
  const priceIds = options.priceIds ?? {};
  const unknown = Object.keys(priceIds).filter((key) => !catalog.prices.some((spec) => spec.lookupKey === key));
  if (unknown.length > 0) {
    const known = catalog.prices.map((spec) => spec.lookupKey).join(", ");
    throw new CatalogSyncError(`STRIPE_PRICES names unknown lookup keys: ${unknown.join(", ")} (known: ${known})`);
  }

  const meter = await ensureMeter(stripe);
  const products = await ensureProducts(stripe, catalog.products);
  const productIds = new Map(products.map((product) => [product.key, product.id]));
  const prices = await ensurePrices(stripe, catalog.prices, productIds, meter.id, priceIds);

  const bySpec = new Map(catalog.prices.map((spec) => [spec.lookupKey, spec]));
  const recordedPrices: RecordedPrice[] = prices.map((price) => {
    const spec = bySpec.get(price.lookupKey)!;
    return { lookupKey: spec.lookupKey, planId: spec.planId, kind: spec.kind, interval: spec.interval, productId: price.productId, priceId: price.id };
  });
  const recorded = await recordCatalog(db, recordedPrices, {
    [SETTING_SMS_METER_ID]: meter.id,
    [SETTING_SMS_METER_EVENT_NAME]: smsMeter.eventName,
  });
  return { meter, products, prices, recorded };
}
