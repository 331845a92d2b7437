// Test databases and the three ways tests talk to them: as root, or as a
// request role (anonymous / merchant / admin) inside a transaction that is
// always rolled back, the way PostGraphile sets role and claims per request.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, inject } from "vitest";
import { embeddedUrls } from "../../lib/db/database.ts";
import { ADMIN_ROLE, ANONYMOUS_ROLE, MERCHANT_ROLE, type RequestRole } from "../../lib/db/roles.ts";
import { runAfterReset, type DatabaseUrls } from "../../lib/db/setup.ts";
import { ident, withDatabase } from "../../lib/db/urls.ts";

export interface TestDatabase extends DatabaseUrls {
  name: string;
  rootUrl: string;
  /** Superuser pool on this database: set-up, assertions, role switching. */
  root: pg.Pool;
  drop(): Promise<void>;
}

/**
 * A new database cloned from the migrated template. With `uncreated`, only
 * its name and URLs: migration tests create and migrate it from zero.
 */
export async function createTestDatabase(options: { uncreated?: boolean } = {}): Promise<TestDatabase> {
  const rootUrl = inject("rootUrl");
  const template = inject("templateDatabase");
  // The run's pid ends the name so that global teardown finds leftovers.
  const name = `waitify_test_${randomBytes(4).toString("hex")}_${template.split("_").pop()}`;
  if (!options.uncreated) {
    const admin = new pg.Client({ connectionString: rootUrl });
    await admin.connect();
    try {
      // FILE_COPY: a plain copy of a small template is faster than WAL-logging it.
      await admin.query(`create database ${ident(name)} template ${ident(template)} strategy file_copy`);
    } finally {
      await admin.end();
    }
  }
  const urls = embeddedUrls(rootUrl, name);
  if (!options.uncreated) await runAfterReset(rootUrl, urls, name);
  const root = new pg.Pool({ connectionString: withDatabase(rootUrl, name), max: 10 });
  root.on("error", () => {});
  return {
    ...urls,
    rootUrl,
    name,
    root,
    async drop() {
      await root.end();
      const client = new pg.Client({ connectionString: rootUrl });
      await client.connect();
      try {
        // Let pools that linger briefly (graphile-migrate keeps one ~200 ms,
        // and exits the process if its connections are killed) close first.
        for (let attempt = 0; attempt < 50; attempt++) {
          const open = await client.query("select 1 from pg_stat_activity where datname = $1", [name]);
          if (open.rowCount === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await client.query(`drop database if exists ${ident(name)} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** One database for the whole test file, dropped afterwards. */
export function useTestDatabase(options: { uncreated?: boolean } = {}): () => TestDatabase {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createTestDatabase(options);
  });
  afterAll(async () => {
    await database?.drop();
  });
  return () => {
    if (!database) throw new Error("test database not ready (use it inside a test or hook)");
    return database;
  };
}

/** Runs fn as a request role in a transaction that is rolled back. */
export async function asRole<T>(
  database: TestDatabase,
  role: RequestRole,
  userId: string | null,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await database.root.connect();
  try {
    await client.query("begin");
    await client.query(`set local role ${ident(role)}`);
    if (userId) await client.query("select set_config('jwt.claims.user_id', $1, true)", [userId]);
    return await fn(client);
  } finally {
    await client.query("rollback").catch(() => {});
    client.release();
  }
}

export const asAnonymous = <T>(database: TestDatabase, fn: (client: pg.PoolClient) => Promise<T>) =>
  asRole(database, ANONYMOUS_ROLE, null, fn);
export const asMerchant = <T>(database: TestDatabase, userId: string, fn: (client: pg.PoolClient) => Promise<T>) =>
  asRole(database, MERCHANT_ROLE, userId, fn);
export const asAdmin = <T>(database: TestDatabase, fn: (client: pg.PoolClient) => Promise<T>) =>
  asRole(database, ADMIN_ROLE, null, fn);

/** Runs fn as the superuser in a transaction that is rolled back. */
export async function asRoot<T>(database: TestDatabase, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await database.root.connect();
  try {
    await client.query("begin");
    return await fn(client);
  } finally {
    await client.query("rollback").catch(() => {});
    client.release();
  }
}
