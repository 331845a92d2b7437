// How roles are printed. The owner's and the authenticator's names are the
// DBA's choice (they come from DATABASE_URL and AUTH_DATABASE_URL), so the
// snapshot prints them as the placeholders the migrations use; the request
// roles have fixed names and are printed as they are.
import { REQUEST_ROLES } from "../roles.ts";
import { SNAPSHOT_SCHEMAS } from "./catalog.ts";
import type pg from "pg";

/** null is PUBLIC. */
export type RoleName = (role: string | null) => string;

export const OWNER_PLACEHOLDER = ":DATABASE_OWNER";
export const AUTHENTICATOR_PLACEHOLDER = ":DATABASE_AUTHENTICATOR";

type Query = <R extends pg.QueryResultRow>(sql: string, values?: unknown[]) => Promise<R[]>;

/**
 * roleNames maps actual role names to what is printed instead. Without it:
 * the database's owner (pg_database.datdba) is :DATABASE_OWNER, and the one
 * role granted something in our schemas that is neither a request role, nor
 * the owner, nor a superuser is :DATABASE_AUTHENTICATOR.
 */
export async function roleNamer(query: Query, roleNames?: Record<string, string>): Promise<RoleName> {
  const names = roleNames ?? (await detectRoleNames(query));
  const quoted = new Map(
    (await query<{ rolname: string; quoted: string }>("select rolname, quote_ident(rolname) as quoted from pg_roles")).map(
      (row) => [row.rolname, row.quoted],
    ),
  );
  return (role) => (role === null ? "public" : (names[role] ?? quoted.get(role) ?? role));
}

async function detectRoleNames(query: Query): Promise<Record<string, string>> {
  const [owner] = await query<{ rolname: string }>(
    "select r.rolname from pg_database as d join pg_roles as r on r.oid = d.datdba where d.datname = current_database()",
  );
  const names: Record<string, string> = { [owner!.rolname]: OWNER_PLACEHOLDER };
  const others = await query<{ rolname: string }>(
    `with acls as (
       select nspacl as acl from pg_namespace where nspname = any($1)
       union all
       select c.relacl from pg_class as c join pg_namespace as n on n.oid = c.relnamespace where n.nspname = any($1)
       union all
       select a.attacl from pg_attribute as a join pg_class as c on c.oid = a.attrelid
         join pg_namespace as n on n.oid = c.relnamespace where n.nspname = any($1)
       union all
       select p.proacl from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace where n.nspname = any($1)
     )
     select distinct r.rolname
       from acls cross join lateral aclexplode(acls.acl) as e
       join pg_roles as r on r.oid = e.grantee
      where acls.acl is not null and not r.rolsuper and r.rolname <> all($2) and r.rolname <> $3
      order by 1`,
    [SNAPSHOT_SCHEMAS, REQUEST_ROLES, owner!.rolname],
  );
  // Two candidates would be a guess: then both keep their names.
  if (others.length === 1) names[others[0]!.rolname] = AUTHENTICATOR_PLACEHOLDER;
  return names;
}
