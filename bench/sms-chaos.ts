// Are SMS lost or duplicated when the worker dies? Thousands of queue events
// (joins, calls, services, cancellations, closings) through the queue
// functions, while the worker process (`node server.ts worker`) is killed with
// SIGKILL every few seconds and restarted, and the local SNS endpoint fails
// 10 % of Publish calls (HTTP 500). Then: every message the outbox owes
// (expected, from sms_logs, which the event triggers wrote in the events'
// transactions) against what SNS accepted (sent), lost, duplicated.
//
// A SIGKILLed worker leaves its jobs locked (graphile-worker alone frees them
// only after 4 hours); the restarted worker frees them itself at start, as
// any worker does every WORKER_RECOVERY_INTERVAL_MS (lib/worker-liveness.ts):
// the supervisor only kills and restarts.
//
//   npm run bench -- sms     (both SMS benchmarks), or node bench/sms-chaos.ts
//   Settings: CHAOS_SECONDS (20), CHAOS_KILL_MS (3000), CHAOS_FAIL_RATIO (0.1), CHAOS_QUEUES (12),
//   BENCH_CONCURRENCY (16, the worker's).
import type { ChildProcess } from "node:child_process";
import {
  benchPhone,
  createQueues,
  openBenchDatabase,
  sleep,
  spawnWorker,
  tokenOf,
  typeOf,
  waitForListener,
  type BenchDatabase,
  type BenchQueue,
} from "./sms-common.ts";
import { startEndpoint, type Endpoint } from "./sms-endpoint.ts";

const seconds = Number(process.env.CHAOS_SECONDS ?? 20);
const killEveryMs = Number(process.env.CHAOS_KILL_MS ?? 3000);
const failRatio = Number(process.env.CHAOS_FAIL_RATIO ?? 0.1);
const queueCount = Number(process.env.CHAOS_QUEUES ?? 12);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);

