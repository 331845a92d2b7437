// Realtime benchmark (`npm run bench -- realtime`): the delay from a committed
// change to the subscription messages it causes, with BENCH_QUEUES ×
// (BENCH_CUSTOMERS + 1) websocket clients subscribed, and the memory of the
// server holding them. bench/realtime-env.ts sets up (and stops, also on
// failure, Ctrl-C or SIGTERM) PostgreSQL and the server process;
// bench/realtime-clients.ts connects the clients in this process;
// bench/realtime-changes.ts makes the changes and matches the messages.
//
// Settings (environment): BENCH_QUEUES (20), BENCH_CUSTOMERS (50 per queue),
// BENCH_RATES (changes per second, all queues together, one run each:
// "5,10,20"), BENCH_SECONDS (20 per rate), BENCH_WARMUP_SECONDS (5),
// BENCH_POOL_SIZE (the server's pools, 20 = the default DATABASE_POOL_SIZE),
// BENCH_SYNCHRONOUS_COMMIT (on), BENCH_PG_PORT (54386).
import { latencySummary, ms, progress } from "./billing-common.ts";
import { connectClients } from "./realtime-clients.ts";
import { changeRunner, type ChangeRecord } from "./realtime-changes.ts";
import { startRealtimeEnvironment, type RealtimeEnvironment } from "./realtime-env.ts";

const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const settings = {
  queues: number("BENCH_QUEUES", 20),
  customers: number("BENCH_CUSTOMERS", 50),
  rates: (process.env.BENCH_RATES ?? "5,10,20").split(",").map(Number),
  seconds: number("BENCH_SECONDS", 20),
  warmupSeconds: number("BENCH_WARMUP_SECONDS", 5),
  poolSize: number("BENCH_POOL_SIZE", 20),
};
/** The target: p99 of the delay to the client concerned. */
const TARGET_P99_MS = 50;
const WATCHDOG_MS = 10 * 60_000;

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const summary = (values: number[]) => ({ count: values.length, ...latencySummary(sorted(values)) });

