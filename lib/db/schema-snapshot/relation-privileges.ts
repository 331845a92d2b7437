// Privileges of tables and views, with their column privileges and those of
// the sequences their columns own (serial, identity), so that a table's block
// shows everything a role may do with it.
import type { Catalog } from "./catalog.ts";
import { fetchPrivileges, type PrivilegeRow } from "./privileges.ts";

export async function relationPrivileges(catalog: Catalog, relids: number[]): Promise<Map<string, PrivilegeRow[]>> {
  return fetchPrivileges(
    catalog,
    `select c.oid::text as key, 'table ' || format('%I.%I', n.nspname, c.relname) as target, null::text as col,
            0 as position, c.relacl as acl, acldefault('r', c.relowner) as baseline
       from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
      where c.oid = any($1::oid[])
     union all
     select c.oid::text, 'table ' || format('%I.%I', n.nspname, c.relname), quote_ident(a.attname),
            a.attnum, a.attacl, acldefault('c', c.relowner)
       from pg_attribute as a join pg_class as c on c.oid = a.attrelid join pg_namespace as n on n.oid = c.relnamespace
      where c.oid = any($1::oid[]) and a.attnum > 0 and not a.attisdropped and a.attacl is not null
     union all
     select d.refobjid::text, 'sequence ' || format('%I.%I', n.nspname, s.relname), null, 0,
            s.relacl, acldefault('s', s.relowner)
       from pg_depend as d join pg_class as s on s.oid = d.objid join pg_namespace as n on n.oid = s.relnamespace
      where d.refobjid = any($1::oid[]) and d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass
        and d.deptype in ('a', 'i') and s.relkind = 'S'`,
    [relids],
  );
}
