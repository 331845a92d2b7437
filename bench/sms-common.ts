// Shared set-up of the SMS benchmarks: a fresh, migrated database on a
// PostgreSQL server (BENCH_DATABASE_URL, a superuser URL, else an embedded
// cluster under .data/bench-sms-pg, port 54360, synchronous_commit from
// BENCH_SYNCHRONOUS_COMMIT, default on),
// merchants with open queues, a worker
// process (`node server.ts worker`) pointed at a local SNS endpoint, and the
// statistics both benchmarks print.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import pg from "pg";
import { embeddedUrls } from "../lib/db/database.ts";
import { startEmbeddedPostgres } from "../lib/db/embedded.ts";
import { applyCurrentMigration, migrateDatabase } from "../lib/db/migrate.ts";
import { setupDatabase, type DatabaseUrls } from "../lib/db/setup.ts";
import { ident } from "../lib/db/urls.ts";

const root = path.join(import.meta.dirname, "..");

export interface BenchDatabase extends DatabaseUrls {
  name: string;
  owner: pg.Pool;
  drop(): Promise<void>;
}

export async function openBenchDatabase(label: string): Promise<BenchDatabase> {
  const external = process.env.BENCH_DATABASE_URL;
  const cluster = external
    ? { rootUrl: external, stop: async () => {} }
    : // Its own embedded cluster: the queue benchmark stops its cluster when it ends.
      await startEmbeddedPostgres({
        dataDir: ".data/bench-sms-pg",
        port: 54360,
        settings: { max_connections: "200", synchronous_commit: process.env.BENCH_SYNCHRONOUS_COMMIT ?? "on" },
      });
  const name = `waitify_bench_${label}_${randomBytes(3).toString("hex")}`;
  const urls = embeddedUrls(cluster.rootUrl, name);
  await setupDatabase(cluster.rootUrl, { ...urls, shadowUrl: undefined });
  await migrateDatabase(urls);
  // Work in progress is benchmarked too (empty once committed).
  await applyCurrentMigration(urls);
  const owner = new pg.Pool({ connectionString: urls.ownerUrl, max: 16 });
  owner.on("error", () => {});
  return {
    ...urls,
    name,
    owner,
    async drop() {
      await owner.end();
      const admin = new pg.Client({ connectionString: cluster.rootUrl });
      await admin.connect();
      await admin.query(`drop database if exists ${ident(name)} with (force)`);
      await admin.end();
      await cluster.stop();
    },
  };
}

export interface BenchQueue {
  userId: string;
  businessId: string;
  queueId: string;
  qrToken: string;
}

/** `count` merchants (enterprise plan), each with one business and its open queue of 200 places. */
export async function createQueues(db: BenchDatabase, count: number, businessName = "Boulangerie Paul"): Promise<BenchQueue[]> {
  const queues: BenchQueue[] = [];
  for (let i = 0; i < count; i++) {
    const { rows } = await db.owner.query<{ user_id: string }>(
      "select (app_public.register($1, 'bench password 123', 'Bench', 'Merchant')).user_id",
      [`bench-${i}-${randomBytes(3).toString("hex")}@example.test`],
    );
    const userId = rows[0]!.user_id;
    const business = await db.owner.query<{ id: string }>(
      "insert into app_public.businesses (user_id, name, business_type) values ($1, $2, 'bakery') returning id",
      [userId, `${businessName} ${i + 1}`],
    );
    const queue = await db.owner.query<{ id: string; qr_code_token: string }>(
      `update app_public.queues set is_queue_active = true, max_queue_size = 200
        where business_id = $1 returning id, qr_code_token`,
      [business.rows[0]!.id],
    );
    queues.push({ userId, businessId: business.rows[0]!.id, queueId: queue.rows[0]!.id, qrToken: queue.rows[0]!.qr_code_token });
  }
  return queues;
}

/** A French mobile number unique per index. */
export const benchPhone = (index: number) => `+336${String(10_000_000 + index).slice(-8)}`;

/** `node server.ts worker` against the bench database and the local SNS endpoint. */
export function spawnWorker(db: BenchDatabase, snsUrl: string, concurrency: number): ChildProcess {
  return spawn(path.join(root, "node_modules", ".bin", "node"), ["server.ts", "worker"], {
    cwd: root,
    stdio: ["ignore", "ignore", "ignore"],
    env: {
      ...process.env,
      NODE_ENV: "development",
      GRAPHILE_ENV: "production",
      LOG_LEVEL: "error",
      DATABASE_URL: db.ownerUrl,
      AUTH_DATABASE_URL: db.authUrl,
      MIGRATE_ON_START: "false",
      WORKER_CONCURRENCY: String(concurrency),
      SMS_PROVIDER: "sns",
      SNS_ENDPOINT: snsUrl,
      AWS_REGION: "eu-west-3",
      AWS_ACCESS_KEY_ID: "AKIABENCHBENCHBENCH",
      AWS_SECRET_ACCESS_KEY: "bench-secret",
      PUBLIC_URL: "https://bench.waitify.example",
    },
  });
}

/** Resolves when a worker started after `since` (ms epoch) has registered its LISTEN: it takes jobs. */
export async function waitForListener(db: BenchDatabase, since: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await db.owner.query(
      `select 1 from pg_stat_activity
        where datname = current_database() and query ilike 'listen%jobs:insert%'
          and backend_start >= to_timestamp($1 / 1000.0)`,
      [since],
    );
    if (rows.length > 0) return;
    if (Date.now() > deadline) throw new Error("worker did not start listening");
    await sleep(20);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const now = () => performance.timeOrigin + performance.now();

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** The entry token in a message's status link. */
export function tokenOf(message: string): string | undefined {
  return /\/e\/([A-Za-z0-9_-]{32})/.exec(message)?.[1];
}

/** The message type, from the French default texts. */
export function typeOf(message: string): string {
  if (message.startsWith("Votre place #")) return "confirmation";
  if (message.startsWith("Plus que")) return "reminder";
  if (message.startsWith("C'est votre tour")) return "your_turn";
  if (message.startsWith("Votre tour")) return "missed";
  if (message.startsWith("Votre place chez")) return "cancelled";
  return "unknown";
}
