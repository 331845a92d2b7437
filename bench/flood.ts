// Flood benchmark (`npm run bench -- flood`): several clients each sending
// ten times the per-client limit (RATE_LIMIT_REQUESTS, 1000 a minute), with
// the rate limits on (production defaults) and off (RATE_LIMITS=off, the
// server before issue 11). Measured, per mode:
// - the share of flooding requests answered 429;
// - p50 / p99 / worst latency of /health/live (probed every 100 ms) and of a
//   well-behaved client (2 requests a second, its own address), first for a
//   few calm seconds, then during the flood;
// - the server's CPU (its own process: bench/flood-server.ts), as a share of one core;
// - the database's rate-limit rows at the end.
//
// The request is the QR page's hot path: POST /graphql queueStatus(qrToken),
// anonymous. Each client has its own address (X-Forwarded-For; the server
// trusts the loopback proxy). Flooders are paced (a timer every 10 ms sends
// what the target rate calls for) with at most BENCH_FLOOD_INFLIGHT requests
// in flight each: a server slower than the flood is not sent more than it
// can take (what was not sent is reported).
//
// Settings: BENCH_FLOOD_SECONDS (30), BENCH_FLOOD_CLIENTS (4),
// BENCH_FLOOD_FACTOR (10, × the per-client limit), BENCH_FLOOD_INFLIGHT (16),
// BENCH_PG_PORT (54388).
import { fork } from "node:child_process";
import http from "node:http";
import pg from "pg";
import { defaultRateLimits } from "../lib/http/rate-limit/settings.ts";
import { freshBenchDatabase, startOwnCluster } from "./bench-cluster.ts";
import type { FloodServerRequest, FloodServerSettings } from "./flood-server.ts";
import { post } from "./http-post.ts";

const SECONDS = Number(process.env.BENCH_FLOOD_SECONDS ?? 30);
const CLIENTS = Number(process.env.BENCH_FLOOD_CLIENTS ?? 4);
const FACTOR = Number(process.env.BENCH_FLOOD_FACTOR ?? 10);
const INFLIGHT = Number(process.env.BENCH_FLOOD_INFLIGHT ?? 16);
const PORT = Number(process.env.BENCH_PG_PORT ?? 54388);
const CALM_SECONDS = 5;
const DATA_DIR = ".data/bench-flood-pg";
const DATABASE = "waitify_bench_flood";
const QR_TOKEN = "flood-queue-000000000001";

const QUERY = JSON.stringify({
  query: "query Status($qrToken: String!) { queueStatus(qrToken: $qrToken) { businessName isOpen waitingCount estimatedWaitMinutes } }",
  variables: { qrToken: QR_TOKEN },
});

interface Latencies {
  ms: number[];
  statuses: Map<number, number>;
}

export default async function floodBench(): Promise<void> {
  const perClientPerSecond = (defaultRateLimits.requests.points / defaultRateLimits.requests.seconds) * FACTOR;
  console.log(
    `flood bench: ${CLIENTS} clients × ${perClientPerSecond.toFixed(0)} requests/s (${FACTOR}× ${defaultRateLimits.requests.points}/${defaultRateLimits.requests.seconds} s) for ${SECONDS} s, limits on then off`,
  );
  const cluster = await startOwnCluster({ dataDir: DATA_DIR, port: PORT, settings: { max_connections: "100" } });
  try {
    const urls = await freshBenchDatabase(cluster.rootUrl, DATABASE);
    await setUp(urls.ownerUrl);
    for (const rateLimits of [true, false]) {
      const server = await startServer({ authUrl: urls.authUrl, rateLimits, poolSize: 20 });
      try {
        const base = `http://127.0.0.1:${server.port}`;
        // Warm up: plans, connections.
        const warm = new http.Agent({ keepAlive: true });
        for (let i = 0; i < 20; i++) await post(`${base}/graphql`, QUERY, warm, { accept: "application/json", "x-forwarded-for": "10.9.0.1" });
        warm.destroy();

        const calm = await measureClients(base, CALM_SECONDS, () => Promise.resolve());
        const cpuBefore = await server.call("cpu");
        const flooders: FloodReport[] = [];
        const flood = await measureClients(base, SECONDS, async () => {
          flooders.push(...(await Promise.all(Array.from({ length: CLIENTS }, (_, i) => floodClient(base, `10.0.${i}.1`, perClientPerSecond, SECONDS)))));
        });
        const cpuMs = (await server.call("cpu")) - cpuBefore;
        const rows = await countRows(urls.ownerUrl);

        const sent = flooders.reduce((sum, report) => sum + report.sent, 0);
        const refused = flooders.reduce((sum, report) => sum + (report.statuses.get(429) ?? 0), 0);
        const unsent = flooders.reduce((sum, report) => sum + report.unsent, 0);
        const errors = flooders.reduce((sum, report) => sum + report.errors, 0);
        console.log(`\n${rateLimits ? "rate limits ON (defaults)" : "rate limits OFF"}`);
        console.log(
          `  flood: ${sent} requests sent (${(sent / SECONDS).toFixed(0)}/s; ${unsent} not sent, server too slow), ${pct(refused, sent)} answered 429, statuses ${formatStatuses(flooders.map((report) => report.statuses))}, ${errors} connection errors`,
        );
        console.log(`  /health/live   calm ${formatLatencies(calm.health)}   flood ${formatLatencies(flood.health)}`);
        console.log(`  normal client  calm ${formatLatencies(calm.normal)}   flood ${formatLatencies(flood.normal)}`);
        console.log(`  server CPU during the flood: ${((cpuMs / (SECONDS * 1000)) * 100).toFixed(0)} % of one core; rate-limit rows: ${rows}`);
      } finally {
        await server.stop();
      }
    }
  } finally {
    await cluster.stop();
  }
}

