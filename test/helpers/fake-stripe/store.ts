// The fake's state: every object by id (in creation order), the data Stripe
// keeps beside its objects (price tiers, checkout line items, meter events,
// idempotent responses), the request log and the clock.
import { randomBytes } from "node:crypto";
import { noSuch } from "./errors.ts";
import type { Params } from "./forms.ts";

/** A Stripe object as JSON: `id` and `object` always, the rest per type. */
export type StripeObject = { id: string; object: string; [field: string]: unknown };

export interface MeterEventRecord {
  event_name: string;
  identifier: string;
  payload: Record<string, string>;
  timestamp: number;
  created: number;
}

export interface LoggedRequest {
  method: string;
  path: string;
  params: Params;
  idempotencyKey?: string;
  stripeVersion?: string;
  status: number;
  /** True when the answer was a stored one (same Idempotency-Key). */
  replayed: boolean;
}

export interface CheckoutInput {
  /** Stripe "item" objects (GET /v1/checkout/sessions/:id/line_items, expand line_items). */
  lineItems: StripeObject[];
  subscriptionData?: Params;
  discounts?: Params[];
  allowPromotionCodes?: boolean;
}

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A Stripe-looking id: prefix + random base62, e.g. "prod_Qx3…". */
export function newId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  return prefix + Array.from(bytes, (byte) => alphabet[byte % alphabet.length]).join("");
}

export class Store {
  readonly objects = new Map<string, StripeObject>();
  /** Price tiers: Stripe returns them only when asked (expand: ["tiers"]). */
  readonly priceTiers = new Map<string, unknown[]>();
  /** What a checkout session was created with (line items are includable, the rest create-only). */
  readonly checkoutInputs = new Map<string, CheckoutInput>();
  /** A coupon's applies_to: Stripe returns it only when asked (expand: ["applies_to"]). */
  readonly couponAppliesTo = new Map<string, { products: string[] }>();
  readonly meterEvents: MeterEventRecord[] = [];
  readonly requests: LoggedRequest[] = [];
  /** Idempotency-Key → the first successful answer and a digest of its params. */
  readonly idempotent = new Map<string, { fingerprint: string; status: number; body: unknown }>();
  #offset = 0;

  /** Seconds since the epoch, shifted by setTime()/advance(). */
  now(): number {
    return Math.floor(Date.now() / 1000) + this.#offset;
  }

  setTime(seconds: number): void {
    this.#offset = seconds - Math.floor(Date.now() / 1000);
  }

  advance(seconds: number): void {
    this.#offset += seconds;
  }

  add<T extends StripeObject>(object: T): T {
    this.objects.set(object.id, object);
    return object;
  }

  /** The object of that type, or Stripe's "No such …" (404, or 400 naming `param`). */
  get(type: string, id: string, param?: string): StripeObject {
    const found = this.objects.get(id);
    if (!found || found.object !== type) throw noSuch(type, id, param);
    return found;
  }

  /** Objects of a type, newest first (Stripe's list order). */
  all(type: string): StripeObject[] {
    return [...this.objects.values()].filter((object) => object.object === type).reverse();
  }
}
