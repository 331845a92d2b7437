// User-defined types: enums (labels in their order), composite types
// (attributes in their order) and domains (with their named checks).
import { SNAPSHOT_SCHEMAS, collationSql, commentLine, notInExtension, type Catalog } from "./catalog.ts";
import { fetchPrivileges, privilegeLines, type PrivilegeRow } from "./privileges.ts";

interface TypeRow {
  oid: number;
  name: string;
  owner: string;
  comment: string | null;
}

/** Types of one typtype in our schemas; extra adds columns (Extra types them). */
const typesOf = <Extra extends object = object>(catalog: Catalog, typtype: string, extra = "") =>
  catalog.query<TypeRow & Extra>(
    `select t.oid, format('%I.%I', n.nspname, t.typname) as name, r.rolname as owner,
            obj_description(t.oid, 'pg_type') as comment ${extra}
       from pg_type as t join pg_namespace as n on n.oid = t.typnamespace join pg_roles as r on r.oid = t.typowner
      where t.typtype = $2 and n.nspname = any($1) and ${notInExtension("pg_type", "t.oid")}
        and (t.typtype <> 'c' or (select c.relkind from pg_class as c where c.oid = t.typrelid) = 'c')
      order by n.nspname, t.typname`,
    [SNAPSHOT_SCHEMAS, typtype],
  );

async function typePrivileges(catalog: Catalog): Promise<Map<string, PrivilegeRow[]>> {
  return fetchPrivileges(
    catalog,
    `select t.oid::text as key, (case when t.typtype = 'd' then 'domain ' else 'type ' end)
              || format('%I.%I', n.nspname, t.typname) as target,
            null::text as col, 0 as position, t.typacl as acl, acldefault('T', t.typowner) as baseline
       from pg_type as t join pg_namespace as n on n.oid = t.typnamespace
      where t.typtype in ('e', 'c', 'd') and n.nspname = any($1)`,
    [SNAPSHOT_SCHEMAS],
  );
}

/** Our schemas may only hold the kinds of type printed here: anything else fails loudly rather than vanish. */
export async function checkTypeKinds(catalog: Catalog): Promise<void> {
  const others = await catalog.query<{ name: string; typtype: string }>(
    `select format('%I.%I', n.nspname, t.typname) as name, t.typtype
       from pg_type as t join pg_namespace as n on n.oid = t.typnamespace
      where n.nspname = any($1) and ${notInExtension("pg_type", "t.oid")}
        and t.typtype not in ('e', 'c', 'd')
        and not (t.typtype = 'b' and t.typcategory = 'A')
      order by 1`,
    [SNAPSHOT_SCHEMAS],
  );
  if (others.length > 0) {
    throw new Error(`schema snapshot: unsupported types ${others.map((t) => `${t.name} (typtype ${t.typtype})`).join(", ")}`);
  }
}

export async function enumBlocks(catalog: Catalog): Promise<string[]> {
  const enums = await typesOf<{ labels: string[] }>(
    catalog,
    "e",
    ", array(select quote_literal(e.enumlabel) from pg_enum as e where e.enumtypid = t.oid order by e.enumsortorder)::text[] as labels",
  );
  const privileges = await typePrivileges(catalog);
  return enums.map((type) =>
    [
      `create type ${type.name} as enum (`,
      type.labels.map((label) => `  ${label}`).join(",\n"),
      ");",
      `alter type ${type.name} owner to ${catalog.role(type.owner)};`,
      ...privilegeLines(privileges.get(String(type.oid)), catalog),
      ...commentLine(`type ${type.name}`, type.comment),
    ].join("\n"),
  );
}

export interface AttributeRow {
  relid: number;
  position: number;
  name: string;
  type: string;
  collation: string | null;
  comment: string | null;
}

/** Columns of relations (tables, views, composite types), in attnum order. */
export async function attributes(catalog: Catalog, relids: number[]): Promise<Map<number, AttributeRow[]>> {
  const rows = await catalog.query<AttributeRow>(
    `select a.attrelid as relid, a.attnum as position, quote_ident(a.attname) as name,
            format_type(a.atttypid, a.atttypmod) as type,
            ${collationSql("a.attcollation", "t.typcollation")} as collation,
            col_description(a.attrelid, a.attnum) as comment
       from pg_attribute as a join pg_type as t on t.oid = a.atttypid
      where a.attrelid = any($1::oid[]) and a.attnum > 0 and not a.attisdropped
      order by a.attrelid, a.attnum`,
    [relids],
  );
  const byRelation = new Map<number, AttributeRow[]>();
  for (const row of rows) byRelation.set(row.relid, [...(byRelation.get(row.relid) ?? []), row]);
  return byRelation;
}

export async function compositeBlocks(catalog: Catalog): Promise<string[]> {
  const composites = await typesOf<{ relid: number }>(catalog, "c", ", t.typrelid as relid");
  const columns = await attributes(
    catalog,
    composites.map((type) => type.relid),
  );
  const privileges = await typePrivileges(catalog);
  return composites.map((type) => {
    const attrs = columns.get(type.relid) ?? [];
    return [
      `create type ${type.name} as (`,
      attrs.map((a) => `  ${a.name} ${a.type}${a.collation ? ` collate ${a.collation}` : ""}`).join(",\n"),
      ");",
      `alter type ${type.name} owner to ${catalog.role(type.owner)};`,
      ...privilegeLines(privileges.get(String(type.oid)), catalog),
      ...commentLine(`type ${type.name}`, type.comment),
      ...attrs.flatMap((a) => commentLine(`column ${type.name}.${a.name}`, a.comment)),
    ].join("\n");
  });
}

export async function domainBlocks(catalog: Catalog): Promise<string[]> {
  const domains = await typesOf<{ base: string; not_null: boolean; default_value: string | null; collation: string | null }>(
    catalog,
    "d",
    `, format_type(t.typbasetype, t.typtypmod) as base, t.typnotnull as not_null, t.typdefault as default_value,
       ${collationSql("t.typcollation", "(select b.typcollation from pg_type as b where b.oid = t.typbasetype)")} as collation`,
  );
  const checks = await catalog.query<{ typid: number; name: string; definition: string; comment: string | null }>(
    `select c.contypid as typid, quote_ident(c.conname) as name, pg_get_constraintdef(c.oid) as definition,
            obj_description(c.oid, 'pg_constraint') as comment
       from pg_constraint as c where c.contypid = any($1::oid[]) and c.contype = 'c'
      order by c.conname`,
    [domains.map((domain) => domain.oid)],
  );
  const privileges = await typePrivileges(catalog);
  return domains.map((domain) => {
    const own = checks.filter((check) => check.typid === domain.oid);
    const definition =
      `create domain ${domain.name} as ${domain.base}` +
      (domain.collation ? ` collate ${domain.collation}` : "") +
      (domain.default_value !== null ? ` default ${domain.default_value}` : "") +
      (domain.not_null ? " not null" : "") +
      ";";
    return [
      definition,
      ...own.map((check) => `alter domain ${domain.name} add constraint ${check.name} ${check.definition};`),
      `alter domain ${domain.name} owner to ${catalog.role(domain.owner)};`,
      ...privilegeLines(privileges.get(String(domain.oid)), catalog),
      ...commentLine(`domain ${domain.name}`, domain.comment),
      ...own.flatMap((check) => commentLine(`constraint ${check.name} on domain ${domain.name}`, check.comment)),
    ].join("\n");
  });
}