export default async function smsChaos(): Promise<boolean> {
  const db = await openBenchDatabase("sms_chaos");
  const fake = await startEndpoint({ failRatio, seed: 42 });

  let worker: ChildProcess | undefined;
  let kills = 0;

  async function startWorkerProcess(): Promise<void> {
    const since = Date.now();
    worker = spawnWorker(db, fake.url, concurrency);
    await waitForListener(db, since - 1000);
  }

  async function killWorker(): Promise<void> {
    const dying = worker!;
    const exited = new Promise((resolve) => dying.once("exit", resolve));
    dying.kill("SIGKILL");
    await exited;
    kills++;
  }

  /** One merchant desk and its customers, acting at random for `seconds`. */
  async function drive(
    queue: BenchQueue,
    index: number,
    stopAt: number,
    counters: Record<string, number>,
  ): Promise<void> {
    let phoneSeq = index * 100_000;
    const waiting: string[] = [];
    let called: string | undefined;
    const asMerchant = async (sql: string, values: unknown[]) => {
      const client = await db.owner.connect();
      try {
        await client.query("begin");
        await client.query("select set_config('jwt.claims.user_id', $1, true)", [queue.userId]);
        const result = await client.query(sql, values);
        await client.query("commit");
        return result.rows;
      } catch (error) {
        await client.query("rollback").catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    };
    while (Date.now() < stopAt) {
      const roll = Math.random();
      try {
        if (waiting.length < 4 || roll < 0.45) {
          const { rows } = await db.owner.query("select entry_token from app_public.join_queue($1, $2)", [
            queue.qrToken,
            benchPhone(phoneSeq++),
          ]);
          waiting.push(rows[0]!.entry_token);
          counters.join++;
        } else if (roll < 0.75) {
          if (called) {
            await asMerchant("select app_public.mark_served($1)", [called]);
            counters.serve++;
          }
          const rows = await asMerchant("select id, entry_token from app_public.call_next($1)", [queue.queueId]);
          called = rows[0]?.id;
          const token = rows[0]?.entry_token;
          if (token) waiting.splice(waiting.indexOf(token), 1);
          counters.call++;
        } else if (roll < 0.97) {
          const token = waiting.splice(Math.floor(Math.random() * waiting.length), 1)[0]!;
          await db.owner.query("select app_public.cancel_entry($1)", [token]);
          counters.cancel++;
        } else {
          // Closing cancels everyone waiting; the desk opens again.
          await asMerchant("select app_public.close_queue($1)", [queue.queueId]);
          await asMerchant("select app_public.open_queue($1)", [queue.queueId]);
          waiting.length = 0;
          counters.close++;
        }
      } catch (error) {
        counters.errors++;
        if (counters.errors < 3) console.error("driver error:", (error as Error).message);
      }
      await sleep(40);
    }
  }

  async function report(database: BenchDatabase, fake: Endpoint) {
    // Expected: every SMS the outbox recorded. Cross-checked against the events
    // that cause them (one per joined/called/missed/cancelled event of a
    // business with SMS on), plus the reminders.
    const expected = await database.owner.query<{ token: string; message_type: string }>(
      `select e.entry_token as token, l.message_type
       from app_public.sms_logs l join app_public.queue_entries e on e.id = l.queue_entry_id`,
    );
    const events = await database.owner.query<{ n: number }>(
      `select count(*)::int as n from app_public.queue_events
      where event_type in ('entry_joined', 'entry_called', 'entry_missed', 'entry_cancelled')`,
    );
    const reminders = expected.rows.filter((row) => row.message_type === "reminder").length;
    const statuses = await database.owner.query<{ status: string; n: number }>(
      "select status, count(*)::int as n from app_public.sms_logs group by status order by status",
    );
    const accepted = new Map<string, number>();
    for (const request of fake.published()) {
      const key = `${tokenOf(request.message)}:${typeOf(request.message)}`;
      accepted.set(key, (accepted.get(key) ?? 0) + 1);
    }
    const expectedKeys = new Set(expected.rows.map((row) => `${row.token}:${row.message_type}`));
    const lost = [...expectedKeys].filter((key) => !accepted.has(key)).length;
    const unexpected = [...accepted.keys()].filter((key) => !expectedKeys.has(key)).length;
    const duplicated = [...accepted.values()].reduce((sum, n) => sum + n - 1, 0);
    return {
      queueEvents: events.rows[0]!.n,
      expected: expectedKeys.size,
      expectedFromEvents: events.rows[0]!.n + reminders,
      sent: accepted.size,
      lost,
      duplicated,
      unexpected,
      publishRequests: fake.requests.length,
      refusedByEndpoint: fake.requests.filter((request) => request.error).length,
      smsLogs: Object.fromEntries(statuses.rows.map((row) => [row.status, row.n])),
    };
  }

  try {
    const queues = await createQueues(db, queueCount);
    await startWorkerProcess();
    const counters = { join: 0, call: 0, serve: 0, cancel: 0, close: 0, errors: 0 };
    const startedAt = Date.now();
    const stopAt = startedAt + seconds * 1000;
    const drivers = Promise.all(queues.map((queue, i) => drive(queue, i, stopAt, counters)));
    // Chaos: SIGKILL at a random moment every killEveryMs on average, restart at once.
    while (Date.now() < stopAt) {
      await sleep(killEveryMs * (0.5 + Math.random()));
      if (Date.now() >= stopAt) break;
      await killWorker();
      await startWorkerProcess();
    }
    await drivers;
    // Drain with the last worker (the endpoint keeps failing 10 %).
    const drainStart = Date.now();
    for (;;) {
      const { rows } = await db.owner.query<{ n: number }>(
        "select count(*)::int as n from app_public.sms_logs where status = 'pending'",
      );
      if (rows[0]!.n === 0 || Date.now() - drainStart > 30_000) break;
      await sleep(100);
    }
    const result = await report(db, fake);
    console.log(
      JSON.stringify(
        {
          seconds,
          operations: counters,
          workerKills: kills,
          failRatio,
          drainSeconds: Math.round((Date.now() - drainStart) / 100) / 10,
          ...result,
        },
        null,
        2,
      ),
    );
    return result.lost === 0;
  } finally {
    if (worker && worker.exitCode === null) {
      worker.kill("SIGTERM");
      await new Promise((resolve) => worker!.once("exit", resolve));
    }
    await fake.close();
    await db.drop();
  }
}

if (import.meta.main) process.exitCode = (await smsChaos()) ? 0 : 1;
