// Tenancy in SQL: every table has row-level security, and for identity's
// tables (the policies and grants of db/identity/) the matrix table ×
// select/insert/update/delete × owner / other merchant / anonymous / admin
// holds, checked as each role inside rolled-back transactions. The queue's
// tables: test/db/queue/access.test.ts.
import type pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { asAdmin, asAnonymous, asMerchant, useTestDatabase } from "../../helpers/db.ts";
import { createMerchant, type TestMerchant } from "../../helpers/fixtures.ts";

const db = useTestDatabase();

/** The SQLSTATE a statement fails with, or "ok" and its row count. */
async function attempt(client: pg.PoolClient, sql: string, params: unknown[] = []): Promise<string> {
  await client.query("savepoint attempt");
  try {
    const result = await client.query(sql, params);
    await client.query("release savepoint attempt");
    return `ok:${result.rowCount}`;
  } catch (error) {
    await client.query("rollback to savepoint attempt");
    return String((error as { code?: string }).code);
  }
}

const DENIED = "42501";

describe("row-level security everywhere", () => {
  it("every table in app_public, app_hidden and app_private has RLS enabled", async () => {
    const { rows } = await db().root.query<{ table: string }>(`
      select format('%I.%I', n.nspname, c.relname) as table
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname in ('app_public', 'app_hidden', 'app_private')
        and c.relkind in ('r', 'p') and not c.relrowsecurity`);
    expect(rows.map((row) => row.table)).toEqual([]);
  });

  it("every table in the exposed schemas (app_public, app_hidden) has at least one policy", async () => {
    const { rows } = await db().root.query<{ table: string }>(`
      select format('%I.%I', n.nspname, c.relname) as table
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname in ('app_public', 'app_hidden') and c.relkind in ('r', 'p')
        and not exists (select 1 from pg_policy p where p.polrelid = c.oid)`);
    expect(rows.map((row) => row.table)).toEqual([]);
  });

  // app_private holds secrets: RLS on, no policy, and no privilege for any
  // request role. Only SECURITY DEFINER functions (running as the owner) reach
  // it, so a policy would be dead code and a grant a hole.
  it("no request role holds any privilege on an app_private table", async () => {
    const { rows } = await db().root.query<{ grant: string }>(`
      select format('%s: %I.%I', r.rolname, n.nspname, c.relname) as grant
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      cross join (values ('waitify_anonymous'), ('waitify_merchant'), ('waitify_admin')) as r(rolname)
      where n.nspname = 'app_private' and c.relkind in ('r', 'p', 'v', 'm')
        and has_table_privilege(r.rolname, c.oid, 'select, insert, update, delete, truncate, references, trigger')`);
    expect(rows.map((row) => row.grant)).toEqual([]);
  });

  it("every SECURITY DEFINER function of ours fixes its search_path", async () => {
    const { rows } = await db().root.query<{ fn: string }>(`
      select p.oid::regprocedure::text as fn
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname in ('app_public', 'app_hidden', 'app_private') and p.prosecdef
        and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) as setting where setting like 'search_path=%')`);
    expect(rows.map((row) => row.fn)).toEqual([]);
  });

  it("no function of ours is executable by PUBLIC", async () => {
    const { rows } = await db().root.query<{ fn: string }>(`
      select p.oid::regprocedure::text as fn
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname in ('app_public', 'app_hidden', 'app_private')
        and exists (select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                    where a.grantee = 0 and a.privilege_type = 'EXECUTE')`);
    expect(rows.map((row) => row.fn)).toEqual([]);
  });
});

