// maskError, one error kind at a time: coded errors pass untouched, client
// mistakes get their code with a safe message, database states in the table
// get theirs (never PostgreSQL's wording), and anything else is INTERNAL —
// masked, logged once as one line with the hash the client sees.
import { SafeError } from "postgraphile/grafast";
import { GraphQLError } from "postgraphile/graphql";
import { afterEach, describe, expect, it, vi } from "vitest";
import { errorCodes, maskError, requestErrorCodes } from "../../lib/errors.ts";

/** An error as Grafast hands it to maskError: wrapped, with the field's path. */
const wrapped = (original: Error) => new GraphQLError(original.message, { path: ["someField"], originalError: original });

/** A database error as pg throws it. */
function databaseError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe("maskError", () => {
  afterEach(() => vi.restoreAllMocks());

  it("lets coded errors through unchanged", () => {
    const coded = new GraphQLError("Queue full", { extensions: { code: "QUEUE_FULL", number: 4002 } });
    expect(maskError(coded)).toBe(coded);
    const thrown = wrapped(new GraphQLError("Stripe said no", { extensions: { code: "STRIPE_FAILURE", retryable: true } }));
    expect(maskError(thrown).extensions).toEqual({ code: "STRIPE_FAILURE", retryable: true });
  });

  it.each([
    ["22021", "invalid byte sequence for encoding \"UTF8\": 0x00", "INVALID_TEXT"],
    ["22P05", "unsupported Unicode escape sequence", "INVALID_TEXT"],
    ["57014", "canceling statement due to statement timeout", "QUERY_TIMEOUT"],
    ["2201X", "OFFSET must not be negative", "BAD_USER_INPUT"],
    ["2201W", "LIMIT must not be negative", "BAD_USER_INPUT"],
    ["54001", "stack depth limit exceeded", "QUERY_TOO_COMPLEX"],
    ["23505", 'duplicate key value violates unique constraint "users_email_key"', "ALREADY_EXISTS"],
  ])("SQLSTATE %s becomes %s, without PostgreSQL's wording", (sqlstate, message, code) => {
    const masked = maskError(wrapped(databaseError(sqlstate, message)));
    expect(masked.extensions.code).toBe(code);
    expect(masked.message).not.toContain(message);
    expect(masked.path).toEqual(["someField"]);
  });

  it.each([
    ["Invalid 'after' cursor - a cursor is only valid within a specific ordering", "INVALID_CURSOR"],
    ["Invalid cursor, please enter a cursor from a previous request, or null.", "INVALID_CURSOR"],
    ["Operation took too long to plan and was aborted. Please simplify the request and try again.", "QUERY_TOO_COMPLEX"],
    ["Attempted to update a record, but no new values were specified.", "BAD_USER_INPUT"],
  ])("Grafast's safe error %j is a client mistake: %s, message kept", (message, code) => {
    const masked = maskError(wrapped(new SafeError(message)));
    expect(masked.extensions).toEqual({ code });
    expect(masked.message).toBe(message);
  });

  it("a planning timeout wrapped by Grafast in a plain planning error is still QUERY_TOO_COMPLEX with the safe message", () => {
    const timeout = new SafeError("Operation took too long to plan and was aborted. Please simplify the request and try again.");
    const masked = maskError(wrapped(new Error(`Query planning error: ${timeout.message}`, { cause: timeout })));
    expect(masked.extensions).toEqual({ code: "QUERY_TOO_COMPLEX" });
    expect(masked.message).toBe(timeout.message);
  });

  it("a GraphQL error without a code (written for clients) is BAD_USER_INPUT", () => {
    const masked = maskError(wrapped(new GraphQLError('Variable "$n" got invalid value "x"')));
    expect(masked.extensions).toEqual({ code: "BAD_USER_INPUT" });
  });

  it("Grafast's own planning-depth ceiling is QUERY_TOO_COMPLEX (for QUERY_LIMITS=off)", () => {
    const masked = maskError(wrapped(new Error("Query planning error: Query is too complex, Grafast refuses to continue processing at planning depth 100.")));
    expect(masked.extensions.code).toBe("QUERY_TOO_COMPLEX");
    expect(masked.message).not.toContain("Grafast");
  });

  it("anything else is INTERNAL: masked, one JSON log line (phone masked, stack only at debug level)", () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const masked = maskError(wrapped(databaseError("XX000", "could not read block for +33612345678")));
    const { code, hash, errorId } = masked.extensions as Record<string, string>;
    expect(code).toBe("INTERNAL");
    expect(masked.message).toBe(`An error occurred (logged with hash: '${hash}', id: '${errorId}')`);
    expect(lines).toHaveLength(1);
    const logged = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(logged).toMatchObject({ level: "error", hash, errorId, sqlstate: "XX000", path: "someField" });
    expect(logged.error).toBe("could not read block for +336******78");
    expect(logged).not.toHaveProperty("stack");
  });

  it("the hash groups the same failure; the id tells occurrences apart", () => {
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const first = maskError(wrapped(new Error("boom"))).extensions;
    const second = maskError(wrapped(new Error("boom"))).extensions;
    const other = maskError(wrapped(new Error("bang"))).extensions;
    expect(first.hash).toBe(second.hash);
    expect(first.errorId).not.toBe(second.errorId);
    expect(other.hash).not.toBe(first.hash);
  });

  it("every code it gives out is listed in lib/errors.ts", () => {
    const listed = new Set<string>([...requestErrorCodes, ...Object.values(errorCodes).map((entry) => entry.code)]);
    for (const code of ["INVALID_TEXT", "QUERY_TIMEOUT", "BAD_USER_INPUT", "INVALID_CURSOR", "QUERY_TOO_COMPLEX", "INTERNAL"]) {
      expect(listed).toContain(code);
    }
  });
});
