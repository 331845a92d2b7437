// Start-up in order (config → database → migrate → http → worker) and the
// reverse on SIGINT/SIGTERM, so requests and jobs in flight finish and an
// embedded PostgreSQL is stopped last.
import { openDatabase, type Database } from "../db/database.ts";
import { migrateDatabase } from "../db/migrate.ts";
import type { Config } from "./config.ts";
import { startHttp, type HttpHandle } from "./http/app.ts";
import { log } from "./logger.ts";
import { startWorker, workerOff, type WorkerHandle } from "./worker.ts";

export type Role = "all" | "worker";

export interface Running {
  database: Database;
  http?: HttpHandle;
  worker: WorkerHandle;
  stop(): Promise<void>;
}

export async function start(config: Config, role: Role): Promise<Running> {
  const database = await openDatabase(config);
  const stops: Array<() => Promise<void>> = [database.stop];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((error) => log.error("stop failed", { error: String(error) }));
  };
  try {
    if (config.MIGRATE_ON_START) await migrateDatabase(database);

    const runWorker = role === "worker" || config.WORKER === "on";
    const worker = runWorker
      ? await startWorker({ connectionString: database.ownerUrl, concurrency: config.WORKER_CONCURRENCY })
      : workerOff;
    stops.push(() => worker.stop());

    let http: HttpHandle | undefined;
    if (role === "all") {
      http = await startHttp({
        host: config.HOST,
        port: config.PORT,
        authUrl: database.authUrl,
        development: config.NODE_ENV === "development",
        poolSize: config.DATABASE_POOL_SIZE,
        worker,
      });
      stops.push(http.close);
      log.info(`Waitify listening on http://localhost:${http.port}`, {
        graphql: `http://localhost:${http.port}/graphql`,
        worker: worker.state(),
        database: database.embedded ? "embedded" : "external",
      });
    } else {
      log.info("Waitify worker running", { database: database.embedded ? "embedded" : "external" });
    }
    return { database, http, worker, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * Ctrl-C or a container stop: finish in-flight work, then exit. Repeated
 * signals are ignored (npm forwards the terminal's SIGINT a second time); the
 * timeout is the backstop.
 */
export function stopOnSignals(running: Running, timeoutMs: number): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received, shutting down`);
    // Deliberately not unref'd: while pools close, this timer is what keeps
    // Node's event loop alive until the embedded PostgreSQL has stopped.
    setTimeout(() => {
      log.error("shutdown timed out, exiting");
      process.exit(1);
    }, timeoutMs);
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}
