// Privileges as GRANT / REVOKE lines. What is printed is the difference
// between an object's ACL and PostgreSQL's built-in default for it (what
// pg_dump does): the owner's own implicit rights are not repeated on every
// table, and a function whose EXECUTE was taken from PUBLIC says so.
import { compareText, type Catalog } from "./catalog.ts";

export interface PrivilegeRow {
  /** Groups rows by the block they are printed in (an object's oid, usually). */
  key: string;
  /** What follows `on`: `table app_public.users`, `function app_public.f(uuid)`, `functions`. */
  target: string;
  /** Column privileges: the quoted column, and its attnum for ordering. */
  col: string | null;
  position: number;
  action: "grant" | "revoke";
  /** null: PUBLIC. */
  grantee: string | null;
  privilege: string;
  grantable: boolean;
}

/**
 * objectsSql must yield: key text, target text, col text, position int,
 * acl aclitem[] (null = the default) and baseline aclitem[] (the default:
 * acldefault(kind, owner), or '{}' where nothing is implied).
 */
export async function fetchPrivileges(
  catalog: Catalog,
  objectsSql: string,
  values: unknown[],
): Promise<Map<string, PrivilegeRow[]>> {
  const rows = await catalog.query<PrivilegeRow>(
    `with objects as (${objectsSql}),
     actual as (
       select o.key, o.target, o.col, o.position, e.grantee, e.privilege_type, e.is_grantable
         from objects as o cross join lateral aclexplode(coalesce(o.acl, o.baseline)) as e
     ),
     builtin as (
       select o.key, o.target, o.col, o.position, e.grantee, e.privilege_type, e.is_grantable
         from objects as o cross join lateral aclexplode(o.baseline) as e
     ),
     diff as (
       select 'grant' as action, * from (select * from actual except select * from builtin) as granted
       union all
       select 'revoke' as action, * from (select * from builtin except select * from actual) as revoked
     )
     select d.key, d.target, d.col, d.position, d.action,
            case when d.grantee = 0 then null else coalesce(r.rolname, d.grantee::text) end as grantee,
            lower(d.privilege_type) as privilege, d.is_grantable as grantable
       from diff as d left join pg_roles as r on r.oid = d.grantee`,
    values,
  );
  const byKey = new Map<string, PrivilegeRow[]>();
  for (const row of rows) {
    const list = byKey.get(row.key) ?? [];
    list.push(row);
    byKey.set(row.key, list);
  }
  return byKey;
}

// PostgreSQL's own order of privileges (GRANT's documentation); anything newer goes last.
const PRIVILEGE_ORDER = [
  "select",
  "insert",
  "update",
  "delete",
  "truncate",
  "references",
  "trigger",
  "maintain",
  "usage",
  "execute",
  "create",
  "connect",
  "temporary",
];
const privilegeRank = (privilege: string) => {
  const rank = PRIVILEGE_ORDER.indexOf(privilege);
  return rank === -1 ? PRIVILEGE_ORDER.length : rank;
};

/**
 * One statement per target, action, grantee and grant option, table and
 * column privileges together: `grant select, update (a, b) on table t to r;`.
 * prefix comes before each (`alter default privileges for role … `).
 */
export function privilegeLines(rows: PrivilegeRow[] | undefined, catalog: Catalog, prefix = ""): string[] {
  const statements = new Map<string, { sort: string[]; rows: PrivilegeRow[] }>();
  for (const row of rows ?? []) {
    const grantee = catalog.role(row.grantee);
    const id = [row.target, row.action, grantee, row.grantable].join("\u0000");
    const entry = statements.get(id) ?? {
      // The object's own target before the sequences that belong to it.
      sort: [row.target.startsWith("sequence ") ? "1" : "0", row.target, row.action === "revoke" ? "0" : "1", grantee, row.grantable ? "1" : "0"],
      rows: [],
    };
    entry.rows.push(row);
    statements.set(id, entry);
  }
  return [...statements.values()]
    .sort((a, b) => compareTuples(a.sort, b.sort))
    .map(({ rows: group }) => {
      const first = group[0]!;
      const grantee = catalog.role(first.grantee);
      const list = privilegeList(group);
      if (first.action === "grant") {
        return `${prefix}grant ${list} on ${first.target} to ${grantee}${first.grantable ? " with grant option" : ""};`;
      }
      return `${prefix}revoke ${first.grantable ? "grant option for " : ""}${list} on ${first.target} from ${grantee};`;
    });
}

/** `select, update (a, b)`: whole-object privileges, then column lists in column order. */
function privilegeList(rows: PrivilegeRow[]): string {
  const columns = new Map<string, PrivilegeRow[]>();
  const whole = new Set<string>();
  for (const row of rows) {
    if (row.col === null) whole.add(row.privilege);
    else columns.set(row.privilege, [...(columns.get(row.privilege) ?? []), row]);
  }
  const items: { rank: number; column: boolean; privilege: string; text: string }[] = [];
  for (const privilege of whole) items.push({ rank: privilegeRank(privilege), column: false, privilege, text: privilege });
  for (const [privilege, cols] of columns) {
    const names = cols.sort((a, b) => a.position - b.position).map((row) => row.col);
    items.push({ rank: privilegeRank(privilege), column: true, privilege, text: `${privilege} (${names.join(", ")})` });
  }
  return items
    .sort((a, b) => a.rank - b.rank || compareText(a.privilege, b.privilege) || Number(a.column) - Number(b.column))
    .map((item) => item.text)
    .join(", ");
}

function compareTuples(a: string[], b: string[]): number {
  for (let i = 0; i < a.length; i++) {
    const order = compareText(a[i]!, b[i]!);
    if (order !== 0) return order;
  }
  return 0;
}
