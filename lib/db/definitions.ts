// Applies the database's source: the replaceable definitions under db/
// (functions, triggers, policies, grants, comments, views), after the
// versioned migrations. db/README.md explains the mechanism and why.
//
// The files are applied in the order of db/apply-order.txt, all in one
// transaction, under an advisory lock (several processes starting at once
// apply them one after the other, never interleaved). A digest of what was
// applied is kept in app_private.applied_definitions: a start whose files are
// unchanged skips the work (re-creating triggers and policies briefly locks
// every table), unless forced (`npm run db:migrate` always applies).
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";

export const DB_SOURCE_DIR = path.join(import.meta.dirname, "..", "..", "db");
const ORDER_FILE = "apply-order.txt";

export interface DefinitionFile {
  /** Relative to db/, with forward slashes (db/apply-order.txt's spelling). */
  name: string;
  sql: string;
}

export interface ApplyOptions {
  /** graphile-migrate's placeholders (:DATABASE_AUTHENTICATOR…) and their values. */
  placeholders: Record<string, string>;
  /** Apply even when the digest says these exact files are already applied. */
  force?: boolean;
  /** Another copy of db/ (tests; `db:watch --source`). */
  dir?: string;
}

export interface ApplyResult {
  applied: boolean;
  files: number;
  digest: string;
}

/** The definition files in apply order; fails on a file missing from the order or listed twice. */
export async function readDefinitionFiles(dir = DB_SOURCE_DIR): Promise<DefinitionFile[]> {
  const orderText = await readFile(path.join(dir, ORDER_FILE), "utf8");
  const order = orderText
    .split("\n")
    .map((line) => line.replace(/#.*$/, "").trim())
    .filter((line) => line !== "");
  const onDisk = (await readdir(dir, { recursive: true }))
    .map((name) => name.split(path.sep).join("/"))
    .filter((name) => name.endsWith(".sql"))
    .sort();
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const name of order) {
    if (seen.has(name)) problems.push(`${name} is listed twice`);
    seen.add(name);
    if (!onDisk.includes(name)) problems.push(`${name} is listed but does not exist`);
  }
  for (const name of onDisk) if (!seen.has(name)) problems.push(`${name} is not listed`);
  if (problems.length > 0) throw new Error(`db/${ORDER_FILE}: ${problems.join("; ")}`);
  return Promise.all(order.map(async (name) => ({ name, sql: await readFile(path.join(dir, name), "utf8") })));
}

/** Replaces the known :PLACEHOLDERS only (SQL is full of colons: casts, times, prose). */
export function fillPlaceholders(sql: string, placeholders: Record<string, string>): string {
  return sql.replace(/:([A-Z][A-Z0-9_]*)\b/g, (match, name: string) => placeholders[`:${name}`] ?? match);
}

export async function applyDefinitions(connectionString: string, options: ApplyOptions): Promise<ApplyResult> {
  const files = (await readDefinitionFiles(options.dir)).map((file) => ({
    name: file.name,
    sql: fillPlaceholders(file.sql, options.placeholders),
  }));
  const digest = createHash("sha256");
  for (const file of files) digest.update(`${file.name}\0${file.sql}\0`);
  const result: ApplyResult = { applied: false, files: files.length, digest: digest.digest("hex") };

  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query("begin");
    await client.query("select pg_advisory_xact_lock(hashtext('waitify.definitions'))");
    const current = await client.query<{ digest: string }>("select digest from app_private.applied_definitions");
    if (!options.force && current.rows[0]?.digest === result.digest) {
      await client.query("rollback");
      return result;
    }
    // Bodies of SQL functions are checked when created: a typo fails here.
    await client.query("set local check_function_bodies = on");
    for (const file of files) await applyFile(client, file);
    await client.query(
      `insert into app_private.applied_definitions (singleton, digest, files, applied_at) values (true, $1, $2, now())
       on conflict (singleton) do update set digest = excluded.digest, files = excluded.files, applied_at = excluded.applied_at`,
      [result.digest, files.length],
    );
    await client.query("commit");
    return { ...result, applied: true };
  } catch (error) {
    await client.query("rollback").catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
}

async function applyFile(client: pg.Client, file: DefinitionFile): Promise<void> {
  try {
    await client.query(file.sql);
  } catch (error) {
    const position = Number((error as { position?: string }).position);
    const line = Number.isFinite(position) && position > 0 ? file.sql.slice(0, position).split("\n").length : undefined;
    const where = line ? `db/${file.name}:${line}` : `db/${file.name}`;
    throw new Error(`${where}: ${(error as Error).message}`, { cause: error });
  }
}
