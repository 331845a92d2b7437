// Functions, procedures and aggregates, sorted by schema, name and identity
// arguments; each followed by its owner and privileges. A NULL proacl is
// called out: it means PostgreSQL's default, EXECUTE for PUBLIC, which in a
// SECURITY DEFINER function is a hole.
import { SNAPSHOT_SCHEMAS, commentLine, notInExtension, type Catalog } from "./catalog.ts";
import { fetchPrivileges, privilegeLines } from "./privileges.ts";

const KINDS: Record<string, string> = { f: "function", w: "function", p: "procedure", a: "aggregate" };

export async function routineBlocks(catalog: Catalog): Promise<string[]> {
  const routines = await catalog.query<{
    oid: number;
    kind: string;
    name: string;
    args: string;
    owner: string;
    default_acl: boolean;
    definition: string;
    comment: string | null;
  }>(
    `select p.oid, p.prokind as kind, format('%I.%I', n.nspname, p.proname) as name,
            pg_get_function_identity_arguments(p.oid) as args, r.rolname as owner, p.proacl is null as default_acl,
            case when p.prokind = 'a' then
              (select format('create aggregate %I.%I(%s) (sfunc = %s, stype = %s%s%s%s);', n.nspname, p.proname,
                             pg_get_function_identity_arguments(p.oid), a.aggtransfn::regproc, format_type(a.aggtranstype, null),
                             case when a.aggfinalfn <> 0 then ', finalfunc = ' || a.aggfinalfn::regproc::text else '' end,
                             case when a.aggcombinefn <> 0 then ', combinefunc = ' || a.aggcombinefn::regproc::text else '' end,
                             case when a.agginitval is not null then ', initcond = ' || quote_literal(a.agginitval) else '' end)
                 from pg_aggregate as a where a.aggfnoid = p.oid)
            else pg_get_functiondef(p.oid) end as definition,
            obj_description(p.oid, 'pg_proc') as comment
       from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace join pg_roles as r on r.oid = p.proowner
      where n.nspname = any($1) and ${notInExtension("pg_proc", "p.oid")}
      order by n.nspname, p.proname, pg_get_function_identity_arguments(p.oid) collate "C"`,
    [SNAPSHOT_SCHEMAS],
  );
  const privileges = await fetchPrivileges(
    catalog,
    `select p.oid::text as key,
            (case p.prokind when 'p' then 'procedure ' else 'function ' end)
              || format('%I.%I', n.nspname, p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')' as target,
            null::text as col, 0 as position, p.proacl as acl, acldefault('f', p.proowner) as baseline
       from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace
      where n.nspname = any($1)`,
    [SNAPSHOT_SCHEMAS],
  );
  return routines.map((routine) => {
    const kind = KINDS[routine.kind] ?? "function";
    const signature = `${routine.name}(${routine.args})`;
    return [
      routine.kind === "a" ? routine.definition : `${routine.definition.trimEnd()};`,
      `alter ${kind} ${signature} owner to ${catalog.role(routine.owner)};`,
      ...(routine.default_acl
        ? [`-- proacl is null: PostgreSQL's default privileges, execute for public (and the owner)`]
        : privilegeLines(privileges.get(String(routine.oid)), catalog)),
      ...commentLine(`${kind} ${signature}`, routine.comment),
    ].join("\n");
  });
}
