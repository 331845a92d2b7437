// Stall benchmark (`npm run bench -- stall`): how long one request can hold
// the server's event loop, with the query limits off (QUERY_LIMITS=off, the
// server before issue 11) and on (the defaults of lib/config.ts).
//
// One embedded PostgreSQL (.data/bench-stall-pg, port 54380), a merchant with
// a business, 3 queues and 60 customers, and two API servers in this process
// on that database: limits off and limits on. Each document below is sent as
// the merchant, RUNS times, each time with a new comment so that it is a
// document the server has never seen (planned anew, as an attacker would make
// it). For each request: the event loop's longest block while it was handled
// (perf_hooks.monitorEventLoopDelay, 1 ms resolution) and the slowest
// /health/live answer seen meanwhile by a probe in a worker thread (every 10 ms).
//
// Documents:
// - aliases: 2,000 aliases of allQueueEntries(first: N) { totalCount } (88 KB), the attack;
// - nesting: myBusinesses → queues → business → queues …, businesses and queues alternating 34 levels deep;
// - hugePage: allQueueEntries(first: 2147483647) { nodes { … } };
// - widest allowed: about the largest document the default limits let through
//   (6 aliases of three nested connections: 18 of the 20 connections allowed):
//   what a request within the limits may still cost.
//
// Settings: BENCH_STALL_RUNS (5; the limits-off aliases document runs once:
// it blocks for minutes), BENCH_PG_PORT (54380).
import { monitorEventLoopDelay } from "node:perf_hooks";
import { randomBytes } from "node:crypto";
import http from "node:http";
import { Worker } from "node:worker_threads";
import pg from "pg";
import { generateJwtKeys } from "../lib/auth/keys.ts";
import { signToken, type JwtSettings } from "../lib/auth/jwt.ts";
import { defaultQueryLimits } from "../lib/graphql/limits.ts";
import { startHttp, type HttpHandle } from "../lib/http/app.ts";
import { rateLimitsOff } from "../lib/http/rate-limit/settings.ts";
import { workerOff } from "../lib/worker.ts";
import { freshBenchDatabase, startOwnCluster } from "./bench-cluster.ts";
import { post } from "./http-post.ts";

const RUNS = Number(process.env.BENCH_STALL_RUNS ?? 5);
const PORT = Number(process.env.BENCH_PG_PORT ?? 54380);
const DATA_DIR = ".data/bench-stall-pg";
const DATABASE = "waitify_bench_stall";

const documents: Record<string, () => string> = {
  aliases: () => `{${Array.from({ length: 2000 }, (_, i) => ` a${i}: allQueueEntries(first: ${(i % 1000) + 1}) { totalCount }`).join("")} }`,
  nesting: () => {
    let inner = "name";
    for (let level = 0; level < 17; level++) inner = `queues { nodes { business { ${inner} } } }`;
    return `{ myBusinesses { nodes { ${inner} } } }`;
  },
  hugePage: () => "{ allQueueEntries(first: 2147483647) { nodes { rowId phone status ticketNumber joinedAt } } }",
  "widest allowed": () =>
    `{${Array.from(
      { length: Math.floor(defaultQueryLimits.maxLists / 3) },
      (_, i) => ` a${i}: myBusinesses(first: 5) { nodes { name queues(first: 5) { nodes { name entries(first: ${i + 1}) { nodes { phone status } } } } } }`,
    ).join("")} }`,
};

interface Measure {
  status: number;
  code: string;
  ms: number;
  blockMs: number;
  liveMs: number;
}

