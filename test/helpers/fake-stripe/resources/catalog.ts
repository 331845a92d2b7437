// Products and prices: create, retrieve, update, list — with Stripe's rules
// that matter to a catalog sync: a lookup_key belongs to one price (taking it
// needs transfer_lookup_key), metered prices need a meter, tiered prices need
// graduated/volume tiers ending in "inf", tiers come back only when expanded.
import { FakeStripeError, invalidRequest } from "../errors.ts";
import type { FormValue, Params } from "../forms.ts";
import { listObject } from "../list.ts";
import { arr, bool, int, metadata, obj, oneOf, required, str } from "../params.ts";
import { route, type Route } from "../router.ts";
import { newId, type Store, type StripeObject } from "../store.ts";

export function createProduct(store: Store, params: Params): StripeObject {
  const name = required(str(params.name, "name"), "name");
  const id = str(params.id, "id") ?? newId("prod_", 14);
  if (store.objects.has(id)) {
    throw new FakeStripeError(400, { type: "invalid_request_error", code: "resource_already_exists", message: "Product already exists.", param: "id" });
  }
  const now = store.now();
  return store.add({
    id,
    object: "product",
    active: bool(params.active, "active") ?? true,
    created: now,
    default_price: null,
    description: str(params.description, "description") ?? null,
    images: [],
    livemode: false,
    marketing_features: [],
    metadata: metadata(params.metadata) ?? {},
    name,
    package_dimensions: null,
    shippable: null,
    statement_descriptor: null,
    tax_code: null,
    type: "service",
    unit_label: str(params.unit_label, "unit_label") || null,
    updated: now,
    url: null,
  });
}

function updateProduct(store: Store, id: string, params: Params): StripeObject {
  const product = store.get("product", id);
  if (params.name !== undefined) product.name = required(str(params.name, "name"), "name");
  if (params.description !== undefined) product.description = str(params.description, "description") || null;
  if (params.unit_label !== undefined) product.unit_label = str(params.unit_label, "unit_label") || null;
  if (params.active !== undefined) product.active = bool(params.active, "active");
  const meta = metadata(params.metadata);
  if (meta) product.metadata = params.metadata === "" ? {} : { ...(product.metadata as object), ...meta };
  product.updated = store.now();
  return product;
}

function tiersOf(value: FormValue | undefined): Array<Record<string, unknown>> {
  const tiers = arr(value, "tiers").map((item, index) => {
    const tier = obj(item, `tiers[${index}]`)!;
    const upTo = str(tier.up_to, `tiers[${index}][up_to]`);
    if (upTo === undefined) throw invalidRequest("Missing required param: tiers[up_to].", `tiers[${index}][up_to]`, "parameter_missing");
    const unit = int(tier.unit_amount, `tiers[${index}][unit_amount]`);
    const flat = int(tier.flat_amount, `tiers[${index}][flat_amount]`);
    return {
      flat_amount: flat ?? null,
      flat_amount_decimal: flat === undefined ? null : String(flat),
      unit_amount: unit ?? null,
      unit_amount_decimal: unit === undefined ? null : String(unit),
      up_to: upTo === "inf" ? null : int(upTo, `tiers[${index}][up_to]`)!,
    };
  });
  if (tiers.length === 0) throw invalidRequest("Tiered prices require `tiers`.", "tiers");
  if (tiers.at(-1)!.up_to !== null) throw invalidRequest("The last tier must have up_to=inf.", "tiers");
  for (let i = 1; i < tiers.length - 1; i++) {
    if ((tiers[i]!.up_to as number) <= (tiers[i - 1]!.up_to as number)) throw invalidRequest("Tiers must be sorted by up_to.", "tiers");
  }
  return tiers;
}

/** Gives `lookupKey` to nobody else, or refuses as Stripe does unless transfer_lookup_key. */
function claimLookupKey(store: Store, lookupKey: string, transfer: boolean, owner?: string): void {
  const holder = store.all("price").find((price) => price.lookup_key === lookupKey && price.id !== owner);
  if (!holder) return;
  if (!transfer) {
    throw invalidRequest(
      `A price (\`${holder.id}\`) already uses that lookup key. To transfer the lookup key to this price, set \`transfer_lookup_key\` to true.`,
      "lookup_key",
    );
  }
  holder.lookup_key = null;
}

