// The HTTP side: Express 5 with PostGraphile mounted through grafserv's
// Express adaptor. No global body parser: grafserv reads its own body and the
// Stripe webhook route (a later issue) needs the raw one.
import { createServer, type Server } from "node:http";
import express from "express";
import pg from "pg";
import { postgraphile, type PostGraphileInstance } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/express/v4";
import type { GrafservBase } from "postgraphile/grafserv";
import { ADMIN_ROLE, ANONYMOUS_ROLE, MERCHANT_ROLE, type RequestRole } from "../db/roles.ts";
import type Stripe from "stripe";
import { makePreset, type PresetOptions } from "../../graphile.config.ts";
import { makeGoogleSignInPlugin, type GoogleSettings } from "../auth/google.ts";
import { makeBillingPlugin } from "../billing/plugin.ts";
import { InvalidTokenError } from "../auth/jwt.ts";
import { authenticateRequest, sendUnauthenticated } from "../auth/request.ts";
import { defaultQueryLimits } from "../graphql/limits.ts";
import { log } from "../logger.ts";
import { Listener } from "../realtime/listener.ts";
import { realtimePlugins } from "../realtime/plugins.ts";
import { startRealtime, type RealtimeHandle } from "../realtime/websocket.ts";
import { stripeHealthProbe } from "../stripe/health.ts";
import type { WorkerHandle } from "../worker.ts";
import { corsForGraphQL } from "./cors.ts";
import { errorHandler, notFoundHandler } from "./errors.ts";
import { analyticsExportRouter } from "./analytics-export.ts";
import { paymentsExportRouter } from "./payments-export.ts";
import { statementDownloadRouter } from "./statement-download.ts";
import { healthRouter } from "./health.ts";
import { metricsRouter } from "./metrics.ts";
import { pagesRouter } from "./pages.ts";
import { createRateLimits } from "./rate-limit/index.ts";
import { defaultRateLimits, type RateLimitSettings } from "./rate-limit/settings.ts";
import { queueQrRouter } from "./queue-qr.ts";
import { requestLog, requestMetrics } from "./request-log.ts";
import { securityHeaders } from "./security-headers.ts";
import { httpServerOptions, statementTimeoutOptions, type ServerTimeouts } from "./server-limits.ts";
import { stripeWebhookRouter } from "./stripe-webhook.ts";

export interface HttpOptions extends Omit<PresetOptions, "pool" | "role" | "plugins"> {
  /** Google sign-in (authenticateGoogle); absent = not offered. */
  google?: GoogleSettings;
  host: string;
  port: number;
  /** The authenticator's connection URL. */
  authUrl: string;
  poolSize: number;
  worker: WorkerHandle;
  /** SMS_PROVIDER, reported by /health ("log" when absent). */
  smsProvider?: "sns" | "log";
  /** STRIPE_WEBHOOK_SECRET: POST /webhooks/stripe answers 503 without it. */
  stripeWebhookSecret?: string;
  /** The Stripe client (lib/stripe/client.ts makeStripe); absent = billing not configured. */
  stripe?: Stripe;
  /** PUBLIC_URL (no trailing slash): the QR codes' join address; where Stripe's checkout and portal send the merchant back. */
  publicUrl?: string;
  /** HTTP_REQUEST_TIMEOUT_MS / HTTP_HEADERS_TIMEOUT_MS (lib/http/server-limits.ts). */
  timeouts?: ServerTimeouts;
  /** DATABASE_STATEMENT_TIMEOUT_MS: statement_timeout of the API's connections; 0 = none. */
  statementTimeoutMs?: number;
  /** Logs, metrics, headers (README "Logs", "Metrics", "Security headers and CORS"). */
  observability?: ObservabilityOptions;
  /** Rate limits (lib/http/rate-limit/settings.ts; the defaults when absent, `enabled: false` for none). */
  rateLimits?: RateLimitSettings;
  /** TRUST_PROXY: Express's "trust proxy" (whether X-Forwarded-For gives the client's address); false when absent. */
  trustProxy?: boolean | number | string[];
}

