// Time limits of the API's connections. Node's defaults let a client take 60 s
// to send its headers and 5 min to send a body, holding a socket and a
// parser all along (slowloris); here both are short. A statement the database
// runs for a request is bounded by statement_timeout on the API's pools
// (statementTimeoutOptions); the worker's connections are not (its jobs may
// run longer).
import type { ServerOptions } from "node:http";

export interface ServerTimeouts {
  /** The whole request (headers and body) must arrive within this (HTTP_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number;
  /** Its headers within this (HTTP_HEADERS_TIMEOUT_MS). */
  headersTimeoutMs: number;
}

export const defaultServerTimeouts: ServerTimeouts = { requestTimeoutMs: 30_000, headersTimeoutMs: 10_000 };

export function httpServerOptions(timeouts: ServerTimeouts = defaultServerTimeouts): ServerOptions {
  return {
    requestTimeout: timeouts.requestTimeoutMs,
    headersTimeout: Math.min(timeouts.headersTimeoutMs, timeouts.requestTimeoutMs),
    // Node checks both only this often (30 s by default): check every second,
    // so a timeout means what it says.
    connectionsCheckingInterval: Math.min(1_000, timeouts.headersTimeoutMs),
  };
}

/**
 * statement_timeout as a connection start-up parameter of a pg pool: set once
 * per connection, free per request, and kept across `set role` and the
 * per-request settings transaction. (A role's own `alter role … set` would not
 * apply: the API logs in as the authenticator and only switches role.)
 * 0 or absent: no timeout.
 */
export function statementTimeoutOptions(statementTimeoutMs: number | undefined): { statement_timeout?: number } {
  return statementTimeoutMs ? { statement_timeout: statementTimeoutMs } : {};
}
