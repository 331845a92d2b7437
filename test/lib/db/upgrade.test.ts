// A database created and used at the previous head (migration 000004, when
// every definition lived in the migrations) moves forward to today's head
// with its data intact and behaving the same, and ends with exactly the
// catalog of a database created fresh today.
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as graphileMigrate from "graphile-migrate";
import type pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { migrateDatabase, migrateSettings } from "../../../lib/db/migrate.ts";
import { schemaSnapshot } from "../../../lib/db/schema-snapshot.ts";
import { setupDatabase } from "../../../lib/db/setup.ts";
import { useTestDatabase } from "../../helpers/db.ts";

const PREVIOUS_HEAD = ["000001.sql", "000002.sql", "000003.sql", "000004.sql"];
const DATA_TABLES = [
  "app_public.users",
  "app_private.user_secrets",
  "app_public.businesses",
  "app_public.queues",
  "app_public.queue_entries",
  "app_public.queue_events",
  "app_public.sms_logs",
];

const old = useTestDatabase({ uncreated: true });
const fresh = useTestDatabase();
const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** The migrations folder as it was at the previous head. */
function previousMigrations(): string {
  const folder = mkdtempSync(path.join(os.tmpdir(), "waitify-migrations-"));
  folders.push(folder);
  const source = path.join(import.meta.dirname, "..", "..", "..", "migrations");
  cpSync(path.join(source, "afterReset.sql"), path.join(folder, "afterReset.sql"));
  for (const name of PREVIOUS_HEAD) {
    cpSync(path.join(source, "committed", name), path.join(folder, "committed", name), { recursive: true });
  }
  return folder;
}

/** One committed request, as PostGraphile makes it: role and claims for the transaction. */
async function asSession<T extends pg.QueryResultRow>(
  pool: pg.Pool,
  role: "waitify_anonymous" | "waitify_merchant",
  userId: string | null,
  sql: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query(`set local role ${role}`);
    if (userId) await client.query("select set_config('jwt.claims.user_id', $1, true)", [userId]);
    const { rows } = await client.query<T>(sql, values);
    await client.query("commit");
    return rows;
  } catch (error) {
    await client.query("rollback");
    throw error;
  } finally {
    client.release();
  }
}

/**
 * The columns of each data table, as the previous head has them: a later
 * migration may add columns (with their defaults), which is no change to the
 * rows that were there.
 */
async function tableColumns(pool: pg.Pool): Promise<Record<string, string[]>> {
  const columns: Record<string, string[]> = {};
  for (const table of DATA_TABLES) {
    const [schema, name] = table.split(".");
    const { rows } = await pool.query<{ column_name: string }>(
      "select column_name from information_schema.columns where table_schema = $1 and table_name = $2 order by ordinal_position",
      [schema, name],
    );
    columns[table] = rows.map((row) => row.column_name);
  }
  return columns;
}

async function tableDigests(pool: pg.Pool, columns: Record<string, string[]>): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  for (const table of DATA_TABLES) {
    const row = `row(${columns[table]!.map((column) => `t.${column}`).join(", ")})::text`;
    const { rows } = await pool.query<{ digest: string; count: string }>(
      `select md5(coalesce(string_agg(${row}, '|' order by ${row}), '')) as digest, count(*) as count from ${table} t`,
    );
    digests[table] = `${rows[0]!.count}:${rows[0]!.digest}`;
  }
  return digests;
}

async function errorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as { code: string }).code;
  }
  throw new Error("expected an error");
}

