// SQL run for an HTTP request outside GraphQL, with the same rights as a
// GraphQL request of the same caller: one transaction on the authenticator's
// pool, switched to the caller's role and claims with set_config(…, true) as
// PostGraphile does (lib/auth/request.ts pgSettingsFor), so GRANTs and RLS
// decide what it sees. Nothing here may run as the owner.
import type pg from "pg";
import { pgSettingsFor, type RequestAuth } from "../auth/request.ts";
import { ANONYMOUS_ROLE } from "../db/roles.ts";

export async function inRequestTransaction<T>(
  pool: pg.Pool,
  auth: RequestAuth,
  fn: (client: pg.PoolClient) => Promise<T>,
  options: { readOnly?: boolean } = {},
): Promise<T> {
  // Anonymous has no settings of its own (its pool is pre-switched in
  // app.ts); here the role is always set explicitly.
  return inSettingsTransaction(pool, { role: ANONYMOUS_ROLE, ...pgSettingsFor(auth) }, fn, options);
}

/**
 * The same with settings already made: a GraphQL request's own pgSettings
 * (context().pgSettings), for a plugin whose work runs outside the request's
 * transaction (lib/admin/promo-codes.ts). Without a role setting it refuses
 * to run, rather than run as the authenticator.
 */
export async function inSettingsTransaction<T>(
  pool: pg.Pool,
  settings: Record<string, string | undefined>,
  fn: (client: pg.PoolClient) => Promise<T>,
  options: { readOnly?: boolean } = {},
): Promise<T> {
  if (!settings.role) throw new Error("inSettingsTransaction: no role in the settings");
  const client = await pool.connect();
  let open = false;
  try {
    await client.query(options.readOnly ? "begin read only" : "begin");
    open = true;
    const defined = Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined));
    await client.query("select set_config(key, value, true) from json_each_text($1::json)", [JSON.stringify(defined)]);
    const result = await fn(client);
    open = false;
    await client.query("commit");
    return result;
  } finally {
    if (open) await client.query("rollback").catch(() => {});
    client.release();
  }
}
