// Queue engine benchmark (`npm run bench -- queue`), in one run:
//
// 1. joinQueue over HTTP (GraphQL, anonymous, keep-alive, N concurrent
//    clients in a worker thread) against pgbench calling the same SQL function
//    (app_public.join_queue, prepared, as the owner: the database's ceiling)
//    with the same number of clients. Target: HTTP ≥ 60 % of pgbench.
// 2. call_next with 5 and with 200 customers waiting, the queue kept at that
//    size (each call is followed, untimed, by a serve and a new join), at the
//    SQL level and over HTTP. Target: 200 waiting ≤ 1.2 × 5 waiting.
//
// Settings (environment): BENCH_SECONDS (3) per throughput phase,
// BENCH_CONCURRENCY (8), BENCH_ROUNDS (3), BENCH_CALLS (300) per call_next
// scenario, PGBENCH (/usr/bin/pgbench).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import pg from "pg";
import { signToken } from "../lib/auth/jwt.ts";
import { postJson } from "./http-post.ts";
import { startBenchEnvironment, type BenchEnvironment } from "./queue-env.ts";
import type { LoadResult, LoadSettings } from "./queue-load.ts";

const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const calls = Number(process.env.BENCH_CALLS ?? 300);
const pgbenchPath = process.env.PGBENCH ?? "/usr/bin/pgbench";
// Enough queues that none fills up (200) during a phase, so every join succeeds.
const QUEUES = 400;

interface Fixture {
  userId: string;
  businessId: string;
}

export default async function queueBench(): Promise<void> {
  console.log(`queue bench: ${seconds}s phases, ${concurrency} clients, ${rounds} rounds, ${calls} calls per call_next case`);
  const env = await startBenchEnvironment({ httpPoolSize: concurrency + 4 });
  try {
    const fixture = await setUp(env);
    const join = await joinThroughput(env);
    const callNext = await callNextScaling(env, fixture);
    report(join, callNext);
  } finally {
    await env.stop();
  }
}

async function setUp(env: BenchEnvironment): Promise<Fixture> {
  const { rows } = await env.owner.query<{ user_id: string }>(
    "select (app_public.register('bench@example.test', 'bench password 123', 'Bench', 'Merchant')).user_id",
  );
  const userId = rows[0]!.user_id;
  const business = await env.owner.query<{ id: string }>(
    "insert into app_public.businesses (user_id, name, business_type) values ($1, 'Bench Bakery', 'bakery') returning id",
    [userId],
  );
  const businessId = business.rows[0]!.id;
  await env.owner.query(
    `insert into app_public.queues (business_id, user_id, name, qr_code_token, is_queue_active, max_queue_size)
     select $1, $2, 'Bench ' || n, 'bench-queue-' || lpad(n::text, 12, '0'), true, 200 from generate_series(1, $3::int) n`,
    [businessId, userId, QUEUES],
  );
  return { userId, businessId };
}

/** Empties the queues so every phase starts from the same state. */
async function reset(env: BenchEnvironment): Promise<void> {
  await env.owner.query("truncate app_public.queue_entries, app_public.queue_events cascade");
  await env.owner.query("delete from graphile_worker._private_jobs");
}

interface Throughput {
  pgbench: number[];
  http: number[];
  httpErrors: Record<string, number>;
  pgbenchNote?: string;
}

async function joinThroughput(env: BenchEnvironment): Promise<Throughput> {
  const result: Throughput = { pgbench: [], http: [], httpErrors: {} };
  const settings: LoadSettings = { url: env.graphqlUrl, concurrency, queues: QUEUES };
  const worker = new Worker(new URL("./queue-load.ts", import.meta.url), { workerData: settings });
  const httpLoad = (durationMs: number) =>
    new Promise<LoadResult>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      worker.once("error", onError);
      worker.once("message", (message: LoadResult & { crash?: string }) => {
        worker.off("error", onError);
        if (message.crash) reject(new Error(message.crash));
        else resolve(message);
      });
      worker.postMessage(durationMs);
    });
  try {
    return await joinRounds(env, result, httpLoad);
  } finally {
    await worker.terminate();
  }
}

