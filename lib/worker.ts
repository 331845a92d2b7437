// The graphile-worker runner: in the API process (unless WORKER=off) or alone
// (`npm run worker`). Workers coordinate through row locks, so any number of
// them may run against one database.
import { readFileSync } from "node:fs";
import path from "node:path";
import { Logger, parseCrontab, run, type Runner } from "graphile-worker";
import { makeTaskList } from "../tasks/index.ts";
import { log } from "./logger.ts";
import { LogSmsSender } from "./sms/log.ts";
import type { SmsSender } from "./sms/sender.ts";

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
}): Promise<WorkerHandle> {
  let state: WorkerState = "starting";
  const runner: Runner = await run({
    connectionString: options.connectionString,
    concurrency: options.concurrency,
    // send_sms keeps its client while the provider answers (its claim is a
    // row lock): room for every concurrent job plus the runner's own queries.
    maxPoolSize: Math.max(10, options.concurrency + 2),
    // Our process handles SIGINT/SIGTERM itself and stops the runner in order.
    noHandleSignals: true,
    taskList: makeTaskList({ sms: options.sms ?? new LogSmsSender() }),
    parsedCronItems: parseCrontab(readFileSync(crontabFile, "utf8")),
    logger: workerLogger,
  });
  state = "running";
  runner.promise.then(
    () => (state = state === "stopping" ? "stopped" : "failed"),
    (error: unknown) => {
      state = "failed";
      log.error("worker stopped unexpectedly", { error: String(error) });
    },
  );
  return {
    state: () => state,
    async stop() {
      if (state !== "running") return;
      state = "stopping";
      // stop() lets jobs in flight finish before it resolves.
      await runner.stop();
      state = "stopped";
    },
  };
}
