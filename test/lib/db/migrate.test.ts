// lib/db/setup.ts and lib/db/migrate.ts on an empty database: set-up creates
// the database, roles and extensions, migrations apply and are recorded, the
// current migration can be applied more than once (migrations/current/ must
// stay idempotent while it is being written), and app_private stays out of
// the request roles' reach.
import { describe, expect, it } from "vitest";
import { applyCurrentMigration, migrateDatabase } from "../../../lib/db/migrate.ts";
import { setupDatabase } from "../../../lib/db/setup.ts";
import { useTestDatabase } from "../../helpers/db.ts";

describe("migrations from zero", () => {
  const db = useTestDatabase({ uncreated: true });

  it("creates the database, extensions, worker schema and our schemas", async () => {
    await setupDatabase(db().rootUrl, db());
    await migrateDatabase(db());
    const schemas = await db().root.query<{ nspname: string }>(
      "select nspname from pg_namespace where nspname in ('app_public','app_hidden','app_private','graphile_worker','graphile_migrate') order by 1",
    );
    expect(schemas.rows.map((row) => row.nspname)).toEqual([
      "app_hidden",
      "app_private",
      "app_public",
      "graphile_migrate",
      "graphile_worker",
    ]);
    const extensions = await db().root.query("select extname from pg_extension where extname in ('pgcrypto','citext')");
    expect(extensions.rowCount).toBe(2);
  });

  it("records every committed migration and is a no-op the second time", async () => {
    const before = await db().root.query<{ count: string }>("select count(*) from graphile_migrate.migrations");
    expect(Number(before.rows[0]!.count)).toBeGreaterThanOrEqual(1);
    await migrateDatabase(db());
    const after = await db().root.query<{ count: string }>("select count(*) from graphile_migrate.migrations");
    expect(after.rows[0]!.count).toBe(before.rows[0]!.count);
  });

  it("applies the current migration twice without error", async () => {
    await applyCurrentMigration(db());
    await applyCurrentMigration(db());
    const current = await db().root.query("select * from graphile_migrate.current");
    expect(current.rowCount).toBe(1);
  });

  it("keeps app_private out of reach of the request roles", async () => {
    const usage = await db().root.query<{ role: string; usable: boolean }>(
      `select r as role, has_schema_privilege(r, 'app_private', 'usage') as usable
         from unnest(array['waitify_anonymous','waitify_merchant','waitify_admin']) r`,
    );
    expect(usage.rows.every((row) => !row.usable)).toBe(true);
    const authenticator = await db().root.query("select rolinherit from pg_roles where rolname = 'waitify_authenticator'");
    expect(authenticator.rows[0].rolinherit).toBe(false);
  });
});
