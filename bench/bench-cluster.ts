// A benchmark's PostgreSQL: the embedded cluster in its own data folder,
// always started by this run, and a database created afresh in it with every
// migration (committed and current) and the db/ definitions.
import { readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { embeddedUrls } from "../lib/db/database.ts";
import { startEmbeddedPostgres, type EmbeddedCluster, type EmbeddedOptions } from "../lib/db/embedded.ts";
import { migrateDatabase } from "../lib/db/migrate.ts";
import { setupDatabase, type DatabaseUrls } from "../lib/db/setup.ts";
import { ident } from "../lib/db/urls.ts";

/**
 * The bench's cluster, started by this run with this run's settings. One left
 * running by a run that was killed (SIGKILL skips every clean-up) would be
 * joined as it is, settings included: it gets a fast shutdown (SIGINT to the
 * postmaster of this data folder, by its pid) and a fresh start.
 */
export async function startOwnCluster(options: EmbeddedOptions): Promise<EmbeddedCluster> {
  const cluster = await startEmbeddedPostgres(options);
  if (cluster.owned) return cluster;
  const pid = Number((await readFile(path.join(options.dataDir, "postmaster.pid"), "utf8")).split("\n")[0]);
  console.error(`bench: stopping the PostgreSQL (pid ${pid}) an interrupted run left in ${options.dataDir}`);
  process.kill(pid, "SIGINT");
  const deadline = Date.now() + 30_000;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`PostgreSQL ${pid} (${options.dataDir}) did not stop`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const fresh = await startEmbeddedPostgres(options);
  if (!fresh.owned) throw new Error(`another process keeps starting PostgreSQL in ${options.dataDir}`);
  return fresh;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Drops `database` if a previous run left it, creates it with its roles, and migrates it. */
export async function freshBenchDatabase(rootUrl: string, database: string): Promise<DatabaseUrls> {
  const root = new pg.Client({ connectionString: rootUrl });
  await root.connect();
  try {
    await root.query(`drop database if exists ${ident(database)} with (force)`);
  } finally {
    await root.end();
  }
  const urls = embeddedUrls(rootUrl, database);
  await setupDatabase(rootUrl, { ...urls, shadowUrl: undefined });
  // Committed and current migrations, then db/: a definition may need a table
  // that only the current migration creates.
  await migrateDatabase(urls, { current: true });
  return urls;
}
