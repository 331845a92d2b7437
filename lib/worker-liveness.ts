// Crash recovery for graphile-worker. A worker process that dies without
// stopping (SIGKILL, OOM, power loss) leaves its jobs locked, and
// graphile-worker 0.18 frees such locks only after 4 hours: a `your_turn` SMS
// or a `queue_timeout` would be useless by then.
//
// Liveness: graphile-worker locks jobs with `locked_by` = the id of the worker
// POOL (`pool-…`, one per run(), shared by its `concurrency` workers), not the
// per-worker id. Each of our processes keeps one dedicated connection holding
// a session advisory lock on a key derived from each pool id it runs. The lock
// lives exactly as long as that session: when the process dies, PostgreSQL
// ends the session and frees it.
//
// Recovery: any worker, at start and then periodically, reads the distinct
// `locked_by` of locked jobs (public view graphile_worker.jobs) and tries each
// key with pg_try_advisory_xact_lock: taken → no live session holds it → the
// pool is dead → graphile_worker.force_unlock_workers for those ids.
//
// Consequence: every worker on a Waitify database must be a Waitify worker
// (lib/worker.ts). A graphile-worker started any other way (the graphile-worker
// CLI, another app) holds no liveness lock, looks dead, and has its jobs
// unlocked under it while it runs them.
//
// Why a wrong verdict cannot send twice: a live pool can look dead while its
// liveness connection is being re-established (see reconnect below). Its jobs
// then run a second time concurrently, which our tasks tolerate:
//   - send_sms claims its sms_logs row with `update … where status =
//     'pending'` (app_private.sms_claim) in a transaction held open until the
//     provider answered and the result is recorded: a second run blocks on the
//     row lock, then finds the log `sent` and publishes nothing. A failed,
//     retryable send leaves it `pending`: the second run is a legitimate retry.
//   - queue_timeout runs app_private.expire_called_entry, which locks the queue
//     and the entry and does nothing unless the entry is still `called` and
//     overdue: the second run is a no-op.
//   - graphile-worker itself: the first run's completion deletes the job by id
//     (the second's then deletes nothing); a failure is only recorded where
//     `locked_by` is still the failing pool.
import pg from "pg";
import { log } from "./logger.ts";

/** SQL for the advisory-lock key of a pool id ($n): a bigint in our own namespace. */
const keyOf = (parameter: string) => `hashtextextended('waitify.worker:' || ${parameter}, 0)`;

const reconnectDelays = [250, 1_000, 2_000, 5_000, 10_000];

/**
 * The process's liveness connection: holds one advisory lock per pool id it
 * runs. If the connection breaks, it logs an error and reconnects, taking the
 * locks again; in between, other workers may unlock our jobs (harmless, see above).
 */
export class WorkerLiveness {
  readonly #connectionString: string;
  readonly #ids = new Set<string>();
  /** The lock query of each pool id, shared by the workers of the pool. */
  readonly #holding = new Map<string, Promise<void>>();
  #client: pg.Client | undefined;
  /** Resolves with a connected client holding every id known when it connected (undefined once stopped). */
  #ready: Promise<pg.Client | undefined>;
  #resolveReady!: (client: pg.Client | undefined) => void;
  #stopped = false;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #failures = 0;

  constructor(connectionString: string) {
    this.#connectionString = connectionString;
    this.#ready = this.#newReady();
  }

