// Tables, one group of blocks each: the definition (columns in attnum order,
// row-level security, owner, privileges, comments), then its constraints,
// indexes, policies and triggers (table-parts.ts).
import { SNAPSHOT_SCHEMAS, collationSql, commentLine, notInExtension, type Catalog } from "./catalog.ts";
import { privilegeLines } from "./privileges.ts";
import { relationPrivileges } from "./relation-privileges.ts";
import { constraintBlocks, indexBlocks, policyBlocks, triggerBlocks } from "./table-parts.ts";

interface TableRow {
  oid: number;
  name: string;
  unlogged: boolean;
  rls: boolean;
  force_rls: boolean;
  options: string | null;
  partition_key: string | null;
  parent: string | null;
  bound: string | null;
  inherits: string | null;
  owner: string;
  comment: string | null;
}

interface ColumnRow {
  relid: number;
  name: string;
  type: string;
  collation: string | null;
  not_null: boolean;
  default_value: string | null;
  identity: string;
  generated: string;
  comment: string | null;
}

/** Relation kinds our schemas may hold; another (a foreign table…) fails loudly rather than vanish. */
const PRINTED_RELKINDS = ["r", "p", "v", "m", "S", "i", "I", "c"];

export async function checkRelationKinds(catalog: Catalog): Promise<void> {
  const others = await catalog.query<{ name: string; relkind: string }>(
    `select format('%I.%I', n.nspname, c.relname) as name, c.relkind
       from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
      where n.nspname = any($1) and c.relkind <> all($2::"char"[]) and ${notInExtension("pg_class", "c.oid")}
      order by 1`,
    [SNAPSHOT_SCHEMAS, PRINTED_RELKINDS],
  );
  if (others.length > 0) {
    throw new Error(`schema snapshot: unsupported relations ${others.map((r) => `${r.name} (relkind ${r.relkind})`).join(", ")}`);
  }
}

export async function tableBlocks(catalog: Catalog): Promise<string[]> {
  const tables = await catalog.query<TableRow>(
    `select c.oid, format('%I.%I', n.nspname, c.relname) as name, c.relpersistence = 'u' as unlogged,
            c.relrowsecurity as rls, c.relforcerowsecurity as force_rls, array_to_string(c.reloptions, ', ') as options,
            case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end as partition_key,
            case when c.relispartition then pg_get_expr(c.relpartbound, c.oid) end as bound,
            (select format('%I.%I', pn.nspname, p.relname) from pg_inherits as i join pg_class as p on p.oid = i.inhparent
               join pg_namespace as pn on pn.oid = p.relnamespace where i.inhrelid = c.oid and c.relispartition) as parent,
            (select string_agg(format('%I.%I', pn.nspname, p.relname), ', ' order by i.inhseqno)
               from pg_inherits as i join pg_class as p on p.oid = i.inhparent
               join pg_namespace as pn on pn.oid = p.relnamespace where i.inhrelid = c.oid and not c.relispartition) as inherits,
            r.rolname as owner, obj_description(c.oid, 'pg_class') as comment
       from pg_class as c join pg_namespace as n on n.oid = c.relnamespace join pg_roles as r on r.oid = c.relowner
      where c.relkind in ('r', 'p') and n.nspname = any($1) and ${notInExtension("pg_class", "c.oid")}
      order by n.nspname, c.relname`,
    [SNAPSHOT_SCHEMAS],
  );
  const relids = tables.map((table) => table.oid);
  // One connection: one query at a time.
  const columns = await tableColumns(catalog, relids);
  const privileges = await relationPrivileges(catalog, relids);
  const constraints = await constraintBlocks(catalog, relids);
  const indexes = await indexBlocks(catalog, relids);
  const policies = await policyBlocks(catalog, relids);
  const triggers = await triggerBlocks(catalog, relids);
  return tables.flatMap((table) => {
    const cols = columns.get(table.oid) ?? [];
    const definition = [
      ...createTable(table, cols),
      `alter table ${table.name} owner to ${catalog.role(table.owner)};`,
      ...(table.rls ? [`alter table ${table.name} enable row level security;`] : []),
      ...(table.force_rls ? [`alter table ${table.name} force row level security;`] : []),
      ...privilegeLines(privileges.get(String(table.oid)), catalog),
      ...commentLine(`table ${table.name}`, table.comment),
      ...cols.flatMap((col) => commentLine(`column ${table.name}.${col.name}`, col.comment)),
    ].join("\n");
    return [definition, ...[constraints, indexes, policies, triggers].flatMap((part) => part.get(table.oid) ?? [])];
  });
}

function createTable(table: TableRow, cols: ColumnRow[]): string[] {
  const create = `create ${table.unlogged ? "unlogged " : ""}table ${table.name}`;
  const tail =
    (table.inherits ? ` inherits (${table.inherits})` : "") +
    (table.partition_key ? ` partition by ${table.partition_key}` : "") +
    (table.options ? ` with (${table.options})` : "") +
    ";";
  // A partition takes its columns from its parent.
  if (table.parent) return [`${create} partition of ${table.parent} ${table.bound}${tail}`];
  if (cols.length === 0) return [`${create} ()${tail}`];
  return [`${create} (`, cols.map((col) => `  ${columnDefinition(col)}`).join(",\n"), `)${tail}`];
}

function columnDefinition(col: ColumnRow): string {
  let text = `${col.name} ${col.type}`;
  if (col.collation) text += ` collate ${col.collation}`;
  if (col.generated === "s") text += ` generated always as (${col.default_value}) stored`;
  else if (col.generated === "v") text += ` generated always as (${col.default_value}) virtual`;
  else if (col.default_value !== null) text += ` default ${col.default_value}`;
  if (col.identity === "a") text += " generated always as identity";
  else if (col.identity === "d") text += " generated by default as identity";
  if (col.not_null) text += " not null";
  return text;
}

async function tableColumns(catalog: Catalog, relids: number[]): Promise<Map<number, ColumnRow[]>> {
  const rows = await catalog.query<ColumnRow>(
    `select a.attrelid as relid, quote_ident(a.attname) as name, format_type(a.atttypid, a.atttypmod) as type,
            ${collationSql("a.attcollation", "t.typcollation")} as collation,
            a.attnotnull as not_null, pg_get_expr(d.adbin, d.adrelid) as default_value,
            a.attidentity as identity, a.attgenerated as generated, col_description(a.attrelid, a.attnum) as comment
       from pg_attribute as a join pg_type as t on t.oid = a.atttypid
       left join pg_attrdef as d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where a.attrelid = any($1::oid[]) and a.attnum > 0 and not a.attisdropped
      order by a.attrelid, a.attnum`,
    [relids],
  );
  const byTable = new Map<number, ColumnRow[]>();
  for (const row of rows) byTable.set(row.relid, [...(byTable.get(row.relid) ?? []), row]);
  return byTable;
}
