// A local Stripe for tests: a real HTTP server speaking Stripe's REST API as
// the real `stripe` SDK calls it (point the SDK at `url`, or pass `config` to
// lib/stripe/client.ts makeStripe), plus controls for what happens at Stripe
// without a call from us (a customer paying at checkout, a card failing, a
// period ending) and Event objects to feed webhook tests. Shapes follow
// Stripe's own fixtures (stripe/openapi fixtures3.json) at the API version
// the SDK pins. One concern per file: forms.ts (request encoding), server.ts
// (HTTP, auth, idempotency, failures), router.ts, list.ts (lists, expand),
// params.ts, store.ts (state, clock), resources/ (one file per API area:
// catalog, meters, customers, checkout and portal, subscriptions, invoices,
// coupons and promotion codes),
// billing.ts (periods, amounts, usage), invoice-objects.ts, controls.ts
// (test controls).
import type { Server } from "node:http";
import Stripe from "stripe";
import { render } from "./list.ts";
import { listen, type InjectedFailure, type ServerState } from "./server.ts";
import { Store, type LoggedRequest, type MeterEventRecord, type StripeObject } from "./store.ts";
import {
  completeCheckout,
  createInvoice,
  deleteSubscription,
  failInvoice,
  makeEvent,
  payInvoice,
  renewSubscription,
  type CheckoutCompletion,
  type CompleteCheckoutOptions,
  type InvoiceOptions,
} from "./controls.ts";
import { catalogRoutes } from "./resources/catalog.ts";
import { checkoutRoutes } from "./resources/checkout.ts";
import { customerRoutes } from "./resources/customers.ts";
import { invoiceRoutes } from "./resources/invoices.ts";
import { meterRoutes } from "./resources/meters.ts";
import { promotionRoutes } from "./resources/promotions.ts";
import { subscriptionRoutes } from "./resources/subscriptions.ts";

export type { InjectedFailure } from "./server.ts";
export type { LoggedRequest, MeterEventRecord, StripeObject } from "./store.ts";
export type { CheckoutCompletion, CompleteCheckoutOptions, InvoiceOptions } from "./controls.ts";

export const FAKE_STRIPE_KEY = "sk_test_waitify_fake_0000";

export interface FakeStripe {
  /** http://127.0.0.1:<port> — STRIPE_API_URL. */
  url: string;
  apiKey: string;
  /** STRIPE_SECRET_KEY and STRIPE_API_URL for lib/config.ts / makeStripe. */
  config: { STRIPE_SECRET_KEY: string; STRIPE_API_URL: string };
  /** The state itself, for what the controls do not cover. */
  store: Store;

  /** Every request received, in order (method, path, params, Idempotency-Key, status, replayed). */
  requests(filter?: { method?: string; path?: string | RegExp }): LoggedRequest[];
  /** Meter events accepted (one per identifier), in order. */
  meterEvents(): MeterEventRecord[];
  /** A copy of a stored object (expand paths as the API takes them). */
  get(id: string, expand?: string[]): StripeObject | undefined;
  /** Copies of every stored object of a type ("price", "billing.meter"…), newest first. */
  list(type: string): StripeObject[];
  /** What a checkout session was created with, including create-only params. */
  checkoutSession(id: string): {
    session: StripeObject;
    lineItems: StripeObject[];
    subscriptionData?: Record<string, unknown>;
    discounts?: Record<string, unknown>[];
    allowPromotionCodes?: boolean;
  };

  completeCheckout(sessionId: string, options?: CompleteCheckoutOptions): CheckoutCompletion;
  createInvoice(customerId: string, options?: InvoiceOptions): StripeObject;
  payInvoice(invoiceId: string): StripeObject;
  /** A failed payment attempt: attempt_count + 1. */
  failInvoice(invoiceId: string): StripeObject;
  deleteSubscription(subscriptionId: string): StripeObject;
  /** The earliest items' period ends: renewal invoice (paid unless paymentFails), items move on. */
  renewSubscription(subscriptionId: string, options?: { paymentFails?: boolean }): { subscription: StripeObject; invoice: StripeObject };
  /** An Event about `object` (evt_…, created, data.object, livemode false, api_version), stored for GET /v1/events/:id. */
  event(type: string, object: unknown, previousAttributes?: Record<string, unknown>): StripeObject;
  /** The raw body and Stripe-Signature header a webhook delivery of `event` would carry. */
  signEvent(event: unknown, secret: string): { payload: string; header: string };

  /** The next `count` requests (matching `failure.path`, if given) fail with `failure` (default 500 api_error). */
  failNext(count: number, failure?: InjectedFailure): void;
  /** Moves the fake's clock (seconds since the epoch, or a Date). */
  setTime(time: number | Date): void;
  /** Moves the fake's clock forward. */
  advance(seconds: number): void;
  /** Forgets injected failures and the request log (objects stay). */
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeStripe(options: { apiKey?: string; port?: number } = {}): Promise<FakeStripe> {
  const apiKey = options.apiKey ?? FAKE_STRIPE_KEY;
  const store = new Store();
  const state: ServerState = {
    store,
    apiKey,
    routes: [...catalogRoutes, ...meterRoutes, ...customerRoutes, ...checkoutRoutes, ...subscriptionRoutes, ...invoiceRoutes, ...promotionRoutes],
    failures: [],
  };
  const { server, url } = await listen(state, options.port);
  // Only its webhook helpers are used: no request is ever made with this key.
  const signer = new Stripe("sk_test_signing_only");

  return {
    url,
    apiKey,
    config: { STRIPE_SECRET_KEY: apiKey, STRIPE_API_URL: url },
    store,
    requests(filter = {}) {
      return store.requests.filter(
        (request) =>
          (!filter.method || request.method === filter.method.toUpperCase()) &&
          (!filter.path || (typeof filter.path === "string" ? request.path === filter.path : filter.path.test(request.path))),
      );
    },
    meterEvents: () => structuredClone(store.meterEvents),
    get: (id, expand = []) => (store.objects.has(id) ? (render(store, store.objects.get(id), expand) as StripeObject) : undefined),
    list: (type) => structuredClone(store.all(type)),
    checkoutSession(id) {
      const session = store.get("checkout.session", id);
      const input = store.checkoutInputs.get(id)!;
      return structuredClone({
        session,
        lineItems: input.lineItems,
        subscriptionData: input.subscriptionData,
        discounts: input.discounts,
        allowPromotionCodes: input.allowPromotionCodes,
      });
    },
    completeCheckout: (sessionId, checkoutOptions) => completeCheckout(store, sessionId, checkoutOptions),
    createInvoice: (customerId, invoiceOptions) => createInvoice(store, customerId, invoiceOptions),
    payInvoice: (invoiceId) => payInvoice(store, invoiceId),
    failInvoice: (invoiceId) => failInvoice(store, invoiceId),
    deleteSubscription: (subscriptionId) => deleteSubscription(store, subscriptionId),
    renewSubscription: (subscriptionId, renewOptions) => renewSubscription(store, subscriptionId, renewOptions),
    event: (type, object, previousAttributes) => makeEvent(store, type, object, previousAttributes),
    signEvent(event, secret) {
      const payload = JSON.stringify(event, null, 2);
      return { payload, header: signer.webhooks.generateTestHeaderString({ payload, secret }) };
    },
    failNext(count, failure = { status: 500 }) {
      state.failures.push({ ...failure, remaining: count });
    },
    setTime: (time) => store.setTime(typeof time === "number" ? time : Math.floor(time.getTime() / 1000)),
    advance: (seconds) => store.advance(seconds),
    reset() {
      state.failures = [];
      store.requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        (server as Server).closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
