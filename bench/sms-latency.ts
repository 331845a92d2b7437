// How long from a committed join to its confirmation SMS reaching SNS?
// Joins at a fixed rate (open loop: a slow answer does not slow the load)
// through app_public.join_queue; a worker process (`node server.ts worker`,
// SMS_PROVIDER=sns) sends through the real AWS SDK to a local SNS endpoint
// that notes when each Publish arrives. Latency = arrival − the moment the
// join's COMMIT returned to the client, matched by the entry token in the link.
//
//   npm run bench -- sms     (both SMS benchmarks), or node bench/sms-latency.ts
//   Settings: BENCH_RATE (200 joins/s), BENCH_SECONDS (5), BENCH_CONCURRENCY (8, the worker's).
import { startFakeSns } from "../test/helpers/fake-sns.ts";
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

const rate = Number(process.env.BENCH_RATE ?? 200);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
const total = Math.round(rate * seconds);

export default async function smsLatency(): Promise<boolean> {
  const db = await openBenchDatabase("sms_latency");
  const fake = await startFakeSns();
  const worker = spawnWorker(db, fake.url, concurrency);
  try {
    // 200 places per queue: enough queues for every join.
    const queues = await createQueues(db, Math.ceil(total / 150));
    const started = Date.now();
    await waitForListener(db, started - 60_000);

    const committedAt = new Map<string, number>();
    const arrivedAt = new Map<string, number>();
    fake.onPublish = (request) => {
      const token = tokenOf(request.message);
      if (token && request.messageId && !arrivedAt.has(token)) arrivedAt.set(token, request.receivedAt);
    };

    // Warm-up: connections, prepared plans, the SDK's keep-alive socket.
    for (let i = 0; i < 20; i++) {
      await db.owner.query("select (app_public.join_queue($1, $2)).entry_token", [
        queues[0]!.qrToken,
        benchPhone(900_000 + i),
      ]);
    }
    await fake.waitForPublished(20, 20_000);

    const errors: string[] = [];
    const joins: Promise<void>[] = [];
    const t0 = now();
    for (let i = 0; i < total; i++) {
      // Open loop: the i-th join starts at t0 + i / rate, whatever happened before.
      const due = t0 + (i * 1000) / rate;
      const wait = due - now();
      if (wait > 1) await sleep(wait);
      const queue = queues[i % queues.length]!;
      joins.push(
        db.owner
          .query<{ entry_token: string }>("select (app_public.join_queue($1, $2)).entry_token", [
            queue.qrToken,
            benchPhone(i),
          ])
          .then(
            ({ rows }) => void committedAt.set(rows[0]!.entry_token, now()),
            (error: Error) => void errors.push(error.message),
          ),
      );
    }
    await Promise.all(joins);
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
    worker.kill("SIGTERM");
    await new Promise((resolve) => worker.once("exit", resolve));
    await fake.close();
    await db.drop();
  }
}

if (import.meta.main) process.exitCode = (await smsLatency()) ? 0 : 1;
