// Rate limits (README "Rate limits"): what startHttp mounts. One store per
// process (PostgreSQL, shared by every process: store.ts), and:
//
// - `requests`: every request but /health* and /metrics counts against its
//   client — the signed-in account (a valid Bearer token), else the address —
//   RATE_LIMIT_REQUESTS (1000 a minute). An account is counted as itself so
//   that a merchant behind a shared address (a shop's Wi-Fi, a mobile
//   carrier's NAT) is not refused for its neighbours' traffic; accounts cost
//   a sign-up, and sign-ups are limited per address;
// - `graphql`: on POST /graphql, the mutations that cost money or guard
//   accounts, read from the document (operations.ts): joinQueue per address,
//   per phone number and per queue; sign-in and account fields per address,
//   password-reset emails per address, growing delays after failed sign-ins
//   (login-failures.ts);
// - `realtime`: the websocket server's limits (realtime.ts).
//
// Every refusal is 429 with Retry-After and RATE_LIMITED (refusal.ts).
import type { IncomingMessage } from "node:http";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { RateLimiterRes } from "rate-limiter-flexible";
import { authenticateRequest } from "../../auth/request.ts";
import type { JwtSettings } from "../../auth/jwt.ts";
import { log } from "../../logger.ts";
import { addressKey, type TrustFunction } from "./client.ts";
import { loginFailures, loginOutcomes, type LoginFailures } from "./login-failures.ts";
import { bodyRequests, limitedFieldsOf, phoneKey, type LimitedFields } from "./operations.ts";
import { makeRealtimeLimits, type RealtimeLimits } from "./realtime.ts";
import { sendRateLimited } from "./refusal.ts";
import type { RateLimitSettings } from "./settings.ts";
import { openStore } from "./store.ts";

export interface RateLimits {
  requests: RequestHandler;
  graphql: RequestHandler;
  realtime: RealtimeLimits;
  close(): Promise<void>;
}

export interface RateLimitOptions {
  settings: RateLimitSettings;
  /** The authenticator's URL: the store's own small pool logs in with it. */
  authUrl: string;
  jwt: JwtSettings;
  /** Express's compiled trust proxy function, for websocket upgrades (which Express does not see). */
  trust: TrustFunction;
  /** GRAPHQL_MAX_BODY_BYTES: the body is read here (then handed to grafserv), no further. */
  maxBodyBytes: number;
}

/** Paths never counted: probes and scrapes must answer whatever a client does. */
const UNCOUNTED = /^\/(health(\/|$)|metrics$)/;