export default async function realtimeBench(): Promise<void> {
  const subscribers = settings.queues * (settings.customers + 1);
  console.log(
    `realtime bench: ${subscribers} websocket clients (${settings.queues} queues × ${settings.customers} customers on entryChanged + ` +
      `their merchant on queueChanged); ${settings.rates.join(", ")} changes/s (all queues) for ${settings.seconds} s each, after ${settings.warmupSeconds} s of warm-up`,
  );
  const starting = startRealtimeEnvironment(settings);
  let aborted = false;
  const abort = (reason: string, code: number) => {
    if (aborted) process.exit(code);
    aborted = true;
    console.error(`realtime bench: ${reason}, stopping everything`);
    void starting
      .then((env) => env.stop())
      .catch(() => {})
      .finally(() => process.exit(code));
  };
  const onSignal = (signal: NodeJS.Signals) => abort(signal, signal === "SIGINT" ? 130 : 143);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const watchdog = setTimeout(() => abort(`no result after ${WATCHDOG_MS / 60_000} minutes`, 1), WATCHDOG_MS);
  try {
    const env = await starting;
    progress(`PostgreSQL and the server process up; ${settings.queues} queues of ${settings.customers} waiting customers`);
    try {
      await run(env);
    } finally {
      await env.stop();
    }
  } finally {
    clearTimeout(watchdog);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

async function listenConnections(env: RealtimeEnvironment): Promise<number> {
  const { rows } = await env.owner.query<{ n: number }>(
    "select count(*)::int as n from pg_stat_activity where application_name = 'waitify-listen' and datname = current_database()",
  );
  return rows[0]!.n;
}

async function run(env: RealtimeEnvironment): Promise<void> {
  const idle = await env.memory();
  progress(`server idle: RSS ${idle.rssMB} MB, heap ${idle.heapUsedMB} MB`);

  const runner = changeRunner(env.owner, env.queues, settings.customers);
  const connectStarted = performance.now();
  const clients = await connectClients(env.wsUrl, env.queues, runner.onMessage);
  const connectSeconds = (performance.now() - connectStarted) / 1000;
  const subscribed = await env.memory();
  const listeners = await listenConnections(env);
  progress(
    `${subscribed.sockets} sockets subscribed in ${connectSeconds.toFixed(1)} s; server RSS ${subscribed.rssMB} MB, heap ${subscribed.heapUsedMB} MB; ` +
      `${listeners} LISTEN connection(s)`,
  );

  const perQueue = (rate: number) => rate / settings.queues;
  await runner.run({ seconds: settings.warmupSeconds, ratePerQueue: perQueue(settings.rates[0]!), record: false });
  progress("warm-up done");
  const runs = [];
  for (const rate of settings.rates) {
    const before = await env.memory();
    const probe = roundTrips(env);
    const records = await runner.run({ seconds: settings.seconds, ratePerQueue: perQueue(rate), record: true });
    const selectOneMs = await probe.stop();
    const after = await env.memory();
    const report = analyse(records);
    const serverCpuMs = after.cpuMs - before.cpuMs;
    runs.push({
      changesPerSecond: rate,
      ...report,
      selectOneMs,
      server: {
        rssMB: after.rssMB,
        heapUsedMB: after.heapUsedMB,
        cpuShareOfOneCore: ms(serverCpuMs / (settings.seconds * 1000)),
        cpuMsPerMessage: report.messages ? ms(serverCpuMs / report.messages) : null,
      },
    });
    progress(
      `${rate} changes/s: ${records.length} changes, ${report.messages} messages (${report.missing} missing, ${report.lateChanges} late); ` +
        `merchant p99 ${report.delays.merchant.p99} ms, called customer p99 ${report.delays.calledCustomer.p99} ms, ` +
        `fan-out p99 ${report.delays.fanOut.p99} ms`,
    );
  }
  const afterRuns = await env.memory();

  await clients.close();
  // The server notices the closes asynchronously.
  let closed = await env.memory();
  for (let attempt = 0; attempt < 50 && closed.sockets > 0; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    closed = await env.memory();
  }

  const output = {
    settings,
    subscribers: { sockets: subscribed.sockets, connectSeconds: ms(connectSeconds), listenConnections: listeners },
    runs,
    strays: runner.strays(),
    clientFailures: clients.failures().slice(0, 5),
    serverMemory: {
      idle,
      subscribed,
      afterRuns,
      afterClose: closed,
      perSocketKB: Math.round(((subscribed.rssMB - idle.rssMB) * 1024) / subscribed.sockets),
      perSocketHeapKB: Math.round(((subscribed.heapUsedMB - idle.heapUsedMB) * 1024) / subscribed.sockets),
    },
  };
  console.log(JSON.stringify(output, null, 2));
  const healthy =
    runner.strays() === 0 &&
    clients.failures().length === 0 &&
    listeners === 1 &&
    runs.every((r) => r.missing === 0 && r.delays.calledCustomer.count === r.calls);
  const verdicts = runs.map(
    (r) =>
      `${r.changesPerSecond}/s: merchant p50 ${r.delays.merchant.p50} / p99 ${r.delays.merchant.p99}, called customer p50 ` +
      `${r.delays.calledCustomer.p50} / p99 ${r.delays.calledCustomer.p99}, whole fan-out p99 ${r.delays.lastOfChange.p99} ms ` +
      `[machine: select 1 p50 ${r.selectOneMs.p50} / p99 ${r.selectOneMs.p99} ms, a change's own commit p50 ${r.commitMs.p50} / p99 ${r.commitMs.p99} ms] ` +
      `(${r.delays.merchant.p99 <= TARGET_P99_MS && r.delays.calledCustomer.p99 <= TARGET_P99_MS ? "≤" : ">"} ${TARGET_P99_MS} ms)`,
  );
  console.log(
    `realtime bench ${healthy ? "done" : "FAILED"}: ${subscribed.sockets} sockets, 1 LISTEN connection: ${listeners === 1 ? "yes" : "no"}; ` +
      `delay from COMMIT — ${verdicts.join("; ")}; server RSS ${idle.rssMB} → ${subscribed.rssMB} MB ` +
      `(${output.serverMemory.perSocketKB} KB per socket), heap ${idle.heapUsedMB} → ${subscribed.heapUsedMB} MB`,
  );
  if (!healthy) process.exitCode = 1;
}

/**
 * The machine's responsiveness meanwhile: `select 1` from this process every
 * 100 ms (a round trip through two processes' wake-ups, no work), to read the
 * delays against.
 */
function roundTrips(env: RealtimeEnvironment): { stop(): Promise<ReturnType<typeof summary>> } {
  const samples: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      await env.owner.query("select 1");
      samples.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return summary(samples);
    },
  };
}

function analyse(records: ChangeRecord[]) {
  const delaysOf = (filter: (arrival: ChangeRecord["arrivals"][number]) => boolean, from = records) =>
    from.flatMap((record) => record.arrivals.filter(filter).map((arrival) => arrival.delayMs));
  // Calls and services: every subscriber of the queue hears of them.
  const fanOuts = records.filter((record) => record.operation !== "join");
  const complete = fanOuts.filter((record) => record.arrivals.length === record.expected);
  return {
    changes: records.length,
    messages: records.reduce((sum, record) => sum + record.arrivals.length, 0),
    messagesPerSecond: Math.round(records.reduce((sum, record) => sum + record.arrivals.length, 0) / settings.seconds),
    lateChanges: records.filter((record) => record.late).length,
    /** Calls made; each should give one "called" message to the customer called (delays.calledCustomer.count). */
    calls: records.filter((record) => record.operation === "call").length,
    missing: records.reduce((sum, record) => sum + record.expected - record.arrivals.length, 0),
    commitMs: summary(records.map((record) => record.commitMs)),
    delays: {
      /** The merchant's counter screen: one message per change. */
      merchant: summary(delaysOf((a) => a.kind === "merchant")),
      /** The customer a call is about: their "your turn". */
      calledCustomer: summary(delaysOf((a) => a.concerned)),
      /** Every message of a call or a service: the fan-out to everyone in the queue. */
      fanOut: summary(delaysOf(() => true, fanOuts)),
      /** Per call or service, the last of its messages: when the whole queue knows. */
      lastOfChange: summary(complete.map((record) => Math.max(...record.arrivals.map((a) => a.delayMs)))),
    },
  };
}
