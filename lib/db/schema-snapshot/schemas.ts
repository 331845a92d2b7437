// The top of the snapshot: extensions (names only: versions follow the
// server's packages, not our migrations), our schemas with their privileges,
// and the owner's default privileges, which decide what every object created
// by later migrations starts with.
import { SNAPSHOT_SCHEMAS, commentLine, type Catalog } from "./catalog.ts";
import { fetchPrivileges, privilegeLines } from "./privileges.ts";

export async function extensionBlocks(catalog: Catalog): Promise<string[]> {
  const rows = await catalog.query<{ name: string }>("select quote_ident(extname) as name from pg_extension order by extname");
  return rows.length === 0 ? [] : [rows.map((row) => `create extension if not exists ${row.name};`).join("\n")];
}

export async function schemaBlocks(catalog: Catalog): Promise<string[]> {
  const schemas = await catalog.query<{ oid: number; name: string; owner: string; comment: string | null }>(
    `select n.oid, quote_ident(n.nspname) as name, r.rolname as owner, obj_description(n.oid, 'pg_namespace') as comment
       from pg_namespace as n join pg_roles as r on r.oid = n.nspowner
      where n.nspname = any($1)
      order by n.nspname`,
    [SNAPSHOT_SCHEMAS],
  );
  const privileges = await fetchPrivileges(
    catalog,
    `select n.oid::text as key, 'schema ' || quote_ident(n.nspname) as target, null::text as col, 0 as position,
            n.nspacl as acl, acldefault('n', n.nspowner) as baseline
       from pg_namespace as n where n.nspname = any($1)`,
    [SNAPSHOT_SCHEMAS],
  );
  return schemas.map((schema) =>
    [
      `create schema ${schema.name};`,
      `alter schema ${schema.name} owner to ${catalog.role(schema.owner)};`,
      ...privilegeLines(privileges.get(String(schema.oid)), catalog),
      ...commentLine(`schema ${schema.name}`, schema.comment),
    ].join("\n"),
  );
}

// pg_default_acl.defaclobjtype: tables, sequences, functions, types, schemas.
const OBJECT_TYPES = new Set(["r", "S", "f", "T", "n"]);

/**
 * `alter default privileges` of any role, database-wide or in our schemas.
 * A database-wide entry replaces PostgreSQL's built-in default (so it is
 * compared with acldefault); an entry in a schema only adds to it.
 */
export async function defaultPrivilegeBlocks(catalog: Catalog): Promise<string[]> {
  const entries = await catalog.query<{ oid: number; role: string; schema: string | null; objtype: string }>(
    `select d.oid, r.rolname as role, quote_ident(n.nspname) as schema, d.defaclobjtype as objtype
       from pg_default_acl as d join pg_roles as r on r.oid = d.defaclrole
       left join pg_namespace as n on n.oid = d.defaclnamespace
      where d.defaclnamespace = 0 or n.nspname = any($1)
      order by r.rolname, n.nspname nulls first, d.defaclobjtype`,
    [SNAPSHOT_SCHEMAS],
  );
  if (entries.length === 0) return [];
  const privileges = await fetchPrivileges(
    catalog,
    `select d.oid::text as key,
            (case d.defaclobjtype when 'r' then 'tables' when 'S' then 'sequences' when 'f' then 'functions'
                                  when 'T' then 'types' when 'n' then 'schemas' else d.defaclobjtype::text end) as target,
            null::text as col, 0 as position, d.defaclacl as acl,
            case when d.defaclnamespace = 0
                 then acldefault((case d.defaclobjtype when 'S' then 's' else d.defaclobjtype end)::"char", d.defaclrole)
                 else '{}'::aclitem[] end as baseline
       from pg_default_acl as d left join pg_namespace as n on n.oid = d.defaclnamespace
      where d.defaclnamespace = 0 or n.nspname = any($1)`,
    [SNAPSHOT_SCHEMAS],
  );
  const lines = entries.flatMap((entry) => {
    if (!OBJECT_TYPES.has(entry.objtype)) throw new Error(`schema snapshot: unknown default privilege object type ${entry.objtype}`);
    const prefix = `alter default privileges for role ${catalog.role(entry.role)}${entry.schema ? ` in schema ${entry.schema}` : ""} `;
    return privilegeLines(privileges.get(String(entry.oid)), catalog, prefix);
  });
  return lines.length === 0 ? [] : [lines.join("\n")];
}
