// db/ is the database's source: every function, policy and trigger of the
// migrated database is defined in exactly one file of db/, and no file
// defines an object (or comments on one) that another file also defines.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DB_SOURCE_DIR, readDefinitionFiles } from "../../lib/db/definitions.ts";
import { useTestDatabase } from "../helpers/db.ts";

const db = useTestDatabase();

/** Every "what it defines" key of every db/ file, with the files that define it. */
async function definitions(): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  const add = (key: string, file: string) => found.set(key, [...(found.get(key) ?? []), file]);
  for (const file of await readDefinitionFiles()) {
    const sql = readFileSync(path.join(DB_SOURCE_DIR, file.name), "utf8").replace(/--[^\n]*/g, "");
    for (const match of sql.matchAll(/create or replace function\s+([\w.]+)\s*\(/gi)) add(`function ${match[1]}`, file.name);
    for (const match of sql.matchAll(/create or replace view\s+([\w.]+)/gi)) add(`view ${match[1]}`, file.name);
    for (const match of sql.matchAll(/create policy\s+(\w+)\s+on\s+([\w.]+)/gi)) add(`policy ${match[1]} on ${match[2]}`, file.name);
    for (const match of sql.matchAll(/create (?:constraint )?trigger\s+(\w+)\s[^;]*?\bon\s+([\w.]+)/gi)) {
      add(`trigger ${match[1]} on ${match[2]}`, file.name);
    }
    for (const match of sql.matchAll(/comment on (\w+)\s+([^\s]+(?:\s+on\s+[\w.]+)?)\s+is/gi)) {
      add(`comment on ${match[1]} ${match[2]}`, file.name);
    }
  }
  return found;
}

describe("db/ defines each object once", () => {
  it("no object is defined, or commented on, in two places", async () => {
    const found = await definitions();
    expect(found.size).toBeGreaterThan(150);
    const twice = [...found].filter(([, files]) => files.length > 1);
    expect(twice).toEqual([]);
  });

  it("every function, policy and trigger of the migrated database has its one definition in db/", async () => {
    const found = await definitions();
    const { rows } = await db().root.query<{ key: string }>(`
      select 'function ' || n.nspname || '.' || p.proname as key
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname in ('app_public', 'app_hidden', 'app_private')
      union all
      select 'policy ' || pol.polname || ' on ' || n.nspname || '.' || c.relname
        from pg_policy pol join pg_class c on c.oid = pol.polrelid join pg_namespace n on n.oid = c.relnamespace
       where n.nspname in ('app_public', 'app_hidden', 'app_private')
      union all
      select 'trigger ' || t.tgname || ' on ' || n.nspname || '.' || c.relname
        from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
       where n.nspname in ('app_public', 'app_hidden', 'app_private') and not t.tgisinternal
      order by 1`);
    expect(rows.length).toBeGreaterThan(100);
    const missing = rows.map((row) => row.key).filter((key) => !found.has(key));
    expect(missing).toEqual([]);
  });
});