describe("upgrading a database from the previous head (000004)", () => {
  let userId = "";
  let queueId = "";
  let qrToken = "";
  const tokens: string[] = [];
  let before: Record<string, string> = {};
  let columns: Record<string, string[]> = {};

  it("is filled at 000004 through the SQL API of the time", async () => {
    await setupDatabase(old().rootUrl, old());
    await graphileMigrate.migrate({ ...migrateSettings(old()), migrationsFolder: previousMigrations() });
    const applied = await old().root.query<{ filename: string }>("select filename from graphile_migrate.migrations order by 1");
    expect(applied.rows.map((row) => row.filename)).toEqual(PREVIOUS_HEAD);

    const root = old().root;
    const account = await root.query<{ user_id: string }>(
      "select (app_public.register('upgrade@example.test', 'correct horse battery', 'Up', 'Grade')).user_id",
    );
    userId = account.rows[0]!.user_id;
    const business = await asSession<{ id: string }>(
      root,
      "waitify_merchant",
      userId,
      "insert into app_public.businesses (name, business_type) values ('Boulangerie', 'bakery') returning id",
    );
    const queue = await root.query<{ id: string; qr_code_token: string }>(
      "select id, qr_code_token from app_public.queues where business_id = $1",
      [business[0]!.id],
    );
    queueId = queue.rows[0]!.id;
    qrToken = queue.rows[0]!.qr_code_token;
    await asSession(root, "waitify_merchant", userId, "select app_public.open_queue($1)", [queueId]);
    for (let n = 1; n <= 4; n++) {
      const joined = await asSession<{ entry_token: string }>(
        root,
        "waitify_anonymous",
        null,
        "select (app_public.join_queue($1, $2, $3)).entry_token",
        [qrToken, `06 12 34 56 7${n}`, `Client ${n}`],
      );
      tokens.push(joined[0]!.entry_token);
    }
    const called = await asSession<{ id: string }>(root, "waitify_merchant", userId, "select (app_public.call_next($1)).id", [
      queueId,
    ]);
    await asSession(root, "waitify_merchant", userId, "select app_public.mark_served($1)", [called[0]!.id]);
    await asSession(root, "waitify_anonymous", null, "select app_public.cancel_entry($1)", [tokens[3]]);
    columns = await tableColumns(root);
    before = await tableDigests(root, columns);
    expect(before["app_public.queue_entries"]).toMatch(/^4:/);
    expect(Number(before["app_public.sms_logs"]!.split(":")[0])).toBeGreaterThanOrEqual(6);
  });

  it("migrates forward with every row intact", async () => {
    await migrateDatabase(old(), { current: true });
    const applied = await old().root.query<{ filename: string }>("select filename from graphile_migrate.migrations order by 1");
    expect(applied.rows.length).toBeGreaterThan(PREVIOUS_HEAD.length);
    expect(await tableDigests(old().root, columns)).toEqual(before);
  });

  it("ends with the same catalog as a database created fresh today", async () => {
    expect(await schemaSnapshot(old().root)).toBe(await schemaSnapshot(fresh().root));
  });

  it("behaves the same: places, calls, joins, SMS and coded errors go on", async () => {
    const root = old().root;
    const status = await asSession<{ status: string; position: number }>(
      root,
      "waitify_anonymous",
      null,
      "select status, position from app_public.entry_status($1)",
      [tokens[1]],
    );
    expect(status[0]).toEqual({ status: "waiting", position: 1 });
    const called = await asSession<{ entry_token: string }>(
      root,
      "waitify_merchant",
      userId,
      "select (app_public.call_next($1)).entry_token",
      [queueId],
    );
    expect(called[0]!.entry_token).toBe(tokens[1]);
    const joined = await asSession<{ position: number }>(
      root,
      "waitify_anonymous",
      null,
      "select position from app_public.join_queue($1, '06 12 34 56 79', 'Newcomer')",
      [qrToken],
    );
    expect(joined[0]!.position).toBe(2);
    const again = await errorCode(
      asSession(root, "waitify_anonymous", null, "select app_public.join_queue($1, '06 12 34 56 79')", [qrToken]),
    );
    expect(again).toBe("WT403");
    const sms = await root.query<{ message_type: string }>(
      "select message_type from app_public.sms_logs where phone = '+33612345679'",
    );
    expect(sms.rows.map((row) => row.message_type)).toEqual(["confirmation"]);
    const otherMerchant = await errorCode(
      asSession(root, "waitify_merchant", "00000000-0000-4000-8000-000000000000", "select app_public.call_next($1)", [
        queueId,
      ]),
    );
    expect(otherMerchant).toBe("WTNFD");
  });
});
