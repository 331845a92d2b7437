// BENCH_PROFILE=1: where the database time of the billing benchmark goes.
// The cluster then runs with pg_stat_statements and per-function timing, and
// the end of the run prints (stderr) the top statements and functions. Off by
// default: the statistics cost a little on every statement.
import pg from "pg";

export const PROFILE = process.env.BENCH_PROFILE === "1";

export const profileSettings: Record<string, string> = PROFILE
  ? { shared_preload_libraries: "pg_stat_statements", "pg_stat_statements.track": "all", track_functions: "all" }
  : {};

/** Superuser URL of the bench database. */
export async function startProfile(rootUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: rootUrl });
  await client.connect();
  try {
    await client.query("create extension if not exists pg_stat_statements");
  } finally {
    await client.end();
  }
}

export async function printProfile(rootUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: rootUrl });
  await client.connect();
  try {
    // Wall time inside PostgreSQL: on a busy machine it includes waiting for a core.
    const statements = await client.query<{ calls: string; total_ms: string; mean_ms: string; query: string }>(
      `select calls, round(total_exec_time)::text as total_ms, round(mean_exec_time::numeric, 2)::text as mean_ms,
              left(regexp_replace(query, '\\s+', ' ', 'g'), 110) as query
         from pg_stat_statements where toplevel and dbid = (select oid from pg_database where datname = current_database())
        order by total_exec_time desc limit 12`,
    );
    console.error("top statements (calls, total ms, mean ms):");
    for (const row of statements.rows) console.error(`  ${row.calls}\t${row.total_ms}\t${row.mean_ms}\t${row.query}`);
    const functions = await client.query<{ name: string; calls: string; mean_total: string; mean_self: string }>(
      `select schemaname || '.' || funcname as name, calls::text,
              round((total_time / calls)::numeric, 2)::text as mean_total, round((self_time / calls)::numeric, 2)::text as mean_self
         from pg_stat_user_functions where calls > 0 order by self_time desc limit 15`,
    );
    console.error("top functions by own time (calls, mean total ms, mean own ms):");
    for (const row of functions.rows) console.error(`  ${row.calls}\t${row.mean_total}\t${row.mean_self}\t${row.name}`);
  } finally {
    await client.end();
  }
}
