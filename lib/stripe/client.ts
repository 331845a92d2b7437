// The Stripe SDK, configured once. Billing is optional: without
// STRIPE_SECRET_KEY there is no client and callers answer
// BILLING_NOT_CONFIGURED (lib/stripe/errors.ts). STRIPE_API_URL points the
// real SDK at another base (tests run it against test/helpers/fake-stripe/).
import Stripe from "stripe";
import type { Config } from "../config.ts";

/**
 * The API version we speak, pinned: the SDK's types describe exactly this
 * version, so an SDK upgrade that moves it fails `npm run typecheck` here
 * instead of changing object shapes under running code. Webhook endpoints in
 * the Stripe dashboard must be created with the same version.
 */
export const STRIPE_API_VERSION = "2026-10-28.endive" satisfies Stripe.LatestApiVersion;

export interface StripeClientOptions {
  /** Milliseconds before one HTTP attempt is abandoned (default 20 s; Stripe's own default is 80 s). */
  timeoutMs?: number;
  /**
   * Automatic retries of connection errors, 409 and 5xx answers (default 2).
   * The SDK sends an Idempotency-Key with every POST, so a retry never
   * creates a second object.
   */
  maxNetworkRetries?: number;
}

/** Host, port and protocol of an API base URL, as the SDK takes them. */
export function stripeEndpoint(apiUrl: string): { host: string; port: number; protocol: "http" | "https" } {
  const url = new URL(apiUrl);
  const protocol = url.protocol === "http:" ? "http" : "https";
  return { host: url.hostname, port: url.port ? Number(url.port) : protocol === "http" ? 80 : 443, protocol };
}

/** The configured SDK, or undefined when billing is not configured (no STRIPE_SECRET_KEY). */
export function makeStripe(
  config: Pick<Config, "STRIPE_SECRET_KEY" | "STRIPE_API_URL">,
  options: StripeClientOptions = {},
): Stripe | undefined {
  if (!config.STRIPE_SECRET_KEY) return undefined;
  return new Stripe(config.STRIPE_SECRET_KEY, {
    apiVersion: STRIPE_API_VERSION,
    maxNetworkRetries: options.maxNetworkRetries ?? 2,
    timeout: options.timeoutMs ?? 20_000,
    // No latency telemetry headers: nothing about our traffic leaves in them.
    telemetry: false,
    appInfo: { name: "waitify" },
    ...(config.STRIPE_API_URL ? stripeEndpoint(config.STRIPE_API_URL) : {}),
  });
}
