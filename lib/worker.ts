// The graphile-worker runner: in the API process (unless WORKER=off) or alone
// (`npm run worker`). Workers coordinate through row locks, so any number of
// them may run against one database. Jobs of a worker process that died are
// unlocked by the others within WORKER_RECOVERY_INTERVAL_MS
// (lib/worker-liveness.ts): all workers on a database must be started here.
import { readFileSync } from "node:fs";
import type Stripe from "stripe";
import path from "node:path";
import { Logger, parseCrontab, run, type Runner } from "graphile-worker";
import { makeTaskList } from "../tasks/index.ts";
import { LogEmailSender } from "./email/log.ts";
import type { EmailSender } from "./email/sender.ts";
import { log } from "./logger.ts";
import { LogSmsSender } from "./sms/log.ts";
import type { SmsSender } from "./sms/sender.ts";
import { startRecovery, WorkerLiveness } from "./worker-liveness.ts";

export type WorkerState = "off" | "starting" | "running" | "stopping" | "stopped" | "failed";

export interface WorkerHandle {
  state(): WorkerState;
  stop(): Promise<void>;
}

const crontabFile = path.join(import.meta.dirname, "..", "crontab");

const workerLogger = new Logger((scope) => (level, message, meta) => {
  const fields = { scope: "worker", ...(scope.taskIdentifier ? { task: scope.taskIdentifier } : {}), ...(meta ?? {}) };
  if (level === "error") log.error(message, fields);
  else if (level === "warning") log.warn(message, fields);
  else if (level === "info") log.info(message, fields);
  else log.debug(message, fields);
});

export const workerOff: WorkerHandle = { state: () => "off", stop: async () => {} };

export async function startWorker(options: {
  connectionString: string;
  concurrency: number;
  /** Sends SMS (send_sms); the log sender when absent. */
  sms?: SmsSender;
  /** Fetches Stripe's objects (stripe_event); absent when Stripe is not configured. */
  stripe?: Stripe;
  /** Sends emails (send_email); the log sender when absent. */
  email?: EmailSender;
  /** Milliseconds between two passes that unlock dead workers' jobs (default 30 s). */
  recoveryIntervalMs?: number;
  /**
   * Run the crontab's recurring jobs (default true). Tests that add the
   * scheduled jobs themselves, for the times they choose, turn it off so that
   * the wall clock cannot add one in the middle of their assertions.
   */
  schedule?: boolean;
}): Promise<WorkerHandle> {
  let state: WorkerState = "starting";
  const liveness = new WorkerLiveness(options.connectionString);
  await liveness.start();
  // graphile-worker locks jobs in the name of the pool (locked_by = pool id).
  // This hook runs, and is awaited, before each worker's first job fetch, so
  // the pool's liveness lock is held before any job carries its id: another
  // worker's recovery can never see a live pool's id unlocked at start-up.
  // (The "pool:create"/"worker:create" events would not do: they are emitted
  // synchronously and nothing waits for a listener's query.)
  const livenessPlugin: GraphileConfig.Plugin = {
    name: "WaitifyWorkerLiveness",
    version: "1.0.0",
    worker: {
      hooks: {
        startWorker: (_ctx, event) => liveness.hold(event.worker.workerPool.id),
      },
    },
  };
  let runner: Runner;
  try {
    runner = await run({
      connectionString: options.connectionString,
      concurrency: options.concurrency,
      // send_sms and send_email keep their client while the provider answers
      // (their claim is a row lock): room for every concurrent job plus the
      // runner's own queries.
      maxPoolSize: Math.max(10, options.concurrency + 2),
      // Our process handles SIGINT/SIGTERM itself and stops the runner in order.
      noHandleSignals: true,
      taskList: makeTaskList({
        sms: options.sms ?? new LogSmsSender(),
        email: options.email ?? new LogEmailSender(),
        stripe: options.stripe,
      }),
      parsedCronItems: options.schedule === false ? [] : parseCrontab(readFileSync(crontabFile, "utf8")),
      logger: workerLogger,
      preset: { plugins: [livenessPlugin] },
    });
  } catch (error) {
    await liveness.stop();
    throw error;
  }
  const recovery = startRecovery({
    connectionString: options.connectionString,
    intervalMs: options.recoveryIntervalMs ?? 30_000,
    ownIds: () => liveness.ids(),
  });
  runner.promise
    .then(
      () => (state = state === "stopping" ? "stopped" : "failed"),
      (error: unknown) => {
        state = "failed";
        log.error("worker stopped unexpectedly", { error: String(error) });
      },
    )
    .finally(() => {
      // A runner that ended by itself must not stay "alive": releasing the
      // liveness lock lets the other workers free whatever it still had locked.
      if (state === "failed") {
        recovery.stop();
        void liveness.stop();
      }
    });
  // The start-up pass: a worker replacing a crashed one frees its jobs at once.
  await recovery.first;
  if (state === "starting") state = "running";
  return {
    state: () => state,
    async stop() {
      if (state !== "running") return;
      state = "stopping";
      recovery.stop();
      // stop() lets jobs in flight finish before it resolves; only then may
      // the liveness lock go (until then our jobs are still ours).
      try {
        await runner.stop();
      } finally {
        await liveness.stop();
      }
      state = "stopped";
    },
  };
}
