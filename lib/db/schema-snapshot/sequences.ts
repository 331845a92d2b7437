// Sequences that stand alone. Those owned by a column (serial, identity) are
// part of their table's definition and are not printed on their own.
import { SNAPSHOT_SCHEMAS, commentLine, notInExtension, type Catalog } from "./catalog.ts";
import { fetchPrivileges, privilegeLines } from "./privileges.ts";

const STANDALONE = `c.relkind = 'S' and n.nspname = any($1) and ${notInExtension("pg_class", "c.oid")}
  and not exists (select 1 from pg_depend as d
                   where d.classid = 'pg_class'::regclass and d.objid = c.oid
                     and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i'))`;

export async function sequenceBlocks(catalog: Catalog): Promise<string[]> {
  const sequences = await catalog.query<{
    oid: number;
    name: string;
    type: string;
    start: string;
    increment: string;
    min: string;
    max: string;
    cache: string;
    cycle: boolean;
    owner: string;
    comment: string | null;
  }>(
    `select c.oid, format('%I.%I', n.nspname, c.relname) as name, format_type(s.seqtypid, null) as type,
            s.seqstart as start, s.seqincrement as increment, s.seqmin as min, s.seqmax as max, s.seqcache as cache,
            s.seqcycle as cycle, r.rolname as owner, obj_description(c.oid, 'pg_class') as comment
       from pg_class as c join pg_namespace as n on n.oid = c.relnamespace join pg_sequence as s on s.seqrelid = c.oid
       join pg_roles as r on r.oid = c.relowner
      where ${STANDALONE}
      order by n.nspname, c.relname`,
    [SNAPSHOT_SCHEMAS],
  );
  const privileges = await fetchPrivileges(
    catalog,
    `select c.oid::text as key, 'sequence ' || format('%I.%I', n.nspname, c.relname) as target, null::text as col,
            0 as position, c.relacl as acl, acldefault('s', c.relowner) as baseline
       from pg_class as c join pg_namespace as n on n.oid = c.relnamespace where ${STANDALONE}`,
    [SNAPSHOT_SCHEMAS],
  );
  return sequences.map((seq) =>
    [
      `create sequence ${seq.name} as ${seq.type} increment by ${seq.increment} minvalue ${seq.min} maxvalue ${seq.max}` +
        ` start with ${seq.start} cache ${seq.cache}${seq.cycle ? " cycle" : " no cycle"};`,
      `alter sequence ${seq.name} owner to ${catalog.role(seq.owner)};`,
      ...privilegeLines(privileges.get(String(seq.oid)), catalog),
      ...commentLine(`sequence ${seq.name}`, seq.comment),
    ].join("\n"),
  );
}
