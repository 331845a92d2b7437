// The billing benchmark's world, as production runs it but on loopback: an
// embedded PostgreSQL of its own (.data/bench-billing-pg, port 54370,
// durable commits), a fresh database with the committed and current
// migrations, the fake Stripe in its thread with the catalog synced into it
// by the real `stripe:sync` code, one Stripe client (lib/stripe/client.ts)
// for the API server and the worker as in lib/lifecycle.ts, the real API
// server (startHttp, with the webhook secret) and a real worker (startWorker),
// and the sender thread. `stop()` undoes all of it, in reverse, whatever
// failed.
import pg from "pg";
import type Stripe from "stripe";
import { generateJwtKeys } from "../lib/auth/keys.ts";
import { loadConfig } from "../lib/config.ts";
import type { DatabaseUrls } from "../lib/db/setup.ts";
import { withDatabase } from "../lib/db/urls.ts";
import { startHttp } from "../lib/http/app.ts";
import { rateLimitsOff } from "../lib/http/rate-limit/settings.ts";
import { STRIPE_WEBHOOK_PATH } from "../lib/http/stripe-webhook.ts";
import { makeStripe } from "../lib/stripe/client.ts";
import { syncStripeCatalog } from "../lib/stripe/sync.ts";
import { startWorker, type WorkerHandle } from "../lib/worker.ts";
import { FAKE_STRIPE_KEY } from "../test/helpers/fake-stripe/index.ts";
import { freshBenchDatabase, startOwnCluster } from "./bench-cluster.ts";
import { PROFILE, profileSettings, startProfile } from "./billing-profile.ts";
import { startLoadThread, STATUS_CHANNEL, type LoadThread } from "./billing-load.ts";
import { startFakeStripeThread, type FakeStripeThread } from "./billing-stripe.ts";

const DATA_DIR = ".data/bench-billing-pg";
const PORT = Number(process.env.BENCH_PG_PORT ?? 54370);
const DATABASE = "waitify_bench_billing";
const WEBHOOK_SECRET = "whsec_waitify_bench_billing";
/** The production defaults (lib/config.ts), as `npm start` would run. */
export const DEFAULTS = loadConfig({});

export interface BillingEnvironment {
  urls: DatabaseUrls;
  databaseRootUrl: string;
  /** Owner pool: set-up and checks. */
  owner: pg.Pool;
  fake: FakeStripeThread;
  load: LoadThread;
  /** Price ids stripe:sync recorded, per plan. */
  prices: Record<string, { licensed: string; overage: string }>;
  /** Stops the worker and starts another with `concurrency` jobs at once. */
  restartWorker(concurrency: number): Promise<void>;
  stopWorker(): Promise<void>;
  /** The bench-only trigger that NOTIFYs each status change (the status delay run). */
  notifyStatusChanges(): Promise<void>;
  stop(): Promise<void>;
}

export async function startBillingEnvironment(): Promise<BillingEnvironment> {
  const stops: Array<() => Promise<void>> = [];
  // Once, whoever asks first (the end of the run, a failure, Ctrl-C): later calls wait for it.
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      for (const step of stops.reverse()) await step().catch((error: unknown) => console.error("bench stop:", error));
    })());
  try {
    const cluster = await startOwnCluster({
      dataDir: DATA_DIR,
      port: PORT,
      // Durable commits, as in production: a webhook is acknowledged once its event is on disk.
      settings: { max_connections: "200", synchronous_commit: process.env.BENCH_SYNCHRONOUS_COMMIT ?? "on", ...profileSettings },
    });
    stops.push(cluster.stop);
    const urls = await freshBenchDatabase(cluster.rootUrl, DATABASE);
    // The superuser on the bench database: the bench-only trigger, BENCH_PROFILE's statistics.
    const databaseRootUrl = withDatabase(cluster.rootUrl, DATABASE);
    if (PROFILE) await startProfile(databaseRootUrl);
    const owner = new pg.Pool({ connectionString: urls.ownerUrl, max: 4 });
    owner.on("error", () => {});
    stops.push(() => owner.end());

    const fake = await startFakeStripeThread();
    stops.push(() => fake.close());
    // One client for the API server and the worker, as lib/lifecycle.ts makes it.
    const stripe: Stripe = makeStripe({ STRIPE_SECRET_KEY: FAKE_STRIPE_KEY, STRIPE_API_URL: await fake.call("url", undefined) })!;
    const client = await owner.connect();
    try {
      await syncStripeCatalog(stripe, client);
    } finally {
      client.release();
    }
    const { rows } = await owner.query<{ plan: string; kind: string; stripe_price_id: string }>(
      `select p.name as plan, sp.kind, sp.stripe_price_id from app_private.stripe_prices sp
         join app_public.subscription_plans p on p.id = sp.plan_id
        where sp.billing_interval = 'month'`,
    );
    const prices: BillingEnvironment["prices"] = {};
    for (const row of rows) (prices[row.plan] ??= { licensed: "", overage: "" })[row.kind as "licensed" | "overage"] = row.stripe_price_id;

    let worker: WorkerHandle | undefined;
    const startBenchWorker = async (concurrency: number) => {
      worker = await startWorker({ connectionString: urls.ownerUrl, concurrency, stripe });
    };
    const stopWorker = async () => {
      await worker?.stop();
      worker = undefined;
    };
    await startBenchWorker(DEFAULTS.WORKER_CONCURRENCY);
    stops.push(() => worker?.stop() ?? Promise.resolve());

    const http = await startHttp({
      host: "127.0.0.1",
      port: 0,
      authUrl: urls.authUrl,
      development: false,
      poolSize: DEFAULTS.DATABASE_POOL_SIZE,
      // /health asks whichever worker runs now.
      worker: { state: () => worker?.state() ?? "off", stop: async () => {} },
      // A load test: its clients all come from 127.0.0.1 (RATE_LIMITS=off).
      rateLimits: rateLimitsOff,
      jwt: { keys: generateJwtKeys(), issuer: "waitify-bench", audience: "waitify-bench", expiresIn: "1h" },
      stripe,
      stripeWebhookSecret: WEBHOOK_SECRET,
    });
    stops.push(http.close);

    const load = await startLoadThread({
      webhookUrl: `http://127.0.0.1:${http.port}${STRIPE_WEBHOOK_PATH}`,
      secret: WEBHOOK_SECRET,
      databaseUrl: urls.ownerUrl,
    });
    stops.push(() => load.close());

    return {
      urls,
      databaseRootUrl,
      owner,
      fake,
      load,
      prices,
      async restartWorker(concurrency) {
        await stopWorker();
        await startBenchWorker(concurrency);
      },
      stopWorker,
      async notifyStatusChanges() {
        // Not product code: only this benchmark's database gets it, to see a
        // status change the moment it commits without polling.
        const admin = new pg.Client({ connectionString: databaseRootUrl });
        await admin.connect();
        try {
          await admin.query(`
            create or replace function public.bench_notify_status() returns trigger language plpgsql as $$
            begin
              perform pg_notify('${STATUS_CHANNEL}', new.id::text || ' ' || new.subscription_status::text);
              return null;
            end $$;
            create or replace trigger bench_notify_status after update of subscription_status on app_public.users
              for each row when (old.subscription_status is distinct from new.subscription_status)
              execute function public.bench_notify_status();`);
        } finally {
          await admin.end();
        }
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