interface FloodReport {
  sent: number;
  unsent: number;
  errors: number;
  statuses: Map<number, number>;
}

/** One flooding client: `perSecond` requests a second from `address` for `seconds`. */
async function floodClient(base: string, address: string, perSecond: number, seconds: number): Promise<FloodReport> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: INFLIGHT });
  const report: FloodReport = { sent: 0, unsent: 0, errors: 0, statuses: new Map() };
  const started = performance.now();
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = (performance.now() - started) / 1000;
      if (elapsed >= seconds) {
        clearInterval(timer);
        return resolve();
      }
      const due = Math.floor(elapsed * perSecond) - report.sent - report.unsent;
      for (let i = 0; i < due; i++) {
        if (inFlight >= INFLIGHT) {
          report.unsent++;
          continue;
        }
        inFlight++;
        report.sent++;
        const request = post(`${base}/graphql`, QUERY, agent, { accept: "application/json", "x-forwarded-for": address })
          .then(
            (response) => void report.statuses.set(response.status, (report.statuses.get(response.status) ?? 0) + 1),
            () => void report.errors++,
          )
          .finally(() => {
            inFlight--;
            pending.delete(request);
          });
        pending.add(request);
      }
    }, 10);
  });
  await Promise.all(pending);
  agent.destroy();
  return report;
}

/** /health/live every 100 ms and a well-behaved client twice a second, while `during` runs (at least `seconds`). */
async function measureClients(base: string, seconds: number, during: () => Promise<void>): Promise<{ health: Latencies; normal: Latencies }> {
  const health: Latencies = { ms: [], statuses: new Map() };
  const normal: Latencies = { ms: [], statuses: new Map() };
  const agent = new http.Agent({ keepAlive: true });
  let running = true;
  const loop = async (every: number, call: () => Promise<number>, into: Latencies) => {
    while (running) {
      const started = performance.now();
      const status = await call().catch(() => 0);
      into.ms.push(performance.now() - started);
      into.statuses.set(status, (into.statuses.get(status) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, every - (performance.now() - started))));
    }
  };
  const probes = [
    loop(100, () => get(`${base}/health/live`, agent), health),
    loop(500, () => post(`${base}/graphql`, QUERY, agent, { accept: "application/json", "x-forwarded-for": "10.1.0.1" }).then((r) => r.status), normal),
  ];
  await Promise.all([during(), new Promise((resolve) => setTimeout(resolve, seconds * 1000))]);
  running = false;
  await Promise.all(probes);
  agent.destroy();
  return { health, normal };
}

function get(url: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
      })
      .on("error", reject);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? NaN;
}

function formatLatencies(latencies: Latencies): string {
  const sorted = [...latencies.ms].sort((a, b) => a - b);
  const statuses = [...latencies.statuses].map(([status, count]) => `${status}×${count}`).join(" ");
  return `p50 ${percentile(sorted, 0.5).toFixed(1)} / p99 ${percentile(sorted, 0.99).toFixed(1)} / max ${(sorted.at(-1) ?? NaN).toFixed(1)} ms (${statuses})`;
}

function formatStatuses(all: Map<number, number>[]): string {
  const total = new Map<number, number>();
  for (const statuses of all) for (const [status, count] of statuses) total.set(status, (total.get(status) ?? 0) + count);
  return [...total].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`).join(" ");
}

const pct = (part: number, whole: number) => `${whole ? ((part / whole) * 100).toFixed(1) : "0"} %`;

async function countRows(ownerUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ count: string }>("select count(*) from app_private.rate_limits");
    return Number(rows[0]!.count);
  } finally {
    await client.end();
  }
}

/** A merchant's open queue with a few customers: what queueStatus reads. */
async function setUp(ownerUrl: string): Promise<void> {
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  try {
    const { rows } = await owner.query<{ user_id: string }>(
      "select (app_public.register('flood@example.test', 'bench password 123', 'Bench', 'Merchant')).user_id",
    );
    const userId = rows[0]!.user_id;
    const business = await owner.query<{ id: string }>(
      "insert into app_public.businesses (user_id, name, business_type) values ($1, 'Flood Bakery', 'bakery') returning id",
      [userId],
    );
    await owner.query("update app_public.queues set qr_code_token = $2, is_queue_active = true where business_id = $1", [business.rows[0]!.id, QR_TOKEN]);
    await owner.query(`select app_public.join_queue($1, '+336' || lpad(g::text, 8, '0'), null) from generate_series(1, 10) g`, [QR_TOKEN]);
  } finally {
    await owner.end();
  }
}

async function startServer(settings: FloodServerSettings) {
  const child = fork(new URL("./flood-server.ts", import.meta.url), [], {
    env: { ...process.env, BENCH_SERVER_SETTINGS: JSON.stringify(settings), NODE_ENV: "production", GRAPHILE_ENV: "production", LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const pending = new Map<number, (result: number) => void>();
  let nextId = 1;
  const port = await new Promise<number>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the server process exited (${code}) before listening`)));
    child.on("message", (message: { ready?: boolean; port?: number; id?: number; result?: number }) => {
      if (message.ready) resolve(message.port!);
      else if (message.id !== undefined) {
        pending.get(message.id)?.(message.result ?? 0);
        pending.delete(message.id);
      }
    });
  });
  const exited = new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", () => resolve())));
  const call = (op: FloodServerRequest["op"]) =>
    new Promise<number>((resolve) => {
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