async function joinRounds(
  env: BenchEnvironment,
  result: Throughput,
  httpLoad: (durationMs: number) => Promise<LoadResult>,
): Promise<Throughput> {
  await reset(env);
  await httpLoad(3000); // warm-up: server and client JIT, plans, pooled connections
  const viaPgbench = async (round: number) => {
    await reset(env);
    if (!existsSync(pgbenchPath)) {
      result.pgbenchNote = `${pgbenchPath} not found: apt-get install postgresql-client (or set PGBENCH)`;
      return;
    }
    const tps = await pgbench(env, seconds);
    result.pgbench.push(tps);
    console.log(`  round ${round + 1}: pgbench join_queue  ${tps.toFixed(0)} tx/s`);
  };
  const viaHttp = async (round: number) => {
    await reset(env);
    const load = await httpLoad(seconds * 1000);
    const rps = load.ok / (load.elapsedMs / 1000);
    result.http.push(rps);
    for (const [code, n] of Object.entries(load.errors)) result.httpErrors[code] = (result.httpErrors[code] ?? 0) + n;
    console.log(`  round ${round + 1}: HTTP joinQueue      ${rps.toFixed(0)} req/s (${load.ok} ok)`);
  };
  // Alternating which goes first, so a drift in the machine's load hits both sides.
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      await viaPgbench(round);
      await viaHttp(round);
    } else {
      await viaHttp(round);
      await viaPgbench(round);
    }
  }
  await reset(env);
  return result;
}

