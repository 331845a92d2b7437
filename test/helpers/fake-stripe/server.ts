// The HTTP side of the fake: a node:http server on 127.0.0.1 that answers as
// api.stripe.com does for the real SDK — Bearer key (401 otherwise),
// form-encoded bodies, Idempotency-Key replay (same key, same params: the
// stored answer with Idempotent-Replayed; other params: idempotency_error),
// injected failures (429, 5xx… for retry tests), a Request-Id on every
// answer and a log of every request.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import Stripe from "stripe";
import { FakeStripeError, unknownRoute, type StripeErrorType } from "./errors.ts";
import { parseForm, type Params } from "./forms.ts";
import { render } from "./list.ts";
import { expandPaths } from "./params.ts";
import type { Method, Route } from "./router.ts";
import { newId, type Store } from "./store.ts";

export interface InjectedFailure {
  status: number;
  /** Default: api_error for 5xx, invalid_request_error otherwise (Stripe's 429 is one, code rate_limit). */
  type?: StripeErrorType;
  code?: string;
  message?: string;
  /** Sends Stripe-Should-Retry: true/false (the SDK obeys it before looking at the status). */
  shouldRetry?: boolean;
  /** Only requests whose path (and method, when given) match fail; others pass and do not use up the count. */
  path?: string | RegExp;
  /** Let this many matching requests through first (a failure midway through a batch). */
  skip?: number;
  method?: Method;
  /**
   * Fail after doing the work: the request is executed (and its answer kept
   * under its Idempotency-Key) but the client gets the error, as when
   * Stripe's answer is lost. The SDK's retry must then be a replay.
   */
  afterExecution?: boolean;
}

export interface ServerState {
  store: Store;
  apiKey: string;
  routes: Route[];
  failures: Array<InjectedFailure & { remaining: number }>;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, version?: string): void {
  res.writeHead(status, {
    "content-type": "application/json",
    "request-id": newId("req_", 14),
    "stripe-version": version ?? Stripe.API_VERSION,
    ...headers,
  });
  res.end(JSON.stringify(body, null, 2));
}

function failureBody(failure: InjectedFailure): FakeStripeError {
  const type = failure.type ?? (failure.status >= 500 ? "api_error" : "invalid_request_error");
  const code = failure.code ?? (failure.status === 429 ? "rate_limit" : undefined);
  const message =
    failure.message ??
    (failure.status === 429 ? "Too many requests hit the API too quickly." : failure.status >= 500 ? "An unknown error occurred" : "Injected failure");
  const headers: Record<string, string> = failure.shouldRetry === undefined ? {} : { "Stripe-Should-Retry": String(failure.shouldRetry) };
  return new FakeStripeError(failure.status, { type, message, ...(code ? { code } : {}) }, headers);
}

function authenticate(req: IncomingMessage, apiKey: string): FakeStripeError | undefined {
  const header = String(req.headers.authorization ?? "");
  const match = /^Bearer (.+)$/.exec(header);
  if (!match) {
    return new FakeStripeError(401, {
      type: "invalid_request_error",
      message: "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
    });
  }
  if (match[1] !== apiKey) {
    const key = match[1]!;
    return new FakeStripeError(401, {
      type: "invalid_request_error",
      code: "api_key_invalid",
      message: `Invalid API Key provided: ${key.slice(0, 8)}${"*".repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`,
    });
  }
  return undefined;
}

function takeFailure(state: ServerState, method: Method, path: string): InjectedFailure | undefined {
  const failure = state.failures.find(
    (candidate) =>
      candidate.remaining > 0 &&
      (candidate.method === undefined || candidate.method === method) &&
      (candidate.path === undefined || (typeof candidate.path === "string" ? candidate.path === path : candidate.path.test(path))),
  );
  if (!failure) return undefined;
  if (failure.skip) {
    failure.skip -= 1;
    return undefined;
  }
  failure.remaining -= 1;
  state.failures = state.failures.filter((candidate) => candidate.remaining > 0);
  return failure;
}

function dispatch(state: ServerState, method: Method, path: string, params: Params): unknown {
  for (const candidate of state.routes) {
    if (candidate.method !== method) continue;
    const match = candidate.pattern.exec(path);
    if (match) return candidate.handler({ store: state.store, params, args: match.slice(1).map(decodeURIComponent), path });
  }
  throw unknownRoute(method, path);
}

function handle(state: ServerState, req: IncomingMessage, res: ServerResponse, body: string): void {
  const url = new URL(req.url ?? "/", "http://fake-stripe.local");
  const method = (req.method ?? "GET").toUpperCase() as Method;
  const path = url.pathname;
  const params = method === "POST" ? parseForm(body) : parseForm(url.search.slice(1));
  const idempotencyKey = req.headers["idempotency-key"] ? String(req.headers["idempotency-key"]) : undefined;
  const stripeVersion = req.headers["stripe-version"] ? String(req.headers["stripe-version"]) : undefined;
  const log = (status: number, replayed = false) =>
    state.store.requests.push({ method, path, params, idempotencyKey, stripeVersion, status, replayed });
  const fail = (error: FakeStripeError) => {
    log(error.status);
    send(res, error.status, { error: error.body }, error.headers, stripeVersion);
  };

  const unauthorized = authenticate(req, state.apiKey);
  if (unauthorized) return fail(unauthorized);
  const injected = takeFailure(state, method, path);
  if (injected && !injected.afterExecution) return fail(failureBody(injected));

  const fingerprint = JSON.stringify([method, path, params]);
  const stored = method === "POST" && idempotencyKey ? state.store.idempotent.get(idempotencyKey) : undefined;
  if (stored) {
    if (stored.fingerprint !== fingerprint) {
      return fail(
        new FakeStripeError(400, {
          type: "idempotency_error",
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
        }),
      );
    }
    log(stored.status, true);
    return send(res, stored.status, stored.body, { "idempotent-replayed": "true", ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}) }, stripeVersion);
  }

  try {
    const result = dispatch(state, method, path, params);
    const rendered = render(state.store, result, expandPaths(params));
    // Only executed requests are remembered: a refused one may be sent again with its key.
    if (method === "POST" && idempotencyKey) state.store.idempotent.set(idempotencyKey, { fingerprint, status: 200, body: rendered });
    if (injected) return fail(failureBody(injected));
    log(200);
    send(res, 200, rendered, idempotencyKey ? { "idempotency-key": idempotencyKey } : {}, stripeVersion);
  } catch (error) {
    if (error instanceof FakeStripeError) return fail(error);
    // A bug in the fake: say so loudly, as a 500 the SDK will retry.
    console.error("fake Stripe failed on", method, path, error);
    fail(new FakeStripeError(500, { type: "api_error", message: `fake Stripe bug: ${error instanceof Error ? error.message : String(error)}` }));
  }
}

export async function listen(state: ServerState, port = 0): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => handle(state, req, res, Buffer.concat(chunks).toString("utf8")));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address();
  const bound = typeof address === "object" && address ? address.port : port;
  return { server, url: `http://127.0.0.1:${bound}` };
}
