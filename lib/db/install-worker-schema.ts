// Installs (or upgrades) graphile-worker's own schema. graphile-migrate calls
// this after a reset (with GM_DBURL); db/migrate.ts calls it before applying
// migrations: our SQL enqueues jobs through graphile_worker.add_job.
import { Logger, runMigrations } from "graphile-worker";

const errorsOnly = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") console.error(`[worker-schema] ${message}`);
});

export async function installWorkerSchema(connectionString: string): Promise<void> {
  await runMigrations({ connectionString, logger: errorsOnly });
}

if (import.meta.main) {
  const url = process.env.GM_DBURL ?? process.env.DATABASE_URL;
  if (!url) {
    console.error("install-worker-schema: set GM_DBURL or DATABASE_URL");
    process.exit(1);
  }
  await installWorkerSchema(url);
}
