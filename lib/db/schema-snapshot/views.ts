// Views and materialized views as pg_get_viewdef prints them, with owner,
// privileges, comments (theirs and their columns') and, for materialized
// views, their indexes.
import { SNAPSHOT_SCHEMAS, commentLine, notInExtension, type Catalog } from "./catalog.ts";
import { privilegeLines } from "./privileges.ts";
import { relationPrivileges } from "./relation-privileges.ts";
import { indexBlocks } from "./table-parts.ts";
import { attributes } from "./types.ts";

export async function viewBlocks(catalog: Catalog): Promise<string[]> {
  const views = await catalog.query<{
    oid: number;
    name: string;
    materialized: boolean;
    options: string | null;
    definition: string;
    owner: string;
    comment: string | null;
  }>(
    `select c.oid, format('%I.%I', n.nspname, c.relname) as name, c.relkind = 'm' as materialized,
            array_to_string(c.reloptions, ', ') as options, pg_get_viewdef(c.oid, true) as definition,
            r.rolname as owner, obj_description(c.oid, 'pg_class') as comment
       from pg_class as c join pg_namespace as n on n.oid = c.relnamespace join pg_roles as r on r.oid = c.relowner
      where c.relkind in ('v', 'm') and n.nspname = any($1) and ${notInExtension("pg_class", "c.oid")}
      order by n.nspname, c.relname`,
    [SNAPSHOT_SCHEMAS],
  );
  if (views.length === 0) return [];
  const relids = views.map((view) => view.oid);
  const columns = await attributes(catalog, relids);
  const privileges = await relationPrivileges(catalog, relids);
  const indexes = await indexBlocks(catalog, relids);
  return views.flatMap((view) => {
    const kind = view.materialized ? "materialized view" : "view";
    const body = view.definition.trimEnd().replace(/;$/, "");
    const definition = [
      `create ${kind} ${view.name}${view.options ? ` with (${view.options})` : ""} as`,
      `${body};`,
      `alter ${kind} ${view.name} owner to ${catalog.role(view.owner)};`,
      ...privilegeLines(privileges.get(String(view.oid)), catalog),
      ...commentLine(`${kind} ${view.name}`, view.comment),
      ...(columns.get(view.oid) ?? []).flatMap((col) => commentLine(`column ${view.name}.${col.name}`, col.comment)),
    ].join("\n");
    const index = indexes.get(view.oid);
    return index ? [definition, index] : [definition];
  });
}