export default async function stallBench(): Promise<void> {
  console.log(`stall bench: ${RUNS} runs per document and server`);
  const cluster = await startOwnCluster({ dataDir: DATA_DIR, port: PORT, settings: { max_connections: "100" } });
  const servers: HttpHandle[] = [];
  let probe: Worker | undefined;
  try {
    const urls = await freshBenchDatabase(cluster.rootUrl, DATABASE);
    const jwt: JwtSettings = { keys: generateJwtKeys(), issuer: "waitify-bench", audience: "waitify-bench", expiresIn: "1h" };
    const token = await setUp(urls.ownerUrl, jwt);

    const start = (enabled: boolean) =>
      startHttp({
        host: "127.0.0.1",
        port: 0,
        authUrl: urls.authUrl,
        development: false,
        poolSize: 10,
        worker: workerOff,
        // A load test: its clients all come from 127.0.0.1 (RATE_LIMITS=off).
        rateLimits: rateLimitsOff,
        jwt,
        limits: { ...defaultQueryLimits, enabled },
        statementTimeoutMs: enabled ? 5_000 : undefined,
      });
    const off = await start(false);
    servers.push(off);
    const on = await start(true);
    servers.push(on);
    probe = new Worker(new URL("./stall-probe.ts", import.meta.url), { workerData: { url: `http://127.0.0.1:${on.port}/health/live` } });
    const results: Record<string, Record<string, Measure[]>> = {};
    for (const [name, document] of Object.entries(documents)) {
      for (const [label, server] of [
        ["limits off", off],
        ["limits on", on],
      ] as const) {
        const runs = name === "aliases" && label === "limits off" ? 1 : RUNS;
        // The probe watches the server being measured: both live in this process anyway.
        const measures: Measure[] = [];
        for (let run = 0; run < runs; run++) {
          const measure = await measureRequest(server.port, token, `# ${randomBytes(6).toString("hex")}\n${document()}`, probe);
          console.log(`  ${name.padEnd(15)} ${label.padEnd(10)} run ${run + 1}: ${format(measure)}`);
          measures.push(measure);
        }
        (results[name] ??= {})[label] = measures;
      }
    }
    console.log("\nper document and server: event-loop block median / worst, slowest /health/live meanwhile, answer");
    for (const [name, byServer] of Object.entries(results)) {
      for (const [label, measures] of Object.entries(byServer)) {
        const blocks = measures.map((measure) => measure.blockMs).sort((a, b) => a - b);
        const median = blocks[Math.floor((blocks.length - 1) / 2)]!;
        const live = Math.max(...measures.map((measure) => measure.liveMs));
        const last = measures.at(-1)!;
        console.log(
          `  ${name.padEnd(15)} ${label.padEnd(10)} block ${median.toFixed(0)} / ${blocks.at(-1)!.toFixed(0)} ms, /health/live ≤ ${live.toFixed(0)} ms, ${last.status} ${last.code}`,
        );
      }
    }
  } finally {
    probe?.postMessage("stop");
    for (const server of servers.reverse()) await server.close().catch((error: unknown) => console.error("bench stop:", error));
    await cluster.stop();
  }
}

function format(measure: Measure): string {
  return `block ${measure.blockMs.toFixed(0)} ms, /health/live ${measure.liveMs.toFixed(0)} ms, answer ${measure.status} ${measure.code} in ${measure.ms.toFixed(0)} ms`;
}

async function measureRequest(port: number, token: string, query: string, probe: Worker): Promise<Measure> {
  const agent = new http.Agent({ keepAlive: false });
  await window(probe); // starts the probe's window
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const started = performance.now();
  const response = await post(`http://127.0.0.1:${port}/graphql`, JSON.stringify({ query }), agent, {
    accept: "application/json",
    authorization: `Bearer ${token}`,
  });
  const ms = performance.now() - started;
  histogram.disable();
  const live = await window(probe);
  agent.destroy();
  let code = "ok";
  try {
    const body = JSON.parse(response.body) as { errors?: Array<{ extensions?: { code?: string } }> };
    if (body.errors?.length) code = body.errors[0]?.extensions?.code ?? "uncoded";
  } catch {
    code = "unreadable";
  }
  return { status: response.status, code, ms, blockMs: histogram.max / 1e6, liveMs: live.worstMs };
}

function window(probe: Worker): Promise<{ worstMs: number; probes: number }> {
  return new Promise((resolve) => {
    probe.once("message", resolve);
    probe.postMessage("window");
  });
}

/** A merchant with a business, 3 open queues and 60 customers waiting; its session token. */
async function setUp(ownerUrl: string, jwt: JwtSettings): Promise<string> {
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  try {
    const { rows } = await owner.query<{ user_id: string }>(
      "select (app_public.register('stall@example.test', 'bench password 123', 'Bench', 'Merchant')).user_id",
    );
    const userId = rows[0]!.user_id;
    const business = await owner.query<{ id: string }>(
      "insert into app_public.businesses (user_id, name, business_type) values ($1, 'Stall Bakery', 'bakery') returning id",
      [userId],
    );
    const businessId = business.rows[0]!.id;
    await owner.query(
      `insert into app_public.queues (business_id, user_id, name, qr_code_token, is_queue_active, max_queue_size)
       select $1, $2, 'Stall ' || n, 'stall-queue-' || lpad(n::text, 12, '0'), true, 200 from generate_series(1, 2) n`,
      [businessId, userId],
    );
    await owner.query("update app_public.queues set is_queue_active = true where business_id = $1", [businessId]);
    await owner.query(
      `select app_public.join_queue(q.qr_code_token, '+336' || lpad((q.n * 100 + g)::text, 8, '0'), null)
         from (select qr_code_token, row_number() over (order by created_at) as n from app_public.queues where business_id = $1) q,
              generate_series(1, 20) g`,
      [businessId],
    );
    return signToken({ role: "waitify_merchant", user_id: userId, sub: userId }, jwt);
  } finally {
    await owner.end();
  }
}
