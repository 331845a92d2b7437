// How long from a committed join to its confirmation SMS reaching SNS?
// Joins at a fixed rate (open loop: a slow answer does not slow the load)
// through app_public.join_queue; a worker process (`node server.ts worker`,
// SMS_PROVIDER=sns) sends through the real AWS SDK to a local SNS endpoint
// that notes when each Publish arrives. Latency = arrival − the moment the
// join's COMMIT returned to the client, matched by the entry token in the link.
//
//   npm run bench -- sms     (both SMS benchmarks), or node bench/sms-latency.ts
//   Settings: BENCH_RATE (200 joins/s), BENCH_SECONDS (5), BENCH_QUEUES (50 merchants),
//   BENCH_WORKERS (1 worker process), BENCH_CONCURRENCY (16 jobs at once per worker).
import {
  benchPhone,
  createQueues,
  now,
  openBenchDatabase,
  percentile,
  sleep,
  spawnWorker,
  tokenOf,
  waitForListener,
} from "./sms-common.ts";
import { startEndpoint } from "./sms-endpoint.ts";

const rate = Number(process.env.BENCH_RATE ?? 200);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const workerCount = Number(process.env.BENCH_WORKERS ?? 1);
const queueCount = Number(process.env.BENCH_QUEUES ?? 50);
const total = Math.round(rate * seconds);

export default async function smsLatency(): Promise<boolean> {
  const db = await openBenchDatabase("sms_latency");
  const fake = await startEndpoint();
  const workers = Array.from({ length: workerCount }, () => spawnWorker(db, fake.url, concurrency));
  try {
    // Joins spread over many merchants, as on the platform (one queue's joins
    // are serialised by its row lock); at least 150 free places per queue.
    const queues = await createQueues(db, Math.max(queueCount, Math.ceil(total / 150)));
    const started = Date.now();
    await waitForListener(db, started - 60_000);

    const committedAt = new Map<string, number>();
    const arrivedAt = new Map<string, number>();
    fake.onPublish = (request) => {
      const token = tokenOf(request.message);
      if (token && request.messageId && !arrivedAt.has(token)) arrivedAt.set(token, request.receivedAt);
    };

    const errors: string[] = [];
    /** Open loop: the i-th join starts at start + i / rate, whatever happened before. */
    const load = async (count: number, phoneBase: number, record: boolean) => {
      const joins: Promise<void>[] = [];
      const start = now();
      for (let i = 0; i < count; i++) {
        const wait = start + (i * 1000) / rate - now();
        if (wait > 1) await sleep(wait);
        const queue = queues[i % queues.length]!;
        joins.push(
          db.owner
            .query<{ entry_token: string }>("select entry_token from app_public.join_queue($1, $2)", [
              queue.qrToken,
              benchPhone(phoneBase + i),
            ])
            .then(
              ({ rows }) => void (record && committedAt.set(rows[0]!.entry_token, now())),
              (error: Error) => void errors.push(error.message),
            ),
        );
      }
      await Promise.all(joins);
      return start;
    };

    // Warm-up, one second at the same rate: every connection of both pools
    // opened, plans cached, the SDK's keep-alive sockets up.
    const warmUp = Math.round(rate);
    await load(warmUp, 900_000, false);
    const warmDeadline = Date.now() + 30_000;
    while (fake.published().length < warmUp && Date.now() < warmDeadline) await sleep(20);

    const t0 = await load(total, 0, true);
    const loadSeconds = (now() - t0) / 1000;
    // Drain: every committed join's message, or give up after 30 s.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && [...committedAt.keys()].some((token) => !arrivedAt.has(token))) await sleep(20);

    const latencies = [...committedAt]
      .filter(([token]) => arrivedAt.has(token))
      .map(([token, at]) => arrivedAt.get(token)! - at)
      .sort((a, b) => a - b);
    const missing = committedAt.size - latencies.length;
    const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
    console.log(
      JSON.stringify(
        {
          joins: total,
          committed: committedAt.size,
          joinErrors: errors.length,
          offeredRate: rate,
          achievedRate: Math.round(committedAt.size / loadSeconds),
          workerProcesses: workerCount,
          workerConcurrency: concurrency,
          messages: latencies.length,
          missing,
          p50: fmt(percentile(latencies, 50)),
          p90: fmt(percentile(latencies, 90)),
          p99: fmt(percentile(latencies, 99)),
          max: fmt(latencies.at(-1) ?? Number.NaN),
          // Negative means the Publish arrived before the client saw its COMMIT return.
          min: fmt(latencies[0] ?? Number.NaN),
        },
        null,
        2,
      ),
    );
    if (errors.length > 0) console.error("first join error:", errors[0]);
    return missing === 0 && errors.length === 0;
  } finally {
    for (const worker of workers) {
      worker.kill("SIGTERM");
      await new Promise((resolve) => worker.once("exit", resolve));
    }
    await fake.close();
    await db.drop();
  }
}

if (import.meta.main) process.exitCode = (await smsLatency()) ? 0 : 1;
