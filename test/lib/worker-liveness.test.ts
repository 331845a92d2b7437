// Recovery of a worker process that died (lib/worker-liveness.ts), with real
// processes: `node server.ts worker` is SIGKILLed while its send_sms job waits
// on a Publish that the local SNS endpoint holds; another worker must free the
// job at once (graphile-worker alone waits 4 hours) and send the SMS once. And
// a live worker's job must never be taken from it.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SnsSmsSender } from "../../lib/sms/sns.ts";
import { recoverDeadWorkers } from "../../lib/worker-liveness.ts";
import { startWorker, type WorkerHandle } from "../../lib/worker.ts";
import { asRoot, useTestDatabase } from "../helpers/db.ts";
import { startFakeSns, type FakeSns } from "../helpers/fake-sns.ts";
import { createBusiness, joinDirect, smsLogs, type BusinessFixture } from "../helpers/fixtures.ts";

const root = path.join(import.meta.dirname, "..", "..");
const db = useTestDatabase();
let fake: FakeSns;
let business: BusinessFixture;
const children = new Set<ChildProcess>();
const handles: WorkerHandle[] = [];
const senders: SnsSmsSender[] = [];

beforeAll(async () => {
  fake = await startFakeSns();
  business = await createBusiness(db(), { name: "Garage Martin" });
});

afterAll(async () => {
  for (const child of children) await kill(child);
  for (const handle of handles) await handle.stop();
  for (const sender of senders) sender.destroy();
  await fake?.close();
});

/** Polls until fn returns a value (bounds the wait; not a timing assertion). */
async function eventually<T>(fn: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function spawnWorker(): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ["server.ts", "worker"], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: "test",
      LOG_LEVEL: "warn",
      DATABASE_URL: db().ownerUrl,
      AUTH_DATABASE_URL: db().authUrl,
      MIGRATE_ON_START: "false",
      SMS_PROVIDER: "sns",
      SNS_ENDPOINT: fake.url,
      AWS_REGION: "eu-west-3",
      AWS_ACCESS_KEY_ID: "AKIATESTTESTTEST",
      AWS_SECRET_ACCESS_KEY: "test-secret",
      WORKER_CONCURRENCY: "1",
    },
  });
  children.add(child);
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  return { child, output: () => output };
}

async function kill(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  children.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill(signal);
  await exited;
}

async function inProcessWorker(recoveryIntervalMs: number): Promise<WorkerHandle> {
  const sender = new SnsSmsSender({
    region: "eu-west-3",
    endpoint: fake.url,
    credentials: { accessKeyId: "AKIATESTTESTTEST", secretAccessKey: "test-secret" },
  });
  senders.push(sender);
  const handle = await startWorker({ connectionString: db().ownerUrl, concurrency: 1, sms: sender, recoveryIntervalMs });
  handles.push(handle);
  return handle;
}

/** The send_sms job of a log: who holds it (undefined when there is no such job; the public view has no payload). */
async function job(logId: string): Promise<{ locked_by: string | null } | undefined> {
  const { rows } = await db().root.query<{ locked_by: string | null }>(
    "select locked_by from graphile_worker._private_jobs where payload->>'sms_log_id' = $1",
    [logId],
  );
  return rows[0];
}

/**
 * A new customer whose confirmation SMS is being published by a worker: its
 * job is locked and the claim transaction is open (the worker waits on SNS,
 * which the test holds with fake.delay).
 */
async function smsInFlight(): Promise<{ logId: string; phone: string; lockedBy: string }> {
  const entry = await asRoot(db(), (client) => joinDirect(client, business), { commit: true });
  const [log] = await smsLogs(db(), "queue_entry_id = $1", [entry.id]);
  const lockedBy = await eventually(
    async () => {
      const { rows } = await db().root.query<{ locked_by: string }>(
        `select j.locked_by from graphile_worker._private_jobs j
          where j.payload->>'sms_log_id' = $1 and j.locked_by is not null
            and exists (select 1 from pg_stat_activity a
                         where a.datname = current_database() and a.state = 'idle in transaction'
                           and a.query like '%sms_claim(''' || $1 || ''')%')`,
        [log!.id],
      );
      return rows[0]?.locked_by;
    },
    30_000,
    "send_sms job locked mid-Publish",
  );
  return { logId: log!.id, phone: entry.phone, lockedBy };
}

/** The backend of a worker process's liveness connection. */
async function livenessBackends(): Promise<number[]> {
  const { rows } = await db().root.query<{ pid: number }>(
    "select pid from pg_stat_activity where datname = current_database() and application_name = 'waitify-worker-liveness'",
  );
  return rows.map((row) => row.pid);
}

/** Waits until PostgreSQL has ended the sessions of a killed process (it frees their locks). */
async function sessionsGone(pids: number[]): Promise<void> {
  await eventually(
    async () => {
      const { rows } = await db().root.query("select 1 from pg_stat_activity where pid = any($1::int[])", [pids]);
      return rows.length === 0;
    },
    10_000,
    "sessions of the killed worker ended",
  );
}

