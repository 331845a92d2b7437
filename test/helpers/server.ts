// A real HTTP server (Express + PostGraphile) on a free port, against a test
// database, optionally with a real graphile-worker runner beside it.
import { afterAll, beforeAll } from "vitest";
import { startHttp, type HttpHandle } from "../../lib/http/app.ts";
import { startWorker, workerOff, type WorkerHandle } from "../../lib/worker.ts";
import type { GoogleSettings } from "../../lib/auth/google.ts";
import type { EmailSender } from "../../lib/email/sender.ts";
import type Stripe from "stripe";
import type { SmsSender } from "../../lib/sms/sender.ts";
import { defaultQueryLimits, type QueryLimits } from "../../lib/graphql/limits.ts";
import type { ServerTimeouts } from "../../lib/http/server-limits.ts";
import type { ObservabilityOptions } from "../../lib/http/app.ts";
import { defaultRateLimits, rateLimitsOff, type RateLimitSettings } from "../../lib/http/rate-limit/settings.ts";
import { testJwt } from "./auth.ts";
import type { TestDatabase } from "./db.ts";

export interface TestServer {
  url: string;
  http: HttpHandle;
  worker: WorkerHandle;
  /** POSTs a GraphQL operation; returns the parsed body and HTTP status. */
  graphql<T = unknown>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: { data?: T; errors?: GraphQLErrorBody[] } }>;
  close(): Promise<void>;
}

export interface GraphQLErrorBody {
  message: string;
  extensions?: { code?: string; number?: number; [key: string]: unknown };
}

export interface TestServerOptions {
  worker?: boolean;
  /** Offer Google sign-in, verified against this (local) key set. */
  google?: GoogleSettings;
  /** The worker's SMS sender (the log sender when absent); /health reports its provider. */
  sms?: SmsSender;
  /** STRIPE_WEBHOOK_SECRET for POST /webhooks/stripe (503 without it). */
  stripeWebhookSecret?: string;
  /** The worker's email sender (the log sender when absent). */
  email?: EmailSender;
  /** The API's and the worker's Stripe client (e.g. makeStripe(fake.config)); absent = billing not configured. */
  stripe?: Stripe;
  /** PUBLIC_URL for the billing return URLs (default http://localhost:3000). */
  publicUrl?: string;
  /** Run the crontab's recurring jobs in the worker (default true; off when a test adds them itself). */
  schedule?: boolean;
  /** Query limits changed from the defaults (lib/graphql/limits.ts), e.g. a tiny default page size. */
  limits?: Partial<QueryLimits>;
  /** statement_timeout of the API's connections (none by default in tests). */
  statementTimeoutMs?: number;
  /** HTTP request / headers timeouts (lib/http/server-limits.ts defaults when absent). */
  timeouts?: ServerTimeouts;
  /** METRICS_TOKEN, CORS_ORIGINS, production headers (lib/http/app.ts). */
  observability?: ObservabilityOptions;
  /** Serve Ruru as in development. */
  development?: boolean;
  /**
   * Rate limits: OFF unless given (a suite's hundreds of requests from one
   * address would trip them); test/api/rate-limits*.test.ts turn them on
   * with the settings they test (defaultRateLimits changed where they say).
   */
  rateLimits?: Partial<RateLimitSettings>;
  /** TRUST_PROXY (Express's "trust proxy"); false when absent. */
  trustProxy?: boolean | number | string[];
  /** JWT_EXPIRES_IN of the tokens the server signs (testJwt's 15m when absent). */
  jwtExpiresIn?: string;
}

export async function startTestServer(database: TestDatabase, options: TestServerOptions = {}): Promise<TestServer> {
  const worker = options.worker
    ? await startWorker({
        connectionString: database.ownerUrl,
        concurrency: 4,
        sms: options.sms,
        email: options.email,
        stripe: options.stripe,
        schedule: options.schedule,
      })
    : workerOff;
  const http = await startHttp({
    host: "127.0.0.1",
    port: 0,
    authUrl: database.authUrl,
    development: options.development ?? false,
    poolSize: 20,
    worker,
    // Tokens from test/helpers/auth.ts and fixtures.ts (createMerchant) are valid here.
    jwt: options.jwtExpiresIn ? { ...testJwt, expiresIn: options.jwtExpiresIn } : testJwt,
    google: options.google,
    smsProvider: options.sms?.provider,
    stripeWebhookSecret: options.stripeWebhookSecret,
    stripe: options.stripe,
    publicUrl: options.publicUrl,
    // Tests plan with Grafast's development checks on, on busy CI machines:
    // a planning timeout here would only make them flaky.
    limits: { ...defaultQueryLimits, planningTimeoutMs: 10_000, ...options.limits },
    statementTimeoutMs: options.statementTimeoutMs,
    timeouts: options.timeouts,
    observability: options.observability,
    rateLimits: options.rateLimits ? { ...defaultRateLimits, ...options.rateLimits } : rateLimitsOff,
    trustProxy: options.trustProxy,
  });
  const url = `http://127.0.0.1:${http.port}`;
  return {
    url,
    http,
    worker,
    async graphql(query, variables, headers) {
      const response = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json", ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, body: (await response.json()) as { data?: never; errors?: GraphQLErrorBody[] } };
    },
    async close() {
      await http.close();
      await worker.stop();
    },
  };
}

/** One server for the whole test file. */
export function useTestServer(database: () => TestDatabase, options: TestServerOptions = {}): () => TestServer {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startTestServer(database(), options);
  });
  afterAll(async () => {
    await server?.close();
  });
  return () => {
    if (!server) throw new Error("test server not ready");
    return server;
  };
}
