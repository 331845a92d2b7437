// The catalog session the snapshot reads through: one connection whose
// settings are pinned while it reads, because the deparsing functions
// (pg_get_functiondef, pg_get_expr, format_type…) print differently under
// another search_path, DateStyle or IntervalStyle, and the text must depend
// on the catalog alone.
import pg from "pg";
import type { RoleName } from "./role-names.ts";

/** The schemas the snapshot describes (DESIGN.md §3); everything else is left out. */
export const SNAPSHOT_SCHEMAS = ["app_hidden", "app_private", "app_public"] as const;

export interface Catalog {
  query<R extends pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<R[]>;
  /** Prints a role: a placeholder, `public` (null), or the quoted name. */
  role: RoleName;
}

/**
 * search_path = pg_catalog: every object outside pg_catalog is printed
 * schema-qualified (app_public.users, public.citext), whoever calls us.
 */
const PINNED_SETTINGS: Record<string, string> = {
  search_path: "pg_catalog",
  quote_all_identifiers: "off",
  DateStyle: "ISO, MDY",
  IntervalStyle: "postgres",
  TimeZone: "UTC",
  extra_float_digits: "1",
  bytea_output: "hex",
};

type Query = Catalog["query"];

/**
 * Runs fn on one connection with the settings pinned, then puts the caller's
 * settings back (a pool's client is borrowed and released).
 */
export async function withCatalogSession<T>(source: pg.ClientBase | pg.Pool, fn: (query: Query) => Promise<T>): Promise<T> {
  const client = source instanceof pg.Pool ? await source.connect() : source;
  const query: Query = async (sql, values) => (await client.query(sql, values)).rows;
  try {
    const names = Object.keys(PINNED_SETTINGS);
    const saved = await query<{ name: string; value: string }>(
      "select name, pg_catalog.current_setting(name) as value from pg_catalog.unnest($1::text[]) as name",
      [names],
    );
    await setAll(query, PINNED_SETTINGS);
    try {
      return await fn(query);
    } finally {
      await setAll(query, Object.fromEntries(saved.map((row) => [row.name, row.value])));
    }
  } finally {
    if (source instanceof pg.Pool) (client as pg.PoolClient).release();
  }
}

async function setAll(query: Query, settings: Record<string, string>): Promise<void> {
  await query("select pg_catalog.set_config(name, value, false) from rows from (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[])) as s(name, value)", [
    Object.keys(settings),
    Object.values(settings),
  ]);
}

/**
 * SQL expression: the collation `oid` as COLLATE takes it ("C", or
 * schema.name outside pg_catalog), or null when it is the type's own
 * (`typeCollation`), which needs no COLLATE.
 */
export function collationSql(oid: string, typeCollation: string): string {
  return `case when ${oid} <> ${typeCollation} then
    (select case when cn.nspname = 'pg_catalog' then quote_ident(co.collname) else format('%I.%I', cn.nspname, co.collname) end
       from pg_collation as co join pg_namespace as cn on cn.oid = co.collnamespace where co.oid = ${oid})
  end`;
}

/** SQL condition: the object (oid expression, catalog table) is not part of an extension. */
export function notInExtension(catalogTable: string, oid: string): string {
  return `not exists (select 1 from pg_depend as ext where ext.classid = '${catalogTable}'::regclass and ext.objid = ${oid} and ext.deptype = 'e')`;
}

/**
 * A SQL string literal on one line: E'…' with \n escapes when the text has
 * line breaks or backslashes (comments such as E'@omit\nThe id…').
 */
export function sqlLiteral(text: string): string {
  if (!/[\\\n\r\t]/.test(text)) return `'${text.replace(/'/g, "''")}'`;
  const escaped = text
    .replace(/\\/g, "\\\\")
    .replace(/'/g, "''")
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r")
    .replace(/\t/g, "\\t");
  return `E'${escaped}'`;
}

/** `comment on <target> is '…';`, or nothing when there is no comment. */
export function commentLine(target: string, comment: string | null): string[] {
  return comment === null ? [] : [`comment on ${target} is ${sqlLiteral(comment)};`];
}

/** Code-unit order, independent of the database's and the machine's collation. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
