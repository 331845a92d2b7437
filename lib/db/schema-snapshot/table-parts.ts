// What hangs off a table, one block per kind and table, one object per line
// (its comment right below it), sorted by name: constraints, indexes,
// policies, triggers. Each returns table oid → block.
import { commentLine, type Catalog } from "./catalog.ts";

type Blocks = Map<number, string>;

/** Groups rows by table, keeping the query's order (by name) within each. */
function collect<R extends { relid: number }>(rows: R[], lines: (row: R) => string[]): Blocks {
  const byTable = new Map<number, string[]>();
  for (const row of rows) byTable.set(row.relid, [...(byTable.get(row.relid) ?? []), ...lines(row)]);
  return new Map([...byTable].map(([relid, list]) => [relid, list.join("\n")]));
}

/**
 * Constraints as pg_get_constraintdef prints them. NOT NULL is on the column
 * (PostgreSQL 18 also lists it as a constraint; 15 does not).
 */
export async function constraintBlocks(catalog: Catalog, relids: number[]): Promise<Blocks> {
  const rows = await catalog.query<{ relid: number; tab: string; name: string; definition: string; comment: string | null }>(
    `select c.conrelid as relid, c.conrelid::regclass::text as tab, quote_ident(c.conname) as name,
            pg_get_constraintdef(c.oid) as definition, obj_description(c.oid, 'pg_constraint') as comment
       from pg_constraint as c
      where c.conrelid = any($1::oid[]) and c.contype <> 'n' and c.conislocal
      order by c.conname`,
    [relids],
  );
  return collect(rows, (row) => [
    `alter table ${row.tab} add constraint ${row.name} ${row.definition};`,
    ...commentLine(`constraint ${row.name} on ${row.tab}`, row.comment),
  ]);
}

/** Indexes other than those a constraint above already defines (primary key, unique, exclusion). */
export async function indexBlocks(catalog: Catalog, relids: number[]): Promise<Blocks> {
  const rows = await catalog.query<{ relid: number; name: string; definition: string; comment: string | null }>(
    `select i.indrelid as relid, format('%I.%I', n.nspname, ic.relname) as name,
            pg_get_indexdef(i.indexrelid) as definition, obj_description(i.indexrelid, 'pg_class') as comment
       from pg_index as i join pg_class as ic on ic.oid = i.indexrelid join pg_namespace as n on n.oid = ic.relnamespace
      where i.indrelid = any($1::oid[])
        and not exists (select 1 from pg_constraint as c
                         where c.conindid = i.indexrelid and c.conrelid = i.indrelid and c.contype in ('p', 'u', 'x'))
      order by ic.relname`,
    [relids],
  );
  return collect(rows, (row) => [`${row.definition};`, ...commentLine(`index ${row.name}`, row.comment)]);
}

const POLICY_COMMANDS: Record<string, string> = { r: "select", a: "insert", w: "update", d: "delete", "*": "all" };

export async function policyBlocks(catalog: Catalog, relids: number[]): Promise<Blocks> {
  const rows = await catalog.query<{
    relid: number;
    tab: string;
    name: string;
    permissive: boolean;
    command: string;
    roles: (string | null)[];
    using_expr: string | null;
    check_expr: string | null;
    comment: string | null;
  }>(
    `select p.polrelid as relid, p.polrelid::regclass::text as tab, quote_ident(p.polname) as name,
            p.polpermissive as permissive, p.polcmd as command,
            array(select case when r.oid = 0 then null else coalesce(g.rolname, r.oid::text) end
                    from unnest(p.polroles) as r(oid) left join pg_roles as g on g.oid = r.oid)::text[] as roles,
            pg_get_expr(p.polqual, p.polrelid) as using_expr, pg_get_expr(p.polwithcheck, p.polrelid) as check_expr,
            obj_description(p.oid, 'pg_policy') as comment
       from pg_policy as p
      where p.polrelid = any($1::oid[])
      order by p.polname`,
    [relids],
  );
  return collect(rows, (row) => {
    const roles = row.roles.map((role) => catalog.role(role)).sort();
    const command = POLICY_COMMANDS[row.command] ?? row.command;
    return [
      `create policy ${row.name} on ${row.tab} as ${row.permissive ? "permissive" : "restrictive"} for ${command}` +
        ` to ${roles.join(", ")}` +
        (row.using_expr !== null ? ` using (${row.using_expr})` : "") +
        (row.check_expr !== null ? ` with check (${row.check_expr})` : "") +
        ";",
      ...commentLine(`policy ${row.name} on ${row.tab}`, row.comment),
    ];
  });
}

const TRIGGER_STATES: Record<string, string> = { D: "disable trigger", R: "enable replica trigger", A: "enable always trigger" };

/** User triggers, constraint triggers included; not the internal ones behind foreign keys. */
export async function triggerBlocks(catalog: Catalog, relids: number[]): Promise<Blocks> {
  const rows = await catalog.query<{ relid: number; tab: string; name: string; definition: string; enabled: string; comment: string | null }>(
    `select t.tgrelid as relid, t.tgrelid::regclass::text as tab, quote_ident(t.tgname) as name,
            pg_get_triggerdef(t.oid) as definition, t.tgenabled as enabled, obj_description(t.oid, 'pg_trigger') as comment
       from pg_trigger as t
      where t.tgrelid = any($1::oid[]) and not t.tgisinternal and t.tgparentid = 0
      order by t.tgname`,
    [relids],
  );
  return collect(rows, (row) => [
    `${row.definition};`,
    ...(TRIGGER_STATES[row.enabled] ? [`alter table ${row.tab} ${TRIGGER_STATES[row.enabled]} ${row.name};`] : []),
    ...commentLine(`trigger ${row.name} on ${row.tab}`, row.comment),
  ]);
}
