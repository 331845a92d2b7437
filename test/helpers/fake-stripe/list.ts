// List answers and expansion, as Stripe shapes them: `{object: "list", data,
// has_more, url}` newest first with limit / starting_after / ending_before,
// and `expand` paths that replace ids by objects ("data.customer",
// "items.data.price") or include what Stripe leaves out unless asked (a
// price's `tiers`, a checkout session's `line_items`).
import { invalidRequest } from "./errors.ts";
import type { Params } from "./forms.ts";
import { int, str } from "./params.ts";
import type { Store, StripeObject } from "./store.ts";

export interface ListObject {
  object: "list";
  data: StripeObject[];
  has_more: boolean;
  url: string;
}

export function listObject(items: StripeObject[], params: Params, url: string): ListObject {
  const limit = int(params.limit, "limit") ?? 10;
  if (limit < 1 || limit > 100) throw invalidRequest("Invalid integer: limit must be between 1 and 100", "limit");
  let window = items;
  const after = str(params.starting_after, "starting_after");
  const before = str(params.ending_before, "ending_before");
  if (after) {
    const index = items.findIndex((item) => item.id === after);
    if (index < 0) throw invalidRequest(`No such object: '${after}'`, "starting_after", "resource_missing");
    window = items.slice(index + 1);
  } else if (before) {
    const index = items.findIndex((item) => item.id === before);
    if (index < 0) throw invalidRequest(`No such object: '${before}'`, "ending_before", "resource_missing");
    window = items.slice(Math.max(0, index - limit), index);
    return { object: "list", data: window, has_more: index - limit > 0, url };
  }
  return { object: "list", data: window.slice(0, limit), has_more: window.length > limit, url };
}

function expandAt(store: Store, node: unknown, segments: string[]): void {
  if (!node || typeof node !== "object" || segments.length === 0) return;
  if (Array.isArray(node)) {
    for (const item of node) expandAt(store, item, segments);
    return;
  }
  const record = node as Record<string, unknown>;
  const [head, ...rest] = segments as [string, ...string[]];
  if (head === "tiers" && record.object === "price") {
    record.tiers = structuredClone(store.priceTiers.get(String(record.id)) ?? null);
    return;
  }
  if (head === "applies_to" && record.object === "coupon") {
    const appliesTo = store.couponAppliesTo.get(String(record.id));
    if (appliesTo) record.applies_to = structuredClone(appliesTo);
    return;
  }
  if (head === "line_items" && record.object === "checkout.session") {
    const items = store.checkoutInputs.get(String(record.id))?.lineItems ?? [];
    record.line_items = structuredClone(listObject(items, { limit: "100" }, `/v1/checkout/sessions/${record.id}/line_items`));
  }
  let child = record[head];
  if (typeof child === "string" && store.objects.has(child)) {
    child = structuredClone(store.objects.get(child));
    record[head] = child;
  } else if (Array.isArray(child)) {
    // A list of ids (a subscription's `discounts`): each id becomes its object.
    child = child.map((item) => (typeof item === "string" && store.objects.has(item) ? structuredClone(store.objects.get(item)) : item));
    record[head] = child;
  }
  expandAt(store, child, rest);
}

/** A deep copy of `value` with the `expand` paths applied (stored objects are never handed out). */
export function render(store: Store, value: unknown, expand: string[] = []): unknown {
  const copy = structuredClone(value);
  for (const path of expand) expandAt(store, copy, path.split("."));
  return copy;
}