export function createPrice(store: Store, params: Params): StripeObject {
  const currency = required(str(params.currency, "currency"), "currency").toLowerCase();
  if (!/^[a-z]{3}$/.test(currency)) throw invalidRequest(`Invalid currency: ${currency}`, "currency");
  const productId = required(str(params.product, "product"), "product");
  store.get("product", productId, "product");
  const scheme = oneOf(params.billing_scheme, ["per_unit", "tiered"] as const, "billing_scheme") ?? "per_unit";
  const recurringParams = obj(params.recurring, "recurring");
  let recurring: Record<string, unknown> | null = null;
  if (recurringParams) {
    const interval = required(oneOf(recurringParams.interval, ["day", "week", "month", "year"] as const, "recurring[interval]"), "recurring[interval]");
    const usageType = oneOf(recurringParams.usage_type, ["licensed", "metered"] as const, "recurring[usage_type]") ?? "licensed";
    const meter = str(recurringParams.meter, "recurring[meter]") ?? null;
    // Since 2025-03-31.basil, usage-based prices are backed by a billing meter.
    if (usageType === "metered" && !meter) throw invalidRequest("Metered prices require a `recurring[meter]`.", "recurring[meter]");
    if (meter) store.get("billing.meter", meter, "recurring[meter]");
    recurring = {
      interval,
      interval_count: int(recurringParams.interval_count, "recurring[interval_count]") ?? 1,
      meter,
      trial_period_days: null,
      usage_type: usageType,
    };
  }
  let unitAmount: number | null = null;
  let tiers: Array<Record<string, unknown>> | null = null;
  let tiersMode: string | null = null;
  if (scheme === "tiered") {
    tiersMode = required(oneOf(params.tiers_mode, ["graduated", "volume"] as const, "tiers_mode"), "tiers_mode");
    tiers = tiersOf(params.tiers);
  } else {
    unitAmount = required(int(params.unit_amount, "unit_amount"), "unit_amount");
    if (unitAmount < 0) throw invalidRequest("This value must be greater than or equal to 0.", "unit_amount");
  }
  const lookupKey = str(params.lookup_key, "lookup_key") || null;
  if (lookupKey) claimLookupKey(store, lookupKey, bool(params.transfer_lookup_key, "transfer_lookup_key") ?? false);
  const price = store.add({
    id: newId("price_"),
    object: "price",
    active: bool(params.active, "active") ?? true,
    billing_scheme: scheme,
    created: store.now(),
    currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: lookupKey,
    metadata: metadata(params.metadata) ?? {},
    nickname: str(params.nickname, "nickname") || null,
    product: productId,
    recurring,
    tax_behavior: oneOf(params.tax_behavior, ["inclusive", "exclusive", "unspecified"] as const, "tax_behavior") ?? "unspecified",
    tiers_mode: tiersMode,
    transform_quantity: null,
    type: recurring ? "recurring" : "one_time",
    unit_amount: unitAmount,
    unit_amount_decimal: unitAmount === null ? null : String(unitAmount),
  });
  if (tiers) store.priceTiers.set(price.id, tiers);
  return price;
}

function updatePrice(store: Store, id: string, params: Params): StripeObject {
  const price = store.get("price", id);
  if (params.active !== undefined) price.active = bool(params.active, "active");
  if (params.nickname !== undefined) price.nickname = str(params.nickname, "nickname") || null;
  if (params.lookup_key !== undefined) {
    const lookupKey = str(params.lookup_key, "lookup_key") || null;
    if (lookupKey) claimLookupKey(store, lookupKey, bool(params.transfer_lookup_key, "transfer_lookup_key") ?? false, id);
    price.lookup_key = lookupKey;
  }
  const meta = metadata(params.metadata);
  if (meta) price.metadata = params.metadata === "" ? {} : { ...(price.metadata as object), ...meta };
  return price;
}

function listPrices(store: Store, params: Params): unknown {
  const lookupKeys = arr(params.lookup_keys, "lookup_keys").map(String);
  if (lookupKeys.length > 10) throw invalidRequest("You can specify up to 10 lookup_keys.", "lookup_keys");
  const active = bool(params.active, "active");
  const product = str(params.product, "product");
  const type = str(params.type, "type");
  const currency = str(params.currency, "currency");
  const prices = store.all("price").filter(
    (price) =>
      (lookupKeys.length === 0 || lookupKeys.includes(String(price.lookup_key))) &&
      (active === undefined || price.active === active) &&
      (!product || price.product === product) &&
      (!type || price.type === type) &&
      (!currency || price.currency === currency),
  );
  return listObject(prices, params, "/v1/prices");
}

export const catalogRoutes: Route[] = [
  route("POST", "/v1/products", ({ store, params }) => createProduct(store, params)),
  route("GET", "/v1/products", ({ store, params }) => {
    const active = bool(params.active, "active");
    const ids = arr(params.ids, "ids").map(String);
    const products = store
      .all("product")
      .filter((product) => (active === undefined || product.active === active) && (ids.length === 0 || ids.includes(product.id)));
    return listObject(products, params, "/v1/products");
  }),
  route("GET", "/v1/products/:id", ({ store, args }) => store.get("product", args[0]!)),
  route("POST", "/v1/products/:id", ({ store, args, params }) => updateProduct(store, args[0]!, params)),
  route("POST", "/v1/prices", ({ store, params }) => createPrice(store, params)),
  route("GET", "/v1/prices", ({ store, params }) => listPrices(store, params)),
  route("GET", "/v1/prices/:id", ({ store, args }) => store.get("price", args[0]!)),
  route("POST", "/v1/prices/:id", ({ store, args, params }) => updatePrice(store, args[0]!, params)),
];
