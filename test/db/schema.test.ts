// schema/database.sql is the migrated database as the catalog describes it. Stale
// (a migration changed the schema and nobody ran `npm run db:snapshot`), this
// fails; with CI=true vitest never rewrites it, so CI fails too.
//
// Only on PostgreSQL 18, where the file is made: CI also runs test/db against
// PostgreSQL 15, and the deparsing functions (pg_get_functiondef, pg_get_expr,
// pg_get_viewdef…) are free to print differently from one major to the next.
// (Today's text is the same on 15: NOT NULL is printed on the column rather
// than as 18's named constraint, and the owner's implicit rights, which
// include MAINTAIN since 17, are not printed.)
import pg from "pg";
import { expect, inject, it } from "vitest";
import { schemaSnapshot } from "../../lib/db/schema-snapshot.ts";
import { snapshotRoleNames } from "../helpers/schema-snapshot.ts";
import { useTestDatabase } from "../helpers/db.ts";

const SNAPSHOT_MAJOR = 18;

async function serverMajor(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ major: number }>("select current_setting('server_version_num')::int / 10000 as major");
    return rows[0]!.major;
  } finally {
    await client.end();
  }
}

const major = await serverMajor(inject("rootUrl"));
const db = useTestDatabase();

it.skipIf(major !== SNAPSHOT_MAJOR)(
  major === SNAPSHOT_MAJOR
    ? "schema/database.sql is the migrated database's schema"
    : `schema/database.sql (skipped: the server is PostgreSQL ${major}; the snapshot is taken on PostgreSQL ${SNAPSHOT_MAJOR})`,
  async () => {
    const text = await schemaSnapshot(db().root, { roleNames: snapshotRoleNames(db()) });
    await expect(text).toMatchFileSnapshot("../../schema/database.sql");
  },
);
