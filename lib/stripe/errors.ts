// What a client sees when Stripe fails: one GraphQL error, STRIPE_FAILURE
// (5002), whose message says what could not be done and whether trying again
// may help — never Stripe's own wording (it names parameters, ids and, for
// bad keys, part of the key). The details go to the server log, keys redacted.
import { GraphQLError } from "postgraphile/graphql";
import Stripe from "stripe";
import { applicationErrorCodes } from "../errors.ts";
import { log } from "../logger.ts";
import { redactStripeSecrets } from "./redact.ts";

export { redactStripeSecrets } from "./redact.ts";

/** Why a call failed, as far as the client and a retry policy care. */
export type StripeFailureKind =
  /** No answer, a timeout or a 5xx: may pass later. */
  | "unavailable"
  /** 429: too many requests; may pass in a moment. */
  | "rate_limited"
  /** 401/403: our key is wrong or lacks a permission; an operator must act. */
  | "misconfigured"
  /** Stripe understood and refused (400, 402, 404, idempotency): the same call fails again. */
  | "refused";

export interface StripeFailure {
  kind: StripeFailureKind;
  retryable: boolean;
  statusCode?: number;
  type?: string;
  code?: string;
  requestId?: string;
}

export function classifyStripeError(error: unknown): StripeFailure {
  if (!(error instanceof Stripe.errors.StripeError)) return { kind: "unavailable", retryable: true };
  const details = { statusCode: error.statusCode, type: error.type, code: error.code, requestId: error.requestId };
  if (error instanceof Stripe.errors.StripeConnectionError || error instanceof Stripe.errors.StripeAPIError) {
    return { kind: "unavailable", retryable: true, ...details };
  }
  if (error instanceof Stripe.errors.StripeRateLimitError || error.statusCode === 429) {
    return { kind: "rate_limited", retryable: true, ...details };
  }
  if (error instanceof Stripe.errors.StripeAuthenticationError || error instanceof Stripe.errors.StripePermissionError) {
    return { kind: "misconfigured", retryable: false, ...details };
  }
  if (error.statusCode !== undefined && error.statusCode >= 500) return { kind: "unavailable", retryable: true, ...details };
  return { kind: "refused", retryable: false, ...details };
}

const sentences: Record<StripeFailureKind, string> = {
  unavailable: "the payment provider is unavailable. Please try again in a few minutes.",
  rate_limited: "the payment provider is busy. Please try again in a minute.",
  misconfigured: "billing is misconfigured on our side. We have been notified; please try again later.",
  refused: "the payment provider refused the request. Please contact support if this persists.",
};

/**
 * The client error for a failed Stripe call. `action` completes "Could not
 * …" for the message, e.g. "start the checkout". The original error is logged
 * (type, code, request id, redacted message) for support.
 */
export function stripeFailure(error: unknown, action: string): GraphQLError {
  const failure = classifyStripeError(error);
  log.error("stripe call failed", {
    action,
    ...failure,
    message: redactStripeSecrets(error instanceof Error ? error.message : String(error)),
  });
  return new GraphQLError(`Could not ${action}: ${sentences[failure.kind]}`, {
    extensions: { ...applicationErrorCodes.STRIPE_FAILURE, retryable: failure.retryable },
  });
}

/** The client error when this deployment has no STRIPE_SECRET_KEY. */
export function billingNotConfigured(): GraphQLError {
  return new GraphQLError("Billing is not available on this server.", {
    extensions: { ...applicationErrorCodes.BILLING_NOT_CONFIGURED },
  });
}

/** Stripe's "No such …" answer (404, resource_missing): the object does not exist. */
export function isResourceMissing(error: unknown): boolean {
  return error instanceof Stripe.errors.StripeError && (error.code === "resource_missing" || error.statusCode === 404);
}

/**
 * Stripe's refusal of a meter event whose identifier it already holds (400,
 * "An event already exists with identifier …", Stripe-Should-Retry: false).
 * The identifier names one account-hour, so this means the usage was already
 * delivered: a reporting job treats it as success.
 */
export function isDuplicateMeterEvent(error: unknown): boolean {
  return (
    error instanceof Stripe.errors.StripeInvalidRequestError && /already exists with identifier/i.test(error.message)
  );
}

/** Runs one Stripe call; its failure becomes STRIPE_FAILURE, "Could not <action>: …". */
export async function atStripe<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw stripeFailure(error, action);
  }
}