async function pgbench(env: BenchEnvironment, durationSeconds: number): Promise<number> {
  const folder = await mkdtemp(path.join(os.tmpdir(), "waitify-bench-"));
  const script = path.join(folder, "join_queue.sql");
  // Same call as the HTTP side: a random bench queue, a random French mobile.
  await writeFile(
    script,
    [
      `\\set q random(1, ${QUEUES})`,
      "\\set p random(1000000, 9999999)",
      "select position from app_public.join_queue('bench-queue-' || lpad(:q::text, 12, '0'), '+3361' || :p, null);",
      "",
    ].join("\n"),
  );
  try {
    const args = ["-n", "-M", "prepared", "-c", String(concurrency), "-j", String(Math.min(concurrency, 2)), "-T"];
    const output = await runProcess(pgbenchPath, [...args, String(durationSeconds), "-f", script, env.urls.ownerUrl]);
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(output);
    if (!tps) throw new Error(`could not read pgbench's output:\n${output}`);
    if (/aborted|failed transactions: [1-9]/.test(output)) console.warn(`pgbench reported failures:\n${output}`);
    return Number(tps[1]);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

function runProcess(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} exited ${code}:\n${output}`))));
  });
}

interface Scaling {
  sql: Record<number, number[]>;
  http: Record<number, number[]>;
}

async function callNextScaling(env: BenchEnvironment, fixture: Fixture): Promise<Scaling> {
  const sizes = [5, 200] as const;
  // The merchant's own connection, as PostGraphile would make it.
  const merchant = new pg.Client({ connectionString: env.urls.authUrl });
  await merchant.connect();
  await merchant.query("set role waitify_merchant");
  await merchant.query("select set_config('jwt.claims.user_id', $1, false)", [fixture.userId]);
  const token = signToken({ role: "waitify_merchant", user_id: fixture.userId, sub: fixture.userId }, env.jwt);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let phoneCounter = 1_000_000;
  try {
    const queues: Record<number, { id: string; qr: string }> = {};
    for (const size of sizes) {
      const { rows } = await env.owner.query<{ id: string; qr_code_token: string }>(
        `insert into app_public.queues (business_id, user_id, name, is_queue_active, max_queue_size, auto_advance_enabled)
         values ($1, $2, $3, true, 200, false) returning id, qr_code_token`,
        [fixture.businessId, fixture.userId, `call_next ${size}`],
      );
      queues[size] = { id: rows[0]!.id, qr: rows[0]!.qr_code_token };
      for (let i = 0; i < size; i++) {
        await merchant.query("select app_public.join_queue($1, $2)", [rows[0]!.qr_code_token, `+3378${phoneCounter++}`]);
      }
    }
    await env.owner.query("vacuum analyze app_public.queue_entries, app_public.queue_events");

    // Keeps the queue at its size: the called customer is served, a newcomer joins.
    const refill = async (size: number, calledId: string) => {
      await merchant.query("select app_public.mark_served($1)", [calledId]);
      await merchant.query("select app_public.join_queue($1, $2)", [queues[size]!.qr, `+3378${phoneCounter++}`]);
    };
    const viaSql = async (size: number) => {
      const start = process.hrtime.bigint();
      const { rows } = await merchant.query<{ id: string }>("select id from app_public.call_next($1)", [queues[size]!.id]);
      const micros = Number(process.hrtime.bigint() - start) / 1000;
      await refill(size, rows[0]!.id);
      return micros;
    };
    const body = (size: number) =>
      JSON.stringify({
        query: "mutation($q: UUID!) { callNext(input: { queueId: $q }) { result { rowId } } }",
        variables: { q: queues[size]!.id },
      });
    const viaHttp = async (size: number) => {
      const start = process.hrtime.bigint();
      const reply = await postJson(env.graphqlUrl, body(size), agent, { authorization: `Bearer ${token}` });
      const micros = Number(process.hrtime.bigint() - start) / 1000;
      const parsed = JSON.parse(reply) as { data?: { callNext: { result: { rowId: string } } }; errors?: unknown };
      if (!parsed.data) throw new Error(`callNext failed: ${reply}`);
      await refill(size, parsed.data.callNext.result.rowId);
      return micros;
    };

    const result: Scaling = { sql: { 5: [], 200: [] }, http: { 5: [], 200: [] } };
    // Warm-up, then blocks alternating between the sizes so drift hits both alike.
    for (const size of sizes) {
      for (let i = 0; i < 20; i++) {
        await viaSql(size);
        await viaHttp(size);
      }
    }
    const block = 50;
    for (let done = 0; done < calls; done += block) {
      for (const size of sizes) for (let i = 0; i < block; i++) result.sql[size]!.push(await viaSql(size));
      for (const size of sizes) for (let i = 0; i < block; i++) result.http[size]!.push(await viaHttp(size));
    }
    const waiting = await env.owner.query<{ n: number }>(
      "select count(*)::int as n from app_public.queue_entries where queue_id = $1 and status = 'waiting'",
      [queues[200]!.id],
    );
    if (waiting.rows[0]!.n !== 200) throw new Error(`the 200 queue drifted to ${waiting.rows[0]!.n}`);
    return result;
  } finally {
    agent.destroy();
    await merchant.end();
  }
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
const mean = (values: number[]) => (values.length ? sum(values) / values.length : NaN);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function report(join: Throughput, scaling: Scaling): void {
  const lines: string[] = ["", "Queue engine benchmark"];
  const httpRate = mean(join.http);
  if (join.pgbench.length) {
    const pgRate = mean(join.pgbench);
    // Each round's two phases run back to back: their ratio is the least
    // disturbed by the machine's other work; the median of the rounds is reported.
    const ratios = join.http.map((rate, round) => rate / join.pgbench[round]!);
    const ratio = percentile(ratios, 50);
    lines.push(
      `  joinQueue, ${concurrency} clients: HTTP GraphQL ${httpRate.toFixed(0)} req/s, pgbench ${pgRate.toFixed(0)} tx/s (means);` +
        ` per round ${ratios.map((r) => `${(r * 100).toFixed(0)} %`).join(", ")}` +
        ` → median ${(ratio * 100).toFixed(0)} % of pgbench (target ≥ 60 %) ${ratio >= 0.6 ? "PASS" : "FAIL"}`,
    );
  } else {
    lines.push(`  joinQueue, ${concurrency} clients: HTTP GraphQL ${httpRate.toFixed(0)} req/s; pgbench skipped: ${join.pgbenchNote}`);
  }
  if (Object.keys(join.httpErrors).length) lines.push(`  joinQueue HTTP errors: ${JSON.stringify(join.httpErrors)}`);
  for (const [label, samples] of [
    ["SQL ", scaling.sql],
    ["HTTP", scaling.http],
  ] as const) {
    const small = percentile(samples[5]!, 50);
    const large = percentile(samples[200]!, 50);
    const ratio = large / small;
    lines.push(
      `  call_next ${label}: median ${(small / 1000).toFixed(2)} ms with 5 waiting, ${(large / 1000).toFixed(2)} ms with 200` +
        ` (p95 ${(percentile(samples[5]!, 95) / 1000).toFixed(2)} / ${(percentile(samples[200]!, 95) / 1000).toFixed(2)} ms)` +
        ` → ${ratio.toFixed(2)}× (target ≤ 1.2×) ${ratio <= 1.2 ? "PASS" : "FAIL"}`,
    );
  }
  console.log(lines.join("\n"));
}
