// Stripe's reachability for /health: one cheap authenticated call (the
// balance), its answer kept for a minute so that a load balancer polling
// /health every few seconds does not become Stripe traffic, and concurrent
// polls share one probe. It never throws: Stripe being down is information
// for people, not a reason to take the API out of rotation.
import type Stripe from "stripe";
import { classifyStripeError } from "./errors.ts";

export type StripeHealth =
  | "not_configured"
  | {
      /** up: answered; unauthorized: answered 401/403 (key revoked or too narrow); down: no answer, 429 or 5xx. */
      status: "up" | "down" | "unauthorized";
      latencyMs?: number;
      /** When this answer was measured (ISO 8601): it may be up to ttlMs old. */
      checkedAt: string;
    };

export interface StripeHealthOptions {
  /** How long an answer is reused (default 60 s). */
  ttlMs?: number;
  /** Longest wait for Stripe, without retries (default 2 s). */
  timeoutMs?: number;
}

/** A function answering Stripe's health, or "not_configured" without a client. */
export function stripeHealthProbe(stripe: Stripe | undefined, options: StripeHealthOptions = {}): () => Promise<StripeHealth> {
  if (!stripe) return async () => "not_configured";
  const ttlMs = options.ttlMs ?? 60_000;
  const timeoutMs = options.timeoutMs ?? 2_000;
  let cached: { value: StripeHealth; at: number } | undefined;
  let inFlight: Promise<StripeHealth> | undefined;

  const probe = async (): Promise<StripeHealth> => {
    const started = performance.now();
    const checkedAt = new Date().toISOString();
    try {
      await stripe.balance.retrieve({}, { timeout: timeoutMs, maxNetworkRetries: 0 });
      return { status: "up", latencyMs: Math.round(performance.now() - started), checkedAt };
    } catch (error) {
      const { kind } = classifyStripeError(error);
      // Which key or why is for the logs of real calls, not a public route.
      // A refusal (4xx other than 401/403/429) is still an answer: reachable.
      const status = kind === "misconfigured" ? "unauthorized" : kind === "refused" ? "up" : "down";
      return { status, checkedAt };
    }
  };

  return async () => {
    if (cached && performance.now() - cached.at < ttlMs) return cached.value;
    inFlight ??= probe().then((value) => {
      cached = { value, at: performance.now() };
      inFlight = undefined;
      return value;
    });
    return inFlight;
  };
}
