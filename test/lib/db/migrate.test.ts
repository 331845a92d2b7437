// Migrations apply to an empty database, are recorded, and current.sql can be
// applied more than once (migrations/current/ must stay idempotent while it is being written).
import { describe, expect, it } from "vitest";
import { applyCurrentMigration, migrateDatabase } from "../../../lib/db/migrate.ts";
import { setupDatabase } from "../../../lib/db/setup.ts";
import { asAnonymous, asRoot, useTestDatabase } from "../../helpers/db.ts";

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

  it("current_user_id() is null for anonymous and reads the JWT claim otherwise", async () => {
    await asAnonymous(db(), async (client) => {
      const anonymous = await client.query("select app_public.current_user_id() as id");
      expect(anonymous.rows[0].id).toBeNull();
      const id = "2f1c8a0e-8c5b-4b7e-9a43-1d1b8f3e7c11";
      await client.query("select set_config('jwt.claims.user_id', $1, true)", [id]);
      const claimed = await client.query("select app_public.current_user_id() as id");
      expect(claimed.rows[0].id).toBe(id);
    });
  });

  it("the updated_at trigger function moves updated_at forward", async () => {
    await asRoot(db(), async (client) => {
      await client.query("create temp table things (id int, updated_at timestamptz not null default now())");
      await client.query(
        "create trigger _100_timestamps before update on things for each row execute function app_private.tg__set_updated_at()",
      );
      await client.query("insert into things values (1, '2000-01-01')");
      const updated = await client.query("update things set id = 2 returning updated_at > '2001-01-01' as moved");
      expect(updated.rows[0].moved).toBe(true);
    });
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