  #newReady(): Promise<pg.Client | undefined> {
    return new Promise((resolve) => (this.#resolveReady = resolve));
  }

  /** Connects; throws when PostgreSQL cannot be reached at start (the worker does not start). */
  async start(): Promise<void> {
    await this.#connect();
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#connectionString, application_name: "waitify-worker-liveness" });
    client.on("error", (error) => this.#lost(client, error));
    client.on("end", () => this.#lost(client, new Error("connection ended")));
    await client.connect();
    try {
      for (const id of this.#ids) await client.query(`select pg_advisory_lock(${keyOf("$1")})`, [id]);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    if (this.#stopped) {
      await client.end().catch(() => {});
      return;
    }
    this.#client = client;
    this.#failures = 0;
    this.#resolveReady(client);
  }

  #lost(client: pg.Client, error: Error): void {
    if (this.#stopped || client !== this.#client) return;
    this.#client = undefined;
    this.#ready = this.#newReady();
    log.error("worker liveness connection lost: reconnecting (meanwhile other workers may rerun our jobs)", {
      error: error.message,
    });
    client.end().catch(() => {});
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#stopped) return;
    const delay = reconnectDelays[Math.min(this.#failures, reconnectDelays.length - 1)]!;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#connect().catch((error: unknown) => {
        this.#failures += 1;
        log.error("worker liveness reconnection failed", { error: String(error), attempt: this.#failures });
        this.#scheduleReconnect();
      });
    }, delay);
  }

  /**
   * Takes the liveness lock of a pool id; resolves once it is held. Waits
   * through reconnections (a reconnection takes the locks of every id already
   * registered). Every worker of a pool calls this with the pool's id at the
   * same moment: they share one lock query, since a pg client runs one query
   * at a time (pg 8 queues a second one and warns that pg 9 will refuse it).
   */
  hold(id: string): Promise<void> {
    let taking = this.#holding.get(id);
    if (!taking) {
      taking = this.#take(id);
      this.#holding.set(id, taking);
      taking.catch(() => this.#holding.delete(id));
    }
    return taking;
  }

  async #take(id: string): Promise<void> {
    this.#ids.add(id);
    while (!this.#stopped) {
      const client = await this.#ready;
      if (!client || client !== this.#client) continue;
      try {
        await client.query(`select pg_advisory_lock(${keyOf("$1")})`, [id]);
        return;
      } catch {
        // The connection broke mid-query: #lost reconnects, and the new
        // connection takes this id's lock with the others.
        if (client === this.#client) this.#lost(client, new Error("liveness lock query failed"));
      }
    }
    throw new Error("worker liveness stopped");
  }

  /** Pool ids of this process (never judged dead by our own recovery passes). */
  ids(): string[] {
    return [...this.#ids];
  }

  /** Ends the connection, which frees the locks. Call after the runner has stopped. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#reconnectTimer);
    this.#resolveReady(undefined); // a hold() waiting for a reconnection gives up
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => {});
  }
}

export interface RecoveryResult {
  /** Pool ids judged dead whose jobs were unlocked. */
  workers: string[];
  /** Jobs unlocked. */
  jobs: number;
}

/**
 * One recovery pass, on a short-lived connection of its own (a session never
 * sees its own advisory locks as taken, so probing must not happen on a
 * connection that holds liveness locks). `ownIds`: this process's pools, alive
 * by definition even while its liveness connection reconnects.
 */
export async function recoverDeadWorkers(connectionString: string, ownIds: readonly string[] = []): Promise<RecoveryResult> {
  const client = new pg.Client({ connectionString, application_name: "waitify-worker-recovery" });
  client.on("error", () => {}); // a broken connection fails the query below, which the caller logs
  await client.connect();
  try {
    await client.query("begin");
    // The probe locks are transaction-level: released at commit, even if this
    // process dies. A pool id is random and never reused, so a dead pool
    // cannot come back between the probe and the unlock. A pool takes its
    // liveness lock before it locks any job (lib/worker.ts, startWorker
    // hook), so a live pool's id is never seen here unlocked — except while
    // its liveness connection reconnects (harmless, see the top of the file).
    const { rows } = await client.query<{ id: string; jobs: number }>(
      `select dead.locked_by as id, dead.jobs
         from (select locked_by, count(*)::int as jobs
                 from graphile_worker.jobs
                where locked_by is not null and locked_by <> all($1::text[])
                group by locked_by) dead
        where pg_try_advisory_xact_lock(${keyOf("dead.locked_by")})`,
      [ownIds],
    );
    const workers = rows.map((row) => row.id);
    const jobs = rows.reduce((sum, row) => sum + row.jobs, 0);
    if (workers.length > 0) {
      // force_unlock_workers does not notify: wake the workers the way
      // graphile-worker's add_job does (delivered at commit), rather than
      // leaving the jobs to the next poll.
      await client.query(
        `select graphile_worker.force_unlock_workers($1::text[]),
                pg_notify('jobs:insert', json_build_object('r', random(), 'count', $2::int)::text)`,
        [workers, jobs],
      );
    }
    await client.query("commit");
    return { workers, jobs };
  } catch (error) {
    await client.query("rollback").catch(() => {});
    throw error;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Runs a pass now and then every intervalMs (unref'd: it never keeps the process alive). */
export function startRecovery(options: {
  connectionString: string;
  intervalMs: number;
  ownIds: () => string[];
}): { first: Promise<void>; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const pass = async () => {
    try {
      const result = await recoverDeadWorkers(options.connectionString, options.ownIds());
      if (result.workers.length > 0) {
        // Ids only: the jobs' payloads (phone numbers) are not logged.
        log.warn(`worker recovery: unlocked ${result.jobs} job(s) of ${result.workers.length} dead worker(s)`, {
          workers: result.workers,
        });
      }
    } catch (error) {
      log.error("worker recovery pass failed", { error: error instanceof Error ? error.message : String(error) });
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void pass().then(schedule), options.intervalMs);
    timer.unref();
  };
  const first = pass().then(schedule);
  return {
    first,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
