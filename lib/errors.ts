// The one place where database errors become client errors (DESIGN.md §3).
// Business rules raise a dedicated SQLSTATE in SQL (class "WT", ours); this
// table turns it into a stable `extensions.code` and, where the product has
// one, the numeric product code. Anything not listed is masked.
import { createHash, randomBytes } from "node:crypto";
import { isSafeError } from "postgraphile/grafast";
import { GraphQLError } from "postgraphile/graphql";
import { log } from "./logger.ts";

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
  // The phone number already waits in max_places_per_phone queues (SMS spend protection).
  WTMXQ: { code: "TOO_MANY_QUEUES", keepMessage: true },
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
  // A promo code outside its validity period, or used its max_uses times.
  WTPRX: { code: "PROMOTION_CODE_EXPIRED", keepMessage: true },
  WTPRE: { code: "PROMOTION_CODE_EXHAUSTED", keepMessage: true },
  // Back office: a reminder for an account that owes nothing overdue, or a second one the same day.
  WTNOD: { code: "NOTHING_OVERDUE", keepMessage: true },
  WTRMD: { code: "REMINDER_ALREADY_SENT", keepMessage: true },
  // A called customer already had their extra minutes (requestMoreTime).
  WTMTU: { code: "MORE_TIME_ALREADY_USED", keepMessage: true },
  // Analytics reads: a malformed date, a period backwards or longer than 366 days.
  WTDAT: { code: "INVALID_DATE", keepMessage: true },
  WTRNG: { code: "INVALID_DATE_RANGE", keepMessage: true },
  // Back office (db/admin/tenants-actions.sql): refusals an admin acts on differently.
  WTASU: { code: "ACCOUNT_ALREADY_SUSPENDED", keepMessage: true },
  WTNSU: { code: "ACCOUNT_NOT_SUSPENDED", keepMessage: true },
  WTUNP: { code: "ACCOUNT_UNPAID", keepMessage: true },
  WTPMS: { code: "PLAN_MANAGED_BY_STRIPE", keepMessage: true },
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
  // A NUL character (JSON "\u0000" is valid; PostgreSQL text cannot hold it) or a
  // character the database encoding cannot store.
  "22021": { code: "INVALID_TEXT", keepMessage: false, message: "A text contains a NUL character or an invalid byte sequence." },
  "22P05": { code: "INVALID_TEXT", keepMessage: false, message: "A text contains a character that cannot be stored." },
  // Negative LIMIT / OFFSET reaching SQL (the request checks refuse literal and
  // variable ones first; this is the backstop).
  "2201W": { code: "BAD_USER_INPUT", keepMessage: false, message: "A page size (first/last) must not be negative." },
  "2201X": { code: "BAD_USER_INPUT", keepMessage: false, message: "An offset must not be negative." },
  // statement_timeout (DATABASE_STATEMENT_TIMEOUT_MS) cancelled the statement.
  "57014": { code: "QUERY_TIMEOUT", keepMessage: false, message: "The request took too long and was cancelled." },
  "54001": { code: "QUERY_TOO_COMPLEX", keepMessage: false, message: "The request is too complex for the database." },
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
  /**
   * A subscription's LISTEN connection dropped (lib/realtime/listener.ts):
   * notifications may have been lost, so the subscription ends; subscribe
   * again and re-read the state.
   */
  SUBSCRIPTION_INTERRUPTED: { code: "SUBSCRIPTION_INTERRUPTED" },
  /** A signed-in session is needed (a websocket operation only a signed-in schema has). */
  UNAUTHENTICATED: { code: "UNAUTHENTICATED" },
} as const satisfies Record<string, { code: string; number?: number }>;

/**
 * Codes of requests refused before anything ran, or of HTTP-level mistakes:
 * lib/graphql/request-checks.ts and limits.ts (GraphQL), lib/graphql/http-errors.ts
 * (grafserv's own refusals), lib/http/errors.ts (other routes).
 */
