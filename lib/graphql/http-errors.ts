// The HTTP side of GraphQL errors, as a grafserv middleware around each
// request: grafserv answers some requests itself (405 wrong method, 406,
// 413 body too large, 415 wrong content type, 400 unreadable body) with errors
// that carry no `extensions.code`, and a request refused before it ran
// (lib/graphql/request-checks.ts) should say so with 400 even to clients that
// accept only application/json (grafserv would answer those 200). Here every
// such error gets its code, grafserv's internal `statusCode` extension is
// removed, and 405 says which method to use.
import { isPromiseLike, isSafeError } from "postgraphile/grafast";
import type { Result } from "postgraphile/grafserv";
import { countGraphQLErrors } from "../observability/graphql-errors.ts";

const refused = new WeakSet<object>();

/** Marks an HTTP request (grafserv's request digest) as refused before it ran: it answers 400. */
export function markRefused(request: object | undefined): void {
  if (request) refused.add(request);
}

const CODE_BY_STATUS: Record<number, string> = {
  400: "BAD_REQUEST",
  404: "NOT_FOUND",
  405: "METHOD_NOT_ALLOWED",
  406: "NOT_ACCEPTABLE",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  503: "SERVICE_UNAVAILABLE",
};

/** The code of an HTTP-level refusal that came without one. */
export function codeForStatus(status: number): string {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? "INTERNAL" : "BAD_REQUEST");
}

interface ErrorBody {
  message?: unknown;
  extensions?: Record<string, unknown>;
}

/** Gives each error of a JSON error body a code (by HTTP status when it has none); drops `statusCode`. */
export function codeErrorBody(body: unknown, status: number): unknown {
  if (!body || typeof body !== "object" || !Array.isArray((body as { errors?: unknown }).errors)) return body;
  const errors = (body as { errors: ErrorBody[] }).errors.map((error) => {
    const { statusCode: _statusCode, ...extensions } = error.extensions ?? {};
    return { ...error, extensions: { ...extensions, code: typeof extensions.code === "string" ? extensions.code : codeForStatus(status) } };
  });
  return { ...body, errors };
}

function finish(result: Result | null, request: object): Result | null {
  if (result === null) return result;
  if (result.type === "error") {
    // A SafeError's message is meant for clients; anything else is not.
    const status = result.statusCode >= 400 ? result.statusCode : 500;
    const message = isSafeError(result.error) ? result.error.message : "An error occurred.";
    const buffer = Buffer.from(JSON.stringify({ errors: [{ message, extensions: { code: codeForStatus(status) } }] }), "utf8");
    return {
      type: "buffer",
      statusCode: status,
      headers: { ...result.headers, "content-type": "application/json; charset=utf-8", "content-length": String(buffer.length) },
      buffer,
    };
  }
  if ((result.type === "buffer" || result.type === "json") && result.statusCode === 200 && refused.has(request)) {
    result.statusCode = 400;
  }
  if (result.statusCode === 405) result.headers["allow"] = "POST";
  if (result.type === "buffer" && result.statusCode >= 400 && /json/.test(result.headers["content-type"] ?? "")) {
    let body: unknown;
    try {
      body = JSON.parse(result.buffer.toString("utf8"));
    } catch {
      return result;
    }
    const buffer = Buffer.from(JSON.stringify(codeErrorBody(body, result.statusCode)), "utf8");
    return { ...result, buffer, headers: { ...result.headers, "content-length": String(buffer.length) } };
  }
  return result;
}

export const GraphQLHttpErrorsPlugin: GraphileConfig.Plugin = {
  name: "WaitifyGraphQLHttpErrorsPlugin",
  version: "1.0.0",
  description: "Gives grafserv's own HTTP refusals a code, and 400 to requests refused before they ran",
  grafserv: {
    middleware: {
      processRequest(next, event) {
        const result = next();
        // Every answer's errors counted by code (waitify_errors_total).
        const finished = (value: Result | null) => {
          const final = finish(value, event.requestDigest);
          countGraphQLErrors(final);
          return final;
        };
        return isPromiseLike(result) ? Promise.resolve(result).then(finished) : finished(result);
      },
    },
  },
};