export function createRateLimits(options: RateLimitOptions): RateLimits {
  const { settings } = options;
  const store = openStore({ authUrl: options.authUrl, poolSize: settings.poolSize, timeoutMs: settings.storeTimeoutMs });
  const requests = store.limiter("requests", settings.requests);
  const joinPerAddress = store.limiter("join_address", settings.joinPerAddress);
  const joinPerPhone = store.limiter("join_phone", settings.joinPerPhone);
  const joinPerQueue = store.limiter("join_queue", settings.joinPerQueue);
  const authPerAddress = store.limiter("auth_address", settings.authPerAddress);
  const resetPerAccount = store.limiter("reset_account", settings.resetPerAccount);
  const logins = loginFailures(store, settings);

  /** The client a request counts against: its account when signed in, else its address. */
  const clientKey = (req: IncomingMessage, address: string): string => {
    if (req.headers.authorization) {
      try {
        const auth = authenticateRequest(req, options.jwt);
        if (auth.userId) return `account:${auth.userId}`;
        return `role:${auth.role}|${address}`;
      } catch {
        // A bad token is refused later (401); it counts against the address.
      }
    }
    return `address:${address}`;
  };

  const requestsHandler: RequestHandler = (req, res, next) => {
    if (UNCOUNTED.test(req.path)) return next();
    const address = addressKey(req.ip);
    verdict([requests.consume(clientKey(req, address))]).then((waitMs) => {
      if (waitMs > 0) return sendRateLimited(res, waitMs);
      next();
    }, next);
  };

  const graphqlHandler = (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== "POST" || req.body !== undefined) return next();
    readBody(req, options.maxBodyBytes)
      .then(async (body) => {
        // The client went away before sending it all: nobody to answer.
        if (body === null) return;
        // grafserv reads req.body when it is set (its Express adaptor).
        req.body = body;
        const fields = limitedFieldsOf(bodyRequests(body, req.headers["content-type"]));
        const address = addressKey(req.ip);
        const waitMs = await mutationVerdict(fields, address);
        if (waitMs > 0) return sendRateLimited(res, waitMs);
        if (fields.logins.length > 0) watchSignIns(res, fields, address, logins);
        next();
      })
      .catch(next);
  };

  /**
   * The consumptions (and sign-in delays) of a request's limited fields; the
   * wait, 0 when it may go on. The client's own limits first (its address,
   * its sign-in delays): a client refused there spends nothing of the limits
   * it shares with others — a queue's burst cap, a phone number's, an email
   * address's — so one address cannot use them up for everyone.
   */
  async function mutationVerdict(fields: LimitedFields, address: string): Promise<number> {
    const own: Promise<unknown>[] = [];
    if (fields.joins.length > 0) own.push(joinPerAddress.consume(address, fields.joins.length));
    if (fields.authFields > 0) own.push(authPerAddress.consume(address, fields.authFields));
    const emails = [...new Set(fields.logins.flatMap((login) => (login.email ? [login.email] : [])))];
    const [ownWaitMs, loginWaitMs] = await Promise.all([verdict(own), emails.length > 0 ? logins.waitBefore(emails, address) : 0]);
    if (ownWaitMs > 0 || loginWaitMs > 0) return Math.max(ownWaitMs, loginWaitMs);
    const shared: Promise<unknown>[] = [];
    for (const [phone, count] of countBy(fields.joins.map((join) => phoneKey(join.phone)))) shared.push(joinPerPhone.consume(phone, count));
    for (const [queue, count] of countBy(fields.joins.map((join) => join.qrToken))) shared.push(joinPerQueue.consume(queue, count));
    for (const [email, count] of countBy(fields.emails)) shared.push(resetPerAccount.consume(email, count));
    return verdict(shared);
  }

  return {
    requests: requestsHandler,
    graphql: graphqlHandler,
    realtime: makeRealtimeLimits({ settings, trust: options.trust, consume: (key) => verdict([requests.consume(key)]) }),
    close: () => store.close(),
  };
}

/**
 * Settles consumptions: the longest wait among those refused (0 when none
 * was). Anything but a refusal (a store error the insurance could not absorb)
 * lets the request through: it is logged, never turned into a 500.
 */
async function verdict(checks: Promise<unknown>[]): Promise<number> {
  let waitMs = 0;
  for (const outcome of await Promise.allSettled(checks)) {
    if (outcome.status === "fulfilled") continue;
    if (outcome.reason instanceof RateLimiterRes) waitMs = Math.max(waitMs, outcome.reason.msBeforeNext, 1);
    else log.warn("rate limit not checked", { error: outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason) });
  }
  return waitMs;
}

/** How many times each defined key occurs. */
function countBy(keys: (string | undefined)[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of keys) if (key !== undefined) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

/** The whole body; a 413 error (as grafserv's) past `max` bytes; null when the client went away first. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer) => {
      length += chunk.length;
      if (length > max) {
        req.off("data", onData);
        reject(Object.assign(new Error("Too much data"), { status: 413 }));
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks)));
    req.once("error", reject);
    // After "end" this changes nothing (a promise settles once).
    req.once("close", () => resolve(null));
  });
}

/**
 * Reads the answer to a request with sign-ins as it is sent, and records how
 * each went before the answer ends: the guesser's next attempt, however soon,
 * finds its failures counted.
 */
function watchSignIns(res: Response, fields: LimitedFields, address: string, logins: LoginFailures): void {
  const chunks: Buffer[] = [];
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => Response;
  const keep = (chunk: unknown) => {
    if (typeof chunk === "string") chunks.push(Buffer.from(chunk));
    else if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
  };
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    keep(chunk);
    return write(chunk, ...rest);
  }) as Response["write"];
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (typeof chunk !== "function") keep(chunk);
    const outcomes = loginOutcomes(Buffer.concat(chunks).toString("utf8"), fields.logins);
    (async () => {
      for (const [index, login] of fields.logins.entries()) {
        if (login.email) await logins.record(login.email, address, outcomes[index]!);
      }
    })()
      .catch((error: unknown) => log.warn("sign-in outcome not recorded", { error: error instanceof Error ? error.message : String(error) }))
      .finally(() => end(chunk, ...rest));
    return res;
  }) as Response["end"];
}
