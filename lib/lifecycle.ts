// Start-up in order (config → database → migrate → http → worker) and the
// reverse on SIGINT/SIGTERM, so requests and jobs in flight finish and an
// embedded PostgreSQL is stopped last.
import { openDatabase, type Database } from "./db/database.ts";
import { migrateDatabase } from "./db/migrate.ts";
import { loadJwtKeys } from "./auth/keys.ts";
import { ConfigError, type Config } from "./config.ts";
import { createEmailSender } from "./email/index.ts";
import { limitsFromConfig } from "./graphql/limits.ts";
import { rateLimitsFromConfig } from "./http/rate-limit/settings.ts";
import { startHttp, type HttpHandle } from "./http/app.ts";
import { log } from "./logger.ts";
import { createSmsSender } from "./sms/index.ts";
import { publishSmsSettings } from "./sms/settings.ts";
import { makeStripe } from "./stripe/client.ts";
import { startWorker, workerOff, type WorkerHandle } from "./worker.ts";

export type Role = "all" | "worker";

export interface Running {
  database: Database;
  http?: HttpHandle;
  worker: WorkerHandle;
  stop(): Promise<void>;
}

export async function start(config: Config, role: Role): Promise<Running> {
  // A generated key would differ between instances and log everybody out at
  // each deploy: a production API must be given its session keys. Checked
  // before anything starts; a worker alone signs nothing and needs none.
  if (role === "all" && config.NODE_ENV === "production" && !config.JWT_PRIVATE_KEY) {
    throw new ConfigError(
      "Invalid configuration: JWT_PRIVATE_KEY: is required in production (with JWT_PUBLIC_KEY): the RS256 key pair that signs merchant sessions",
    );
  }
  // Billing configured without the webhook secret would take payments and
  // never hear about them: the API refuses to start. The worker verifies no
  // webhook and needs none.
  if (role === "all" && config.STRIPE_SECRET_KEY && !config.STRIPE_WEBHOOK_SECRET) {
    throw new ConfigError(
      "Invalid configuration: STRIPE_WEBHOOK_SECRET: is required when STRIPE_SECRET_KEY is set (the signing secret of the /webhooks/stripe endpoint)",
    );
  }
  const database = await openDatabase(config);
  const stops: Array<() => Promise<void>> = [database.stop];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((error) => log.error("stop failed", { error: String(error) }));
  };
  try {
    if (config.MIGRATE_ON_START) await migrateDatabase(database);
    await publishSmsSettings(database.ownerUrl, config);

    // One Stripe client per process (absent without STRIPE_SECRET_KEY): the API's
    // billing operations and health probe, the worker's stripe_event and usage reports.
    const stripe = makeStripe(config);
    const runWorker = role === "worker" || config.WORKER === "on";
    if (runWorker && config.NODE_ENV === "production" && config.EMAIL_PROVIDER === "log") {
      // Not an error (a deployment may not need email yet), but nobody gets a reset link.
      log.warn("EMAIL_PROVIDER=log in production: emails (password reset, billing reminders) are only logged, never sent");
    }
    const worker = runWorker
      ? await startWorker({
          connectionString: database.ownerUrl,
          concurrency: config.WORKER_CONCURRENCY,
          sms: createSmsSender(config),
          email: createEmailSender(config),
          stripe,
          recoveryIntervalMs: config.WORKER_RECOVERY_INTERVAL_MS,
        })
      : workerOff;
    stops.push(() => worker.stop());

    let http: HttpHandle | undefined;
    if (role === "all") {
      const keys = await loadJwtKeys({
        privateKey: config.JWT_PRIVATE_KEY,
        publicKey: config.JWT_PUBLIC_KEY,
        production: config.NODE_ENV === "production",
      });
      http = await startHttp({
        jwt: { keys, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, expiresIn: config.JWT_EXPIRES_IN },
        google: config.GOOGLE_CLIENT_ID
          ? { clientId: config.GOOGLE_CLIENT_ID, jwksUrl: config.GOOGLE_JWKS_URL }
          : undefined,
        host: config.HOST,
        port: config.PORT,
        authUrl: database.authUrl,
        development: config.NODE_ENV === "development",
        poolSize: config.DATABASE_POOL_SIZE,
        worker,
        smsProvider: config.SMS_PROVIDER,
        stripe,
        stripeWebhookSecret: config.STRIPE_WEBHOOK_SECRET,
        publicUrl: config.PUBLIC_URL,
        limits: limitsFromConfig(config),
        timeouts: { requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS, headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_MS },
        statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
        observability: {
          metricsToken: config.METRICS_TOKEN,
          corsOrigins: config.CORS_ORIGINS,
          production: config.NODE_ENV === "production",
          emailProvider: config.EMAIL_PROVIDER,
        },
        rateLimits: rateLimitsFromConfig(config),
        trustProxy: config.TRUST_PROXY,
      });
      stops.push(http.close);
      log.info(`Waitify listening on http://localhost:${http.port}`, {
        graphql: `http://localhost:${http.port}/graphql`,
        worker: worker.state(),
        database: database.embedded ? "embedded" : "external",
      });
    } else {
      log.info("Waitify worker running", { database: database.embedded ? "embedded" : "external" });
    }
    return { database, http, worker, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * Ctrl-C or a container stop: finish in-flight work, then exit. Repeated
 * signals are ignored (npm forwards the terminal's SIGINT a second time); the
 * timeout is the backstop.
 */
export function stopOnSignals(running: Running, timeoutMs: number): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received, shutting down`);
    // Deliberately not unref'd: while pools close, this timer is what keeps
    // Node's event loop alive until the embedded PostgreSQL has stopped.
    setTimeout(() => {
      log.error("shutdown timed out, exiting");
      process.exit(1);
    }, timeoutMs);
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}
