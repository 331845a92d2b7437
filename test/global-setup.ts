// Runs once per `npm test`: a PostgreSQL (embedded, or TEST_DATABASE_URL's
// server), the roles, and a migrated template database that every test file
// clones in a few milliseconds.
import type { TestProject } from "vitest/node";
import pg from "pg";
import { embeddedUrls } from "../lib/db/database.ts";
import { startEmbeddedPostgres } from "../lib/db/embedded.ts";
import { migrateDatabase } from "../lib/db/migrate.ts";
import { setupDatabase } from "../lib/db/setup.ts";
import { ident } from "../lib/db/urls.ts";

declare module "vitest" {
  export interface ProvidedContext {
    rootUrl: string;
    templateDatabase: string;
  }
}

/**
 * Separate from `npm start`'s folder and port, so both can run at once.
 * TEST_PG_PORT moves it (two test runs side by side in two work trees).
 */
export const TEST_PG_DIR = ".data/test-pg";
export const TEST_PG_PORT = Number(process.env.TEST_PG_PORT ?? 54330);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = process.env.TEST_DATABASE_URL
    ? { rootUrl: process.env.TEST_DATABASE_URL, stop: async () => {} }
    : await startEmbeddedPostgres({
        dataDir: TEST_PG_DIR,
        port: TEST_PG_PORT,
        // Throwaway data: durability off for speed; room for concurrency tests.
        settings: { fsync: "off", synchronous_commit: "off", full_page_writes: "off", max_connections: "400" },
      });
  const templateDatabase = `waitify_test_tpl_${process.pid}`;
  const urls = embeddedUrls(cluster.rootUrl, templateDatabase);
  await setupDatabase(cluster.rootUrl, { ...urls, shadowUrl: undefined });
  // Work in progress (migrations/current/) is tested too; empty once committed.
  await migrateDatabase(urls, { current: true, force: true });

  project.provide("rootUrl", cluster.rootUrl);
  project.provide("templateDatabase", templateDatabase);

  return async () => {
    const root = new pg.Client({ connectionString: cluster.rootUrl });
    await root.connect();
    const leftovers = await root.query<{ datname: string }>(
      "select datname from pg_database where datname like $1",
      [`waitify_test_%_${process.pid}%`],
    );
    for (const { datname } of leftovers.rows) await root.query(`drop database if exists ${ident(datname)} with (force)`);
    await root.end();
    await cluster.stop();
  };
}
