// Customers, the account balance (the health probe's cheap call) and events
// (webhook handlers may re-fetch an event by id).
import type { Params } from "../forms.ts";
import { listObject } from "../list.ts";
import { arr, metadata, str } from "../params.ts";
import { route, type Route } from "../router.ts";
import { newId, type Store, type StripeObject } from "../store.ts";

export function createCustomer(store: Store, params: Params): StripeObject {
  return store.add({
    id: newId("cus_", 14),
    object: "customer",
    address: null,
    balance: 0,
    created: store.now(),
    currency: null,
    default_source: null,
    delinquent: false,
    description: str(params.description, "description") ?? null,
    discount: null,
    email: str(params.email, "email") ?? null,
    invoice_prefix: newId("", 8).toUpperCase(),
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false,
    metadata: metadata(params.metadata) ?? {},
    name: str(params.name, "name") ?? null,
    next_invoice_sequence: 1,
    phone: str(params.phone, "phone") ?? null,
    preferred_locales: arr(params.preferred_locales, "preferred_locales").map(String),
    shipping: null,
    tax_exempt: "none",
    test_clock: null,
  });
}

function updateCustomer(store: Store, id: string, params: Params): StripeObject {
  const customer = store.get("customer", id);
  for (const field of ["email", "name", "description", "phone"] as const) {
    if (params[field] !== undefined) customer[field] = str(params[field], field) || null;
  }
  const meta = metadata(params.metadata);
  if (meta) customer.metadata = params.metadata === "" ? {} : { ...(customer.metadata as object), ...meta };
  return customer;
}

export const customerRoutes: Route[] = [
  route("POST", "/v1/customers", ({ store, params }) => createCustomer(store, params)),
  route("GET", "/v1/customers", ({ store, params }) => {
    const email = str(params.email, "email");
    return listObject(store.all("customer").filter((customer) => !email || customer.email === email), params, "/v1/customers");
  }),
  route("GET", "/v1/customers/:id", ({ store, args }) => store.get("customer", args[0]!)),
  route("POST", "/v1/customers/:id", ({ store, args, params }) => updateCustomer(store, args[0]!, params)),
  route("GET", "/v1/balance", () => ({
    object: "balance",
    available: [{ amount: 0, currency: "eur", source_types: { card: 0 } }],
    livemode: false,
    pending: [{ amount: 0, currency: "eur", source_types: { card: 0 } }],
  })),
  route("GET", "/v1/events/:id", ({ store, args }) => store.get("event", args[0]!)),
  route("GET", "/v1/events", ({ store, params }) => {
    const type = str(params.type, "type");
    return listObject(store.all("event").filter((event) => !type || event.type === type), params, "/v1/events");
  }),
];