describe("the tenancy matrix", () => {
  let a: TestMerchant;
  let b: TestMerchant;
  let businessA: string;
  let queueA: string;
  let businessB: string;

  beforeAll(async () => {
    a = await createMerchant(db(), { plan: "pro" });
    b = await createMerchant(db());
    const created = await db().root.query<{ id: string }>(
      "insert into app_public.businesses (user_id, name, business_type) values ($1, 'A bakery', 'bakery') returning id",
      [a.userId],
    );
    businessA = created.rows[0]!.id;
    queueA = (await db().root.query<{ id: string }>("select id from app_public.queues where business_id = $1", [businessA]))
      .rows[0]!.id;
    businessB = (
      await db().root.query<{ id: string }>(
        "insert into app_public.businesses (user_id, name) values ($1, 'B shop') returning id",
        [b.userId],
      )
    ).rows[0]!.id;
  });

  const asOwner = <T>(fn: (client: pg.PoolClient) => Promise<T>) => asMerchant(db(), a.userId, fn);
  const asOther = <T>(fn: (client: pg.PoolClient) => Promise<T>) => asMerchant(db(), b.userId, fn);
  const asAnon = <T>(fn: (client: pg.PoolClient) => Promise<T>) => asAnonymous(db(), fn);
  const asAdm = <T>(fn: (client: pg.PoolClient) => Promise<T>) => asAdmin(db(), fn);

  describe("users", () => {
    it("select: owner sees its row only, other merchant nothing of it, anonymous is refused, admin sees all", async () => {
      expect(await asOwner((c) => attempt(c, "select * from app_public.users where id = $1", [a.userId]))).toBe("ok:1");
      expect(await asOwner((c) => attempt(c, "select * from app_public.users"))).toBe("ok:1");
      expect(await asOther((c) => attempt(c, "select * from app_public.users where id = $1", [a.userId]))).toBe("ok:0");
      expect(await asAnon((c) => attempt(c, "select * from app_public.users"))).toBe(DENIED);
      expect(await asAdm((c) => attempt(c, "select * from app_public.users where id in ($1, $2)", [a.userId, b.userId]))).toBe(
        "ok:2",
      );
    });

    it("insert: nobody (accounts come from register / Google sign-in)", async () => {
      const insert = "insert into app_public.users (email, subscription_plan_id) select 'x@example.test', id from app_public.subscription_plans limit 1";
      for (const as of [asOwner, asOther, asAnon, asAdm]) expect(await as((c) => attempt(c, insert))).toBe(DENIED);
    });

    it("update: owner changes its profile only; other merchant changes nothing; anonymous and admin are refused", async () => {
      const update = "update app_public.users set first_name = 'Changed' where id = $1";
      expect(await asOwner((c) => attempt(c, update, [a.userId]))).toBe("ok:1");
      expect(await asOther((c) => attempt(c, update, [a.userId]))).toBe("ok:0");
      expect(await asAnon((c) => attempt(c, update, [a.userId]))).toBe(DENIED);
      expect(await asAdm((c) => attempt(c, update, [a.userId]))).toBe(DENIED);
      // Plan, status, trial and activity are not the merchant's to set.
      for (const column of ["subscription_plan_id = subscription_plan_id", "subscription_status = 'active'", "trial_ends_at = now()", "is_active = true", "email = 'new@example.test'"]) {
        expect(await asOwner((c) => attempt(c, `update app_public.users set ${column} where id = $1`, [a.userId]))).toBe(DENIED);
      }
    });

    it("delete: nobody", async () => {
      for (const as of [asOwner, asOther, asAnon, asAdm]) {
        expect(await as((c) => attempt(c, "delete from app_public.users where id = $1", [a.userId]))).toBe(DENIED);
      }
    });
  });

  describe("user_secrets (app_private)", () => {
    it("is out of reach of every request role", async () => {
      for (const as of [asOwner, asOther, asAnon, asAdm]) {
        expect(await as((c) => attempt(c, "select * from app_private.user_secrets"))).toBe(DENIED);
        expect(await as((c) => attempt(c, "update app_private.user_secrets set password_hash = 'x'"))).toBe(DENIED);
        expect(await as((c) => attempt(c, "delete from app_private.user_secrets"))).toBe(DENIED);
      }
    });
  });

  describe("businesses", () => {
    it("select: owner yes, other merchant no, anonymous refused, admin yes", async () => {
      const select = "select * from app_public.businesses where id = $1";
      expect(await asOwner((c) => attempt(c, select, [businessA]))).toBe("ok:1");
      expect(await asOther((c) => attempt(c, select, [businessA]))).toBe("ok:0");
      expect(await asAnon((c) => attempt(c, select, [businessA]))).toBe(DENIED);
      expect(await asAdm((c) => attempt(c, select, [businessA]))).toBe("ok:1");
      expect(await asOther((c) => attempt(c, "select * from app_public.businesses"))).toBe("ok:1");
    });

    it("insert: a merchant creates its own; nobody creates one for somebody else", async () => {
      expect(await asOwner((c) => attempt(c, "insert into app_public.businesses (name) values ('Second')"))).toBe("ok:1");
      // The tenant key comes from the session, never from the client.
      expect(
        await asOther((c) => attempt(c, "insert into app_public.businesses (user_id, name) values ($1, 'Mine now')", [a.userId])),
      ).toBe(DENIED);
      expect(await asAnon((c) => attempt(c, "insert into app_public.businesses (name) values ('Anon')"))).toBe(DENIED);
      expect(await asAdm((c) => attempt(c, "insert into app_public.businesses (name) values ('Admin')"))).toBe(DENIED);
    });

    it("update: owner yes, other merchant changes nothing, anonymous and admin refused; is_active only via functions", async () => {
      const update = "update app_public.businesses set name = 'Renamed' where id = $1";
      expect(await asOwner((c) => attempt(c, update, [businessA]))).toBe("ok:1");
      expect(await asOther((c) => attempt(c, update, [businessA]))).toBe("ok:0");
      expect(await asAnon((c) => attempt(c, update, [businessA]))).toBe(DENIED);
      expect(await asAdm((c) => attempt(c, update, [businessA]))).toBe(DENIED);
      expect(await asOwner((c) => attempt(c, "update app_public.businesses set is_active = false where id = $1", [businessA]))).toBe(DENIED);
      expect(await asOwner((c) => attempt(c, "update app_public.businesses set user_id = $2 where id = $1", [businessA, b.userId]))).toBe(DENIED);
    });

    it("delete: nobody deletes rows (soft delete goes through delete_business)", async () => {
      for (const as of [asOwner, asOther, asAnon, asAdm]) {
        expect(await as((c) => attempt(c, "delete from app_public.businesses where id = $1", [businessA]))).toBe(DENIED);
      }
      expect(await asOther((c) => attempt(c, "select app_public.delete_business($1)", [businessA]))).toBe("WTNFD");
      expect(await asOther((c) => attempt(c, "select app_public.restore_business($1)", [businessA]))).toBe("WTNFD");
      expect(await asAnon((c) => attempt(c, "select app_public.delete_business($1)", [businessA]))).toBe(DENIED);
      expect(await asOwner((c) => attempt(c, "select app_public.delete_business($1)", [businessA]))).toBe("ok:1");
    });
  });

  describe("queues", () => {
    it("select: owner yes, other merchant no, anonymous refused, admin yes", async () => {
      const select = "select * from app_public.queues where id = $1";
      expect(await asOwner((c) => attempt(c, select, [queueA]))).toBe("ok:1");
      expect(await asOther((c) => attempt(c, select, [queueA]))).toBe("ok:0");
      expect(await asOther((c) => attempt(c, "select * from app_public.queues where qr_code_token is not null"))).toBe("ok:1");
      expect(await asAnon((c) => attempt(c, select, [queueA]))).toBe(DENIED);
      expect(await asAdm((c) => attempt(c, select, [queueA]))).toBe("ok:1");
    });

    it("insert: owner adds a queue to its business; other merchant cannot add one to it", async () => {
      const insert = "insert into app_public.queues (business_id, name) values ($1, 'Second counter')";
      expect(await asOwner((c) => attempt(c, insert, [businessA]))).toBe("ok:1");
      expect(await asOther((c) => attempt(c, insert, [businessA]))).toBe("WTNFD");
      expect(await asOther((c) => attempt(c, "insert into app_public.queues (business_id, user_id, name) values ($1, $2, 'x')", [businessA, a.userId]))).toBe(DENIED);
      expect(await asAnon((c) => attempt(c, insert, [businessA]))).toBe(DENIED);
      expect(await asAdm((c) => attempt(c, insert, [businessA]))).toBe(DENIED);
    });

    it("update: owner changes settings; token and open/paused flags only through functions", async () => {
      const update = "update app_public.queues set max_queue_size = 20, client_timeout_minutes = 10 where id = $1";
      expect(await asOwner((c) => attempt(c, update, [queueA]))).toBe("ok:1");
      expect(await asOther((c) => attempt(c, update, [queueA]))).toBe("ok:0");
      expect(await asAnon((c) => attempt(c, update, [queueA]))).toBe(DENIED);
      expect(await asAdm((c) => attempt(c, update, [queueA]))).toBe(DENIED);
      for (const column of ["qr_code_token = 'abcdefghijklmnopqrstuvwxyz'", "is_queue_active = true", "is_queue_paused = true", "business_id = business_id", "user_id = user_id"]) {
        expect(await asOwner((c) => attempt(c, `update app_public.queues set ${column} where id = $1`, [queueA]))).toBe(DENIED);
      }
      expect(await asOwner((c) => attempt(c, "update app_public.queues set max_queue_size = 201 where id = $1", [queueA]))).toBe("23514");
    });

    it("regenerate_qr_token: owner only", async () => {
      expect(await asOwner((c) => attempt(c, "select app_public.regenerate_qr_token($1)", [queueA]))).toBe("ok:1");
      expect(await asOther((c) => attempt(c, "select app_public.regenerate_qr_token($1)", [queueA]))).toBe("WTNFD");
      expect(await asAnon((c) => attempt(c, "select app_public.regenerate_qr_token($1)", [queueA]))).toBe(DENIED);
    });

    it("delete: nobody", async () => {
      for (const as of [asOwner, asOther, asAnon, asAdm]) {
        expect(await as((c) => attempt(c, "delete from app_public.queues where id = $1", [queueA]))).toBe(DENIED);
      }
    });
  });

  describe("reference data", () => {
    it("plans: everyone reads the active ones; nobody writes", async () => {
      for (const as of [asOwner, asAnon, asAdm]) {
        expect(await as((c) => attempt(c, "select * from app_public.subscription_plans"))).toBe("ok:3");
        expect(await as((c) => attempt(c, "update app_public.subscription_plans set price_cents = 0"))).toBe(DENIED);
        expect(await as((c) => attempt(c, "insert into app_public.subscription_plans (name, price_cents, max_businesses) values ('free', 0, 1)"))).toBe(DENIED);
        expect(await as((c) => attempt(c, "delete from app_public.subscription_plans"))).toBe(DENIED);
      }
    });

    it("configuration: anonymous and merchants read the public keys only; admin reads all; nobody writes", async () => {
      const keys = async (as: typeof asAnon) =>
        as(async (c) => (await c.query<{ key: string }>("select key from app_public.system_configs order by key")).rows.map((r) => r.key));
      expect(await keys(asAnon)).not.toContain("sms_cost_cents");
      expect(await keys(asAnon)).toContain("default_service_times");
      expect(await keys(asOwner)).not.toContain("sms_cost_cents");
      expect(await keys(asAdm)).toContain("sms_cost_cents");
      for (const as of [asOwner, asAnon, asAdm]) {
        expect(await as((c) => attempt(c, "update app_public.system_configs set value = '0'"))).toBe(DENIED);
      }
    });
  });

  it("the other merchant's rows stay invisible through every function too", async () => {
    const mine = await asOther(async (c) => (await c.query<{ id: string }>("select id from app_public.my_businesses(true)")).rows);
    expect(mine.map((row) => row.id)).toEqual([businessB]);
    const current = await asOther(async (c) => (await c.query<{ id: string }>('select id from app_public."current_user"()')).rows);
    expect(current.map((row) => row.id)).toEqual([b.userId]);
  });
});
