// Test databases and the one way tests talk to them in a transaction: as a
// request role (anonymous / merchant / admin, with the user id claim a
// merchant's token carries), the way PostGraphile sets role and claims per
// request, or as the superuser; rolled back unless the test asks to commit.
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

/** What can run a statement: a pool, a pooled or a plain client. */
export type Queryable = Pick<pg.ClientBase, "query">;

/** The roles a test transaction runs as: a request role, or the superuser the pool logs in as. */
export type TestRole = RequestRole | "superuser";

export interface RoleOptions {
  /** The user id claim (jwt.claims.user_id), as a merchant's token carries it. */
  userId?: string | null;
  /** The administrator claim (jwt.claims.admin_id), as an admin's token carries it. */
  adminId?: string | null;
  /** Commit the transaction (default: roll it back, whatever fn did). */
  commit?: boolean;
}

/**
 * Switches a connection to a request role with its claims, as PostGraphile
 * does per request: for the current transaction (default), or with
 * `session: true` for the rest of the session (connections used outside any
 * transaction, as the concurrency races use them).
 */
export async function enterRole(
  client: Queryable,
  role: RequestRole,
  options: { userId?: string | null; adminId?: string | null; session?: boolean } = {},
): Promise<void> {
  const local = !options.session;
  await client.query(`set ${local ? "local " : ""}role ${ident(role)}`);
  if (options.userId) await client.query("select set_config('jwt.claims.user_id', $1, $2)", [options.userId, local]);
  if (options.adminId) await client.query("select set_config('jwt.claims.admin_id', $1, $2)", [options.adminId, local]);
}

/**
 * Runs fn in one transaction as `role` (as the superuser with "superuser"),
 * with the user id claim when given; rolled back afterwards unless `commit`.
 * Every helper that runs SQL as somebody is a thin wrapper over this one.
 */
export async function asRole<T>(
  database: TestDatabase,
  role: TestRole,
  fn: (client: pg.PoolClient) => Promise<T>,
  options: RoleOptions = {},
): Promise<T> {
  const client = await database.root.connect();
  let open = false;
  try {
    await client.query("begin");
    open = true;
    if (role !== "superuser") await enterRole(client, role, { userId: options.userId, adminId: options.adminId });
    else if (options.userId) await client.query("select set_config('jwt.claims.user_id', $1, true)", [options.userId]);
    const result = await fn(client);
    if (options.commit) {
      open = false;
      await client.query("commit");
    }
    return result;
  } finally {
    if (open) await client.query("rollback").catch(() => {});
    client.release();
  }
}

type Fn<T> = (client: pg.PoolClient) => Promise<T>;
type Commit = { commit?: boolean };

/** As a customer (no account). */
export const asAnonymous = <T>(database: TestDatabase, fn: Fn<T>, options: Commit = {}) =>
  asRole(database, ANONYMOUS_ROLE, fn, options);
/** As a signed-in merchant. */
export const asMerchant = <T>(database: TestDatabase, userId: string, fn: Fn<T>, options: Commit = {}) =>
  asRole(database, MERCHANT_ROLE, fn, { ...options, userId });
/** As the back office: the admin role, naming an administrator when adminId is given (writes need one). */
export const asAdmin = <T>(database: TestDatabase, fn: Fn<T>, options: Commit & { adminId?: string } = {}) =>
  asRole(database, ADMIN_ROLE, fn, options);
/** As the superuser: set-up that must share one transaction, or be rolled back. */
export const asRoot = <T>(database: TestDatabase, fn: Fn<T>, options: Commit = {}) => asRole(database, "superuser", fn, options);

/**
 * One statement as a request runs it: in its own transaction, committed (the
 * next call sees it, as the next request would); its rows.
 */
export const customerQuery = <T extends pg.QueryResultRow>(database: TestDatabase, sql: string, values: unknown[] = []) =>
  asAnonymous(database, async (client) => (await client.query<T>(sql, values)).rows, { commit: true });
export const merchantQuery = <T extends pg.QueryResultRow>(
  database: TestDatabase,
  userId: string,
  sql: string,
  values: unknown[] = [],
) => asMerchant(database, userId, async (client) => (await client.query<T>(sql, values)).rows, { commit: true });

/** The SQLSTATE and message a promise rejected with. */
export async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    const { code, message } = error as { code: string; message: string };
    return { code, message };
  }
  throw new Error("expected a failure");
}

/** The SQLSTATE a promise rejected with, or "ok" when it did not. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (error) {
    return String((error as { code?: string }).code);
  }
}
