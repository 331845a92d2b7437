// Stripe's error answers: `{ "error": { type, code?, message, param? } }`
// with the HTTP status the SDK maps to its error classes (400 → invalid
// request, 401 → authentication, 402 → card, 404 → invalid request with
// resource_missing, 429 → rate limit, 5xx → API error).

export type StripeErrorType = "api_error" | "card_error" | "idempotency_error" | "invalid_request_error";

export interface FakeStripeErrorBody {
  type: StripeErrorType;
  message: string;
  code?: string;
  param?: string;
  decline_code?: string;
}

export class FakeStripeError extends Error {
  readonly status: number;
  readonly body: FakeStripeErrorBody;
  /** Extra response headers (Stripe-Should-Retry). */
  readonly headers: Record<string, string>;

  constructor(status: number, body: FakeStripeErrorBody, headers: Record<string, string> = {}) {
    super(body.message);
    this.name = "FakeStripeError";
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

export const invalidRequest = (message: string, param?: string, code?: string) =>
  new FakeStripeError(400, { type: "invalid_request_error", message, ...(param ? { param } : {}), ...(code ? { code } : {}) });

export const missingParam = (param: string) => invalidRequest(`Missing required param: ${param}.`, param, "parameter_missing");

/** "No such price: 'price_x'", as a 404 (retrieve) or, for a referenced id, a 400 naming the param. */
export const noSuch = (kind: string, id: string, param?: string) =>
  new FakeStripeError(param ? 400 : 404, {
    type: "invalid_request_error",
    code: "resource_missing",
    message: `No such ${kind}: '${id}'`,
    ...(param ? { param } : {}),
  });

export const unknownRoute = (method: string, path: string) =>
  new FakeStripeError(404, {
    type: "invalid_request_error",
    message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
  });
