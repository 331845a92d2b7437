// schemaSnapshot() sees what matters: each kind of change a migration makes
// changes the text, and an unchanged database gives the same text twice.
// Every change runs in a transaction that is rolled back, and the snapshot is
// read through that transaction's connection. Runs on PostgreSQL 15 and 18.
import type pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { OWNER_PLACEHOLDER, schemaSnapshot } from "../../lib/db/schema-snapshot.ts";
import { urlParts } from "../../lib/db/urls.ts";
import { asRoot, useTestDatabase } from "../helpers/db.ts";
import { snapshotRoleNames } from "../helpers/schema-snapshot.ts";

const db = useTestDatabase();
const snapshot = (client: pg.ClientBase | pg.Pool = db().root) => schemaSnapshot(client, { roleNames: snapshotRoleNames(db()) });
let baseline: string;

beforeAll(async () => {
  baseline = await snapshot();
});

/** The snapshot after `sql`, run as the owner (as migrations are) in a transaction rolled back afterwards. */
const snapshotAfter = (sql: string) =>
  asRoot(db(), async (client) => {
    await client.query(`set local role ${urlParts(db().ownerUrl).user}`);
    await client.query(sql);
    await client.query("reset role");
    return snapshot(client);
  });

describe("schemaSnapshot", () => {
  it("gives the same text twice on an unchanged database, through a pool or a client", async () => {
    expect(await snapshot()).toBe(baseline);
    expect(await asRoot(db(), (client) => snapshot(client))).toBe(baseline);
  });

  it("detects the owner and the authenticator by itself", async () => {
    expect(await schemaSnapshot(db().root)).toBe(baseline);
    expect(baseline).not.toContain(urlParts(db().ownerUrl).user);
    expect(baseline).not.toContain(urlParts(db().authUrl).user);
    expect(baseline).toContain(`alter schema app_public owner to ${OWNER_PLACEHOLDER};`);
  });

  it("leaves the caller's session settings as they were", async () => {
    await asRoot(db(), async (client) => {
      await client.query("set search_path to app_public, public");
      await client.query("set intervalstyle to iso_8601");
      await snapshot(client);
      const { rows } = await client.query("select current_setting('search_path') as path, current_setting('intervalstyle') as style");
      expect(rows[0]).toEqual({ path: "app_public, public", style: "iso_8601" });
    });
  });

  const changes: [change: string, sql: string, expected: string][] = [
    [
      "a function's body",
      `create or replace function app_public.current_user_id() returns uuid language sql stable parallel safe
         set search_path to pg_catalog, public as $$ select null::uuid; $$`,
      "select null::uuid;",
    ],
    [
      "a grant on a table",
      "grant delete on app_public.sms_templates to waitify_admin",
      "grant delete on table app_public.sms_templates to waitify_admin;",
    ],
    [
      "a column grant",
      "grant update (status) on app_public.sms_logs to waitify_admin",
      "grant select, update (status) on table app_public.sms_logs to waitify_admin;",
    ],
    [
      "an execute grant to the authenticator",
      "grant execute on function app_public.current_user_id() to waitify_authenticator",
      "grant execute on function app_public.current_user_id() to :DATABASE_AUTHENTICATOR;",
    ],
    [
      "a policy",
      "create policy snapshot_probe on app_public.sms_templates as restrictive for update to waitify_admin using (false)",
      "create policy snapshot_probe on app_public.sms_templates as restrictive for update to waitify_admin using (false);",
    ],
    [
      "a comment on a column",
      "comment on column app_public.users.email is 'probe'",
      "comment on column app_public.users.email is 'probe';",
    ],
    [
      "a comment on a function",
      "comment on function app_public.current_user_id() is E'line one\\nline two'",
      "comment on function app_public.current_user_id() is E'line one\\nline two';",
    ],
    [
      "a new column with a default",
      "alter table app_public.sms_templates add column probe integer default 7 not null",
      "  probe integer default 7 not null",
    ],
    [
      "a column with its own collation",
      `alter table app_public.sms_templates add column probe_c text collate "C"`,
      `  probe_c text collate "C"`,
    ],
    [
      "a check constraint",
      "alter table app_public.sms_templates add constraint sms_templates_probe_check check (length(body) < 9999)",
      "add constraint sms_templates_probe_check CHECK",
    ],
    [
      "an index",
      "create index sms_templates_probe_idx on app_public.sms_templates (language)",
      "CREATE INDEX sms_templates_probe_idx ON app_public.sms_templates USING btree (language);",
    ],
    [
      "a trigger",
      `create trigger _999_probe before update on app_public.sms_templates
         for each row execute function app_private.tg__set_updated_at()`,
      "CREATE TRIGGER _999_probe BEFORE UPDATE ON app_public.sms_templates",
    ],
    [
      "forced row level security",
      "alter table app_public.sms_templates force row level security",
      "alter table app_public.sms_templates force row level security;",
    ],
    [
      "an enum label",
      "alter type app_public.subscription_status add value 'probe'",
      "  'probe'\n);",
    ],
    [
      "a view",
      "create view app_public.snapshot_probe as select 1 as one",
      "create view app_public.snapshot_probe as",
    ],
    [
      "a standalone sequence",
      "create sequence app_private.snapshot_probe_seq",
      "create sequence app_private.snapshot_probe_seq as bigint",
    ],
    [
      "a domain",
      "create domain app_public.snapshot_probe as text constraint probe_short check (length(value) < 5)",
      "create domain app_public.snapshot_probe as text;\nalter domain app_public.snapshot_probe add constraint probe_short CHECK",
    ],
    [
      "default privileges",
      "alter default privileges grant select on tables to waitify_admin",
      `alter default privileges for role ${OWNER_PLACEHOLDER} grant select on tables to waitify_admin;`,
    ],
  ];

  it.each(changes)("changes with %s", async (_change, sql, expected) => {
    const changed = await snapshotAfter(sql);
    expect(changed).not.toBe(baseline);
    expect(changed).toContain(expected);
  });

  it("changes with a revoked execute", async () => {
    const granted = "grant execute on function app_public.current_user_id() to waitify_anonymous;";
    expect(baseline).toContain(granted);
    const changed = await snapshotAfter("revoke execute on function app_public.current_user_id() from waitify_anonymous");
    expect(changed).not.toContain(granted);
  });

  it("says when a function keeps PostgreSQL's default privileges (PUBLIC may execute)", async () => {
    // Created by the superuser: the owner's default privileges (no EXECUTE for PUBLIC) do not apply.
    const changed = await asRoot(db(), async (client) => {
      await client.query("create function app_public.snapshot_probe() returns int language sql immutable as 'select 1'");
      return snapshot(client);
    });
    expect(changed).toMatch(/alter function app_public\.snapshot_probe\(\) owner to .+;\n-- proacl is null/);
  });

  it("is back to the baseline once the changes are rolled back", async () => {
    expect(await snapshot()).toBe(baseline);
  });
});
