// The realtime benchmark's world: an embedded PostgreSQL of its own
// (.data/bench-realtime-pg, port 54386, durable commits), a fresh database
// with the committed and current migrations, BENCH_QUEUES merchants each with
// an open queue of BENCH_CUSTOMERS waiting customers, and the API server in a
// child process (bench/realtime-server.ts). `stop()` undoes all of it, in
// reverse, whatever failed.
import { fork, type ChildProcess } from "node:child_process";
import pg from "pg";
import { signToken, type JwtSettings } from "../lib/auth/jwt.ts";
import { generateJwtKeys } from "../lib/auth/keys.ts";
import { loadConfig } from "../lib/config.ts";
import type { DatabaseUrls } from "../lib/db/setup.ts";
import { withDatabase } from "../lib/db/urls.ts";
import { freshBenchDatabase, startOwnCluster } from "./bench-cluster.ts";
import type { MemoryReport, ServerSettings } from "./realtime-server.ts";

const DATA_DIR = ".data/bench-realtime-pg";
const PORT = Number(process.env.BENCH_PG_PORT ?? 54386);
const DATABASE = "waitify_bench_realtime";

export interface BenchQueue {
  index: number;
  userId: string;
  queueId: string;
  qrToken: string;
  /** The merchant's session. */
  token: string;
  /** The waiting customers' entry tokens, in join order. */
  entryTokens: string[];
}

export interface RealtimeEnvironment {
  urls: DatabaseUrls;
  databaseRootUrl: string;
  /** Owner pool: set-up and the measured changes. */
  owner: pg.Pool;
  queues: BenchQueue[];
  /** ws://…/graphql of the server under test. */
  wsUrl: string;
  /** The server process's memory after a full GC, and its open sockets. */
  memory(): Promise<MemoryReport>;
  stop(): Promise<void>;
}

export interface EnvironmentSettings {
  queues: number;
  customers: number;
  poolSize: number;
}

export async function startRealtimeEnvironment(settings: EnvironmentSettings): Promise<RealtimeEnvironment> {
  const stops: Array<() => Promise<void>> = [];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      for (const step of stops.reverse()) await step().catch((error: unknown) => console.error("bench stop:", error));
    })());
  try {
    const cluster = await startOwnCluster({
      dataDir: DATA_DIR,
      port: PORT,
      // Durable commits, as in production: the delay is measured from a commit on disk.
      settings: { max_connections: "200", synchronous_commit: process.env.BENCH_SYNCHRONOUS_COMMIT ?? "on" },
    });
    stops.push(cluster.stop);
    const urls = await freshBenchDatabase(cluster.rootUrl, DATABASE);
    const owner = new pg.Pool({ connectionString: urls.ownerUrl, max: 8 });
    owner.on("error", () => {});
    stops.push(() => owner.end());

    const jwt: JwtSettings = { keys: generateJwtKeys(), issuer: "waitify-bench", audience: "waitify-bench", expiresIn: "1h" };
    const queues = await seed(owner, jwt, settings);

    const server = await startServerProcess({ authUrl: urls.authUrl, jwt, poolSize: settings.poolSize });
    stops.push(server.stop);
    return {
      urls,
      databaseRootUrl: withDatabase(cluster.rootUrl, DATABASE),
      owner,
      queues,
      wsUrl: `ws://127.0.0.1:${server.port}/graphql`,
      memory: () => server.call("memory") as Promise<MemoryReport>,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Merchants on the enterprise plan, each with a business whose queue is open and holds `customers` waiting. */
async function seed(owner: pg.Pool, jwt: JwtSettings, settings: EnvironmentSettings): Promise<BenchQueue[]> {
  const queues: BenchQueue[] = [];
  for (let index = 0; index < settings.queues; index++) {
    const { rows } = await owner.query<{ id: string }>(
      "select id from app_private.create_account($1, 'Bench', $2, 'password')",
      [`bench-rt-${index}@example.test`, `Merchant ${index}`],
    );
    const userId = rows[0]!.id;
    await owner.query(
      `update app_public.users set subscription_status = 'active',
         subscription_plan_id = (select id from app_public.subscription_plans where name = 'enterprise')
       where id = $1`,
      [userId],
    );
    const business = await owner.query<{ id: string }>(
      "insert into app_public.businesses (user_id, name, business_type) values ($1, $2, 'bakery') returning id",
      [userId, `Boulangerie ${index}`],
    );
    const queue = await owner.query<{ id: string; qr_code_token: string }>(
      `update app_public.queues set is_queue_active = true, max_queue_size = 200
        where business_id = $1 returning id, qr_code_token`,
      [business.rows[0]!.id],
    );
    const { id: queueId, qr_code_token: qrToken } = queue.rows[0]!;
    const joined = await owner.query<{ entry_token: string }>(
      `select (app_public.join_queue($1, format('+3361%s%s', lpad($2::text, 3, '0'), lpad(i::text, 4, '0')))).entry_token
         from generate_series(1, $3) i`,
      [qrToken, index, settings.customers],
    );
    const token = signToken({ role: "waitify_merchant", user_id: userId, sub: userId }, jwt);
    queues.push({ index, userId, queueId, qrToken, token, entryTokens: joined.rows.map((row) => row.entry_token) });
  }
  return queues;
}

interface ServerProcess {
  port: number;
  call(op: "memory" | "stop"): Promise<unknown>;
  stop(): Promise<void>;
}

/** The API server in its own Node process (same Node, type stripping), with --expose-gc. */
async function startServerProcess(settings: ServerSettings): Promise<ServerProcess> {
  const child: ChildProcess = fork(new URL("./realtime-server.ts", import.meta.url), [], {
    // BENCH_CPU_PROFILE=<folder>: a V8 CPU profile of the server process (chrome://inspect, speedscope).
    execArgv: ["--expose-gc", ...(process.env.BENCH_CPU_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : [])],
    env: {
      ...process.env,
      BENCH_SERVER_SETTINGS: JSON.stringify(settings),
      // The production defaults of lib/config.ts, quiet logs.
      NODE_ENV: "production",
      GRAPHILE_ENV: "production",
      LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
      DATABASE_POOL_SIZE: String(loadConfig({}).DATABASE_POOL_SIZE),
    },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const pending = new Map<number, (result: unknown) => void>();
  let nextId = 1;
  const port = await new Promise<number>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the server process exited (${code}) before listening`)));
    child.on("message", (message: { ready?: boolean; port?: number; id?: number; result?: unknown }) => {
      if (message.ready) resolve(message.port!);
      else if (message.id !== undefined) {
        pending.get(message.id)?.(message.result);
        pending.delete(message.id);
      }
    });
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  const call = (op: "memory" | "stop") =>
    new Promise<unknown>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      child.send({ op, id });
    });
  return {
    port,
    call,
    async stop() {
      if (child.exitCode !== null) return;
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await Promise.race([call("stop"), exited]);
      await exited;
      clearTimeout(timer);
    },
  };
}