export const requestErrorCodes = [
  "GRAPHQL_PARSE_FAILED", // not GraphQL
  "GRAPHQL_VALIDATION_FAILED", // unknown field, wrong argument type…
  "OPERATION_NOT_FOUND", // operationName not in the document
  "BAD_USER_INPUT", // variables of the wrong type, negative first/last/offset, an empty patch…
  "INVALID_CURSOR", // a cursor not from a previous answer, or from another ordering
  "QUERY_TOO_LARGE", // the query text is over QUERY_MAX_BYTES
  "QUERY_TOO_COMPLEX", // over QUERY_MAX_FIELDS / ALIASES / DEPTH / COST, or its planning timed out
  "PAGE_TOO_LARGE", // first/last over PAGE_SIZE_MAX
  "QUERY_TIMEOUT", // a statement ran over DATABASE_STATEMENT_TIMEOUT_MS
  "BAD_REQUEST", // an unreadable body (not JSON, no query…)
  "METHOD_NOT_ALLOWED", // 405
  "NOT_ACCEPTABLE", // 406
  "PAYLOAD_TOO_LARGE", // 413
  "UNSUPPORTED_MEDIA_TYPE", // 415
  "NOT_FOUND", // 404, no such route
  "RATE_LIMITED", // 429, a rate limit (lib/http/rate-limit/): extensions.retryAfterSeconds, header Retry-After
  "INTERNAL", // a bug: logged once with the hash the client sees
] as const;

interface DatabaseErrorLike {
  code?: unknown;
  constraint?: unknown;
  message: string;
  stack?: string;
}

/**
 * Grafast's SafeErrors carry messages meant for clients (bad cursors, an empty
 * patch, a planning timeout): they are client mistakes, coded here by what
 * they say; any other is BAD_USER_INPUT.
 */
const safeErrorCodes: Array<{ pattern: RegExp; code: string }> = [
  { pattern: /cursor/i, code: "INVALID_CURSOR" },
  { pattern: /took too long to plan/i, code: "QUERY_TOO_COMPLEX" },
];

/** grafserv's maskError hook: coded errors pass, client mistakes get their code, anything else is masked and logged. */
export function maskError(error: GraphQLError): GraphQLError {
  // Coded already: the request checks, or errors we threw ourselves.
  if (typeof error.extensions?.code === "string") return error;
  const thrown = error.originalError;
  if (thrown instanceof GraphQLError) {
    if (typeof thrown.extensions?.code === "string") return recode(error, thrown.message, { ...thrown.extensions });
    // A GraphQLError is, by convention, written for the client (grafast's own
    // argument and input checks): a client mistake.
    return recode(error, thrown.message, { code: "BAD_USER_INPUT" });
  }
  const safe = safeErrorIn(thrown);
  if (safe) {
    const code = safeErrorCodes.find(({ pattern }) => pattern.test(safe.message))?.code ?? "BAD_USER_INPUT";
    return recode(error, safe.message, { code });
  }
  const original = (thrown ?? error) as DatabaseErrorLike;
  // Grafast's own ceiling on nested plans (the query limits refuse such
  // documents first; this is for QUERY_LIMITS=off).
  if (/Query is too complex, Grafast refuses/.test(original.message)) {
    return recode(error, "The query is too complex: selections are nested too deep.", { code: "QUERY_TOO_COMPLEX" });
  }
  const known = typeof original.code === "string" ? errorCodes[original.code] : undefined;
  if (!known) return internal(error, original);
  return recode(error, known.keepMessage ? original.message : (known.message ?? "Invalid request."), {
    code: known.code,
    ...(known.number ? { number: known.number } : {}),
    ...(typeof original.constraint === "string" ? { constraint: original.constraint } : {}),
  });
}

/**
 * The SafeError an error is or was caused by: Grafast wraps what goes wrong
 * while planning in a plain "Query planning error: …" Error whose cause is the
 * SafeError (a planning timeout, for instance).
 */
export function safeErrorIn(error: unknown): Error | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (isSafeError(current)) return current;
  }
  return undefined;
}

function recode(error: GraphQLError, message: string, extensions: Record<string, unknown>): GraphQLError {
  return new GraphQLError(message, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, extensions });
}

/**
 * A real bug: one log line (never the query text, whose literals may hold
 * phone numbers) with a hash that groups the same failure and an id for this
 * occurrence, both also in the client's answer; the stack only at debug level.
 */
function internal(error: GraphQLError, original: DatabaseErrorLike): GraphQLError {
  const sqlstate = typeof original.code === "string" ? original.code : undefined;
  const hash = createHash("sha1").update(`${sqlstate ?? ""}:${original.message}`).digest("base64url").slice(0, 12);
  const errorId = randomBytes(6).toString("base64url");
  log.error("masked GraphQL error", {
    hash,
    errorId,
    ...(sqlstate ? { sqlstate } : {}),
    error: original.message,
    ...(error.path ? { path: error.path.join(".") } : {}),
  });
  if (original.stack) log.debug("masked GraphQL error stack", { hash, errorId, stack: original.stack });
  return recode(error, `An error occurred (logged with hash: '${hash}', id: '${errorId}')`, { code: "INTERNAL", hash, errorId });
}