describe("a worker process killed mid-Publish", () => {
  it("has its job freed by the next worker at start and the SMS sent once, within seconds", async () => {
    fake.reset({ clear: true });
    fake.delay(600_000); // the killed worker's Publish is never answered: SNS did not accept it
    const first = spawnWorker();
    const inFlight = await smsInFlight().catch((error: Error) => {
      throw new Error(`${error.message}\n${first.output()}`);
    });
    const backends = await livenessBackends();
    expect(backends).toHaveLength(1);

    await kill(first.child);
    await sessionsGone(backends);
    // Dead, and still locked: graphile-worker on its own would wait 4 hours.
    expect(await job(inFlight.logId)).toEqual({ locked_by: inFlight.lockedBy });

    fake.delay(0);
    const startedAt = Date.now();
    // A long interval: only the start-up pass can free the job in this test.
    await inProcessWorker(600_000);
    const log = await eventually(
      async () => {
        const [row] = await smsLogs(db(), "id = $1", [inFlight.logId]);
        return row?.status === "sent" ? row : undefined;
      },
      5_000,
      "SMS recorded sent",
    );
    expect(Date.now() - startedAt).toBeLessThan(5_000);

    const accepted = fake.published().filter((request) => request.phoneNumber === inFlight.phone);
    expect(accepted).toHaveLength(1);
    expect(log.provider_message_id).toBe(accepted[0]!.messageId);
    // The claim of the killed worker was rolled back with its session: one attempt counted.
    expect(log.attempts).toBe(1);
    // graphile-worker deletes the job once the task has returned, just after the log is recorded.
    await eventually(async () => ((await job(inFlight.logId)) === undefined ? true : undefined), 5_000, "job completed");
  });
});

describe("a live worker's job", () => {
  it("is not taken by another worker's recovery; only once the worker is dead", async () => {
    // Leave no in-process worker that could pick the job up once it is freed.
    for (const handle of handles.splice(0)) await handle.stop();
    fake.reset({ clear: true });
    fake.delay(600_000);
    const live = spawnWorker();
    const inFlight = await smsInFlight().catch((error: Error) => {
      throw new Error(`${error.message}\n${live.output()}`);
    });

    // Another worker's passes (its start-up pass, then a direct one): the
    // live pool holds its liveness lock, so nothing is unlocked.
    await inProcessWorker(600_000);
    expect(await recoverDeadWorkers(db().ownerUrl)).toEqual({ workers: [], jobs: 0 });
    expect(await job(inFlight.logId)).toEqual({ locked_by: inFlight.lockedBy });
    for (const handle of handles.splice(0)) await handle.stop();

    // The control: the same pass frees it once that worker is dead.
    const backends = await livenessBackends();
    await kill(live.child);
    await sessionsGone(backends);
    expect(await recoverDeadWorkers(db().ownerUrl)).toEqual({ workers: [inFlight.lockedBy], jobs: 1 });
    expect(await job(inFlight.logId)).toEqual({ locked_by: null });
  });
});

describe("the liveness connection", () => {
  /** Liveness backends and how many advisory locks each holds. */
  async function livenessLocks(): Promise<Array<{ pid: number; locks: number }>> {
    const { rows } = await db().root.query<{ pid: number; locks: number }>(
      `select a.pid, count(l.pid)::int as locks
         from pg_stat_activity a
         left join pg_locks l on l.pid = a.pid and l.locktype = 'advisory' and l.granted
        where a.datname = current_database() and a.application_name = 'waitify-worker-liveness'
        group by a.pid`,
    );
    return rows;
  }

  it("reconnects and takes its lock again when the connection breaks; a graceful stop releases it", async () => {
    for (const handle of handles.splice(0)) await handle.stop();
    fake.reset({ clear: true }); // the job freed above may run here: answer at once
    expect(await livenessLocks()).toEqual([]);
    const worker = await inProcessWorker(600_000);
    const [before] = await eventually(
      async () => {
        const rows = await livenessLocks();
        return rows.length === 1 && rows[0]!.locks === 1 ? rows : undefined;
      },
      10_000,
      "liveness lock held",
    );
    await db().root.query("select pg_terminate_backend($1)", [before!.pid]);
    const [after] = await eventually(
      async () => {
        const rows = await livenessLocks();
        return rows.length === 1 && rows[0]!.pid !== before!.pid && rows[0]!.locks === 1 ? rows : undefined;
      },
      10_000,
      "liveness lock held again on a new connection",
    );
    expect(after!.pid).not.toBe(before!.pid);
    expect(worker.state()).toBe("running");

    await worker.stop();
    handles.splice(handles.indexOf(worker), 1);
    expect(worker.state()).toBe("stopped");
    await eventually(async () => (await livenessLocks()).length === 0, 10_000, "liveness connection closed");
  });
});