export interface ObservabilityOptions {
  /** METRICS_TOKEN: GET /metrics with it as Bearer token; absent = no /metrics (404). */
  metricsToken?: string;
  /** CORS_ORIGINS: origins allowed to call /graphql from a browser; empty = same origin only. */
  corsOrigins?: readonly string[];
  /** NODE_ENV=production: HSTS. */
  production?: boolean;
  /** EMAIL_PROVIDER, reported by /health ("log" when absent). */
  emailProvider?: "smtp" | "log";
}

/** PUBLIC_URL's default, as in lib/config.ts and system_configs.public_url. */
const DEFAULT_PUBLIC_URL = "http://localhost:3000";

export interface HttpHandle {
  server: Server;
  /** The port actually bound (PORT=0 picks a free one, as tests do). */
  port: number;
  /** The websockets (GraphQL subscriptions) on the same server. */
  realtime: RealtimeHandle;
  /** Stops accepting, lets in-flight requests finish, closes the websockets, releases the pools. */
  close(): Promise<void>;
}

const GRAPHQL_PATH = "/graphql";

export async function startHttp(options: HttpOptions): Promise<HttpHandle> {
  const app = express();
  app.disable("x-powered-by");
  const observability = options.observability ?? {};
  // Observability and headers first, so every answer (404s included) has them.
  app.use(requestLog(), requestMetrics());
  app.use(securityHeaders({ production: observability.production ?? false, ruru: options.development }));
  app.use(corsForGraphQL(GRAPHQL_PATH, observability.corsOrigins ?? []));
  const server = createServer(httpServerOptions(options.timeouts), app);

  const poolOptions = { connectionString: options.authUrl, max: options.poolSize, ...statementTimeoutOptions(options.statementTimeoutMs) };
  const pool = new pg.Pool(poolOptions);
  // An idle connection dropped by the server must not crash the process.
  pool.on("error", (error) => log.warn("database pool error", { error: error.message }));
  // Anonymous requests (the QR page: the hot path) get connections that run
  // as the anonymous role for their whole life, so a request is one round
  // trip instead of four (see pgSettingsFor). The role is a startup option of
  // the connection (`-c role=…`): in force before the first query, and what
  // RESET ROLE returns to — no query racing the pool's first user.
  const anonymousPool = new pg.Pool({ ...poolOptions, options: `-c role=${ANONYMOUS_ROLE}` });
  anonymousPool.on("error", (error) => log.warn("database pool error", { error: error.message }));
  // Rate limits (lib/http/rate-limit/): the client's address believes X-Forwarded-For as TRUST_PROXY says.
  app.set("trust proxy", options.trustProxy ?? false);
  const rateLimitSettings = options.rateLimits ?? defaultRateLimits;
  const rateLimits = rateLimitSettings.enabled
    ? createRateLimits({
        settings: rateLimitSettings,
        authUrl: options.authUrl,
        jwt: options.jwt,
        trust: app.get("trust proxy fn") as (address: string, hop: number) => boolean,
        maxBodyBytes: (options.limits ?? defaultQueryLimits).maxBodyBytes,
      })
    : undefined;
  app.use(
    healthRouter({
      pool,
      worker: options.worker,
      smsProvider: options.smsProvider ?? "log",
      emailProvider: observability.emailProvider,
      stripe: stripeHealthProbe(options.stripe),
    }),
  );
  app.use(metricsRouter({ token: observability.metricsToken, pool, pools: { signed_in: pool, anonymous: anonymousPool } }));
  // Rate limits: every request but /health* per client, then the costly mutations on /graphql.
  if (rateLimits) app.use(rateLimits.requests);
  if (rateLimits) app.use(GRAPHQL_PATH, rateLimits.graphql);
  // The customer's status page (/e/<token>, the SMS link) and its assets.
  app.use(pagesRouter());
  // The merchant's printables: QR code (SVG, PNG) and A4 poster of a queue.
  app.use(queueQrRouter({ pool, jwt: options.jwt, publicUrl: options.publicUrl ?? DEFAULT_PUBLIC_URL }));
  // Stripe's events: raw body, signature checked, logged and queued in one transaction.
  app.use(stripeWebhookRouter({ pool, secret: options.stripeWebhookSecret }));
  // The daily figures as CSV (Bearer token; read as the merchant, under RLS).
  app.use(analyticsExportRouter({ pool, jwt: options.jwt }));
  // A monthly statement as a PDF invoice (its owner or an admin), and the CSV of payments (merchant: own; admin: all).
  app.use(statementDownloadRouter({ pool, jwt: options.jwt }));
  app.use(paymentsExportRouter({ pool, jwt: options.jwt }));

  // One PostGraphile per request role (see graphile.config.ts): each request
  // is authenticated first, then handled by the instance of its role.
  const instances: PostGraphileInstance[] = [];
  const handlers = new Map<RequestRole, express.Express>();
  const google = options.google
    ? makeGoogleSignInPlugin({ google: options.google, jwt: options.jwt, pool })
    : undefined;
  // The merchant's billing mutations (checkout, portal, cancel, resume, change
  // of plan): their SQL runs on the authenticator's pool, like Google sign-in's.
  const billing = makeBillingPlugin({ db: pool, stripe: options.stripe, publicUrl: options.publicUrl ?? DEFAULT_PUBLIC_URL });
  // Subscriptions: one LISTEN connection for the process, shared by every
  // role's instance; one websocket server that authenticates each socket and
  // hands its operations to the instance of its role (lib/realtime/).
  const listener = new Listener(options.authUrl);
  const servs = new Map<RequestRole, GrafservBase>();
  for (const role of [ANONYMOUS_ROLE, MERCHANT_ROLE, ADMIN_ROLE] as const) {
    const plugins = [
      ...(google && role !== ADMIN_ROLE ? [google] : []),
      ...(role === MERCHANT_ROLE ? [billing] : []),
      ...realtimePlugins(role),
    ];
    const rolePool = role === ANONYMOUS_ROLE ? anonymousPool : pool;
    const pgl = postgraphile(makePreset({ ...options, pool: rolePool, role, plugins, pgSubscriber: listener }));
    instances.push(pgl);
    const handler = express();
    // Each sub-app would add its own X-Powered-By after helmet removed it.
    handler.disable("x-powered-by");
    const serv = pgl.createServ(grafserv);
    // false: no upgrade handler of its own (the realtime server below takes /graphql's).
    await serv.addTo(handler, server, false);
    handlers.set(role, handler);
    servs.set(role, serv);
  }
  const realtime = startRealtime({
    server,
    path: GRAPHQL_PATH,
    jwt: options.jwt,
    servs,
    maxMessageBytes: (options.limits ?? defaultQueryLimits).maxBodyBytes,
    limits: rateLimits?.realtime,
  });
  app.use((req, res, next) => {
    // Only GraphQL requests carry a session; Ruru's page and assets (development)
    // and whatever routes come after are none of our business here.
    if (req.path !== GRAPHQL_PATH) return handlers.get(ANONYMOUS_ROLE)!(req, res, next);
    let role: RequestRole;
    try {
      role = authenticateRequest(req, options.jwt).role;
    } catch (error) {
      if (error instanceof InvalidTokenError) return sendUnauthenticated(res, error);
      return next(error);
    }
    handlers.get(role)!(req, res, next);
  });
  // Whatever no route answered: JSON with a code, never Express's HTML pages.
  app.use(notFoundHandler);
  app.use(errorHandler);
  // Build the schemas now, so a broken database fails start-up, not the first request.
  await Promise.all(instances.map((pgl) => pgl.getSchema()));

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;

  return {
    server,
    port,
    realtime,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Upgraded sockets keep server.close() waiting: close them (their subscriptions end).
      await realtime.close();
      await closed;
      for (const pgl of instances) await pgl.release();
      await listener.release();
      await Promise.all([pool.end(), anonymousPool.end(), rateLimits?.close()]);
    },
  };
}
