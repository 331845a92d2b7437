// The one place where database errors become client errors (DESIGN.md §3).
// Business rules raise a dedicated SQLSTATE in SQL (class "WT", ours); this
// table turns it into a stable `extensions.code` and, where the product has
// one, the numeric product code. Anything not listed is masked.
import { GraphQLError } from "postgraphile/graphql";
import { defaultMaskError } from "postgraphile/grafserv";

interface ClientCode {
  code: string;
  number?: number;
  /** Keep the database message (ours, already in the customer's language)? */
  keepMessage: boolean;
  /** A fixed message replacing PostgreSQL's own wording. */
  message?: string;
}

export const errorCodes: Record<string, ClientCode> = {
  WT401: { code: "QUEUE_CLOSED", number: 4001, keepMessage: true },
  WT411: { code: "QUEUE_PAUSED", number: 4001, keepMessage: true },
  WT402: { code: "QUEUE_FULL", number: 4002, keepMessage: true },
  WT403: { code: "ALREADY_IN_QUEUE", number: 4003, keepMessage: true },
  WT404: { code: "BUSINESS_SUSPENDED", number: 4004, keepMessage: true },
  WT501: { code: "SMS_FAILURE", number: 5001, keepMessage: true },
  WT502: { code: "STRIPE_FAILURE", number: 5002, keepMessage: true },
  WTPLN: { code: "PLAN_LIMIT", keepMessage: true },
  WTVAL: { code: "VALIDATION", keepMessage: true },
  WTPHN: { code: "INVALID_PHONE", keepMessage: true },
  WTTRN: { code: "INVALID_TRANSITION", keepMessage: true },
  WTCRD: { code: "INVALID_CREDENTIALS", keepMessage: true },
  WTRST: { code: "INVALID_RESET_TOKEN", keepMessage: true },
  WTUNA: { code: "UNAUTHENTICATED", keepMessage: true },
  WTFRB: { code: "FORBIDDEN", keepMessage: true },
  WTNFD: { code: "NOT_FOUND", keepMessage: true },
  WTDUP: { code: "ALREADY_EXISTS", keepMessage: true },
  WTROA: { code: "ACCOUNT_READ_ONLY", keepMessage: true },
  WTSUS: { code: "ACCOUNT_SUSPENDED", keepMessage: true },
  WTBNC: { code: "BILLING_NOT_CONFIGURED", keepMessage: true },
  // Billing refusals a client acts on differently (change plan instead,
  // subscribe first, retype the code): each has its own code.
  WTSUB: { code: "ALREADY_SUBSCRIBED", keepMessage: true },
  WTNSB: { code: "NO_SUBSCRIPTION", keepMessage: true },
  WTPRM: { code: "PROMOTION_CODE_INVALID", keepMessage: true },
  // Analytics reads: a malformed date, a period backwards or longer than 366 days.
  WTDAT: { code: "INVALID_DATE", keepMessage: true },
  WTRNG: { code: "INVALID_DATE_RANGE", keepMessage: true },
  // PostgreSQL's own states that a client can cause with bad input.
  "42501": { code: "FORBIDDEN", keepMessage: false, message: "You are not allowed to do this." },
  "23505": { code: "ALREADY_EXISTS", keepMessage: false, message: "This already exists." },
  "23503": { code: "VALIDATION", keepMessage: false, message: "A referenced record does not exist." },
  "23502": { code: "VALIDATION", keepMessage: false, message: "A required value is missing." },
  "23514": { code: "VALIDATION", keepMessage: false, message: "A value is out of the allowed range." },
  "22001": { code: "VALIDATION", keepMessage: false, message: "A value is too long." },
  "22003": { code: "VALIDATION", keepMessage: false, message: "A number is out of range." },
  // A Date argument PostgreSQL cannot read ("2026-02-30", "13/03/2026"): the
  // same code as SQL's own INVALID_DATE (WTDAT), whichever caught it.
  "22007": { code: "INVALID_DATE", keepMessage: false, message: "A date or time is malformed (YYYY-MM-DD expected)." },
  "22008": { code: "INVALID_DATE", keepMessage: false, message: "A date or time is out of range (YYYY-MM-DD expected)." },
  "22P02": { code: "VALIDATION", keepMessage: false, message: "A value has the wrong format." },
  "22023": { code: "VALIDATION", keepMessage: false, message: "A value is not valid." },
};

/**
 * Codes raised by TypeScript rather than SQL (work outside the database, such
 * as calls to Stripe). They are thrown as GraphQLErrors that already carry
 * their `extensions`, which maskError lets through; listed here so that every
 * code a client can see is in this one file.
 */
export const applicationErrorCodes = {
  /** Stripe refused or did not answer (lib/stripe/errors.ts); same code as SQL's WT502. */
  STRIPE_FAILURE: { code: "STRIPE_FAILURE", number: 5002 },
  /** This deployment has no STRIPE_SECRET_KEY: nothing can be bought or managed. */
  BILLING_NOT_CONFIGURED: { code: "BILLING_NOT_CONFIGURED" },
} as const satisfies Record<string, { code: string; number?: number }>;

interface DatabaseErrorLike {
  code?: unknown;
  constraint?: unknown;
  message: string;
}

/** grafserv's maskError hook: coded errors pass, everything else is masked and logged. */
export function maskError(error: GraphQLError): GraphQLError {
  const thrown = error.originalError;
  // GraphQL syntax/validation errors have no original error: they are safe as they are.
  if (!thrown) return error;
  // Errors we threw ourselves already carry their code.
  if (thrown instanceof GraphQLError && typeof thrown.extensions?.code === "string") return error;
  const original = thrown as DatabaseErrorLike;
  const known = typeof original.code === "string" ? errorCodes[original.code] : undefined;
  if (!known) {
    const masked = defaultMaskError(error);
    return new GraphQLError(masked.message, {
      nodes: error.nodes,
      path: error.path,
      extensions: { ...masked.extensions, code: "INTERNAL" },
    });
  }
  return new GraphQLError(known.keepMessage ? original.message : (known.message ?? "Invalid request."), {
    nodes: error.nodes,
    path: error.path,
    extensions: {
      code: known.code,
      ...(known.number ? { number: known.number } : {}),
      ...(typeof original.constraint === "string" ? { constraint: original.constraint } : {}),
    },
  });
}
