// Creates what lives outside the migrations: roles (cluster-wide) and the
// databases themselves, with their extensions and the worker schema. Needs a
// superuser URL; idempotent, so it runs at every embedded start and is the
// DBA's one-time `npm run db:setup` against an external server.
import { readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { installWorkerSchema } from "./install-worker-schema.ts";
import { ADMIN_ROLE, ANONYMOUS_ROLE, MERCHANT_ROLE } from "./roles.ts";
import { ident, literal, urlParts, withDatabase } from "./urls.ts";

export interface DatabaseUrls {
  /** Owner: runs migrations and the worker. */
  ownerUrl: string;
  /** Authenticator (NOINHERIT): PostGraphile logs in as it and switches role per request. */
  authUrl: string;
  /** Superuser: creates roles and databases; graphile-migrate's reset. */
  rootUrl?: string;
  /** graphile-migrate's scratch database for `commit` and `watch`. */
  shadowUrl?: string;
}

const safeName = /^[a-z_][a-z0-9_]{0,62}$/;
const afterResetFile = path.join(import.meta.dirname, "..", "..", "migrations", "afterReset.sql");

export async function setupDatabase(rootUrl: string, urls: DatabaseUrls): Promise<void> {
  const owner = urlParts(urls.ownerUrl);
  const authenticator = urlParts(urls.authUrl);
  const databases = [owner.database, ...(urls.shadowUrl ? [urlParts(urls.shadowUrl).database] : [])];
  for (const name of [owner.user, authenticator.user, ...databases]) {
    if (!safeName.test(name)) throw new Error(`database and role names must match ${safeName}: "${name}"`);
  }

  const root = new pg.Client({ connectionString: rootUrl });
  await root.connect();
  try {
    // Roles are cluster-wide: serialise concurrent set-ups (parallel test runs).
    await root.query("select pg_advisory_lock(hashtext('waitify.setup'))");
    await ensureRole(root, owner.user, `login password ${literal(owner.password)}`);
    await ensureRole(root, authenticator.user, `login noinherit password ${literal(authenticator.password)}`);
    for (const role of [ANONYMOUS_ROLE, MERCHANT_ROLE, ADMIN_ROLE]) await ensureRole(root, role, "nologin");
    // The authenticator may become any request role; a merchant and the admin
    // can also do what anonymous can (join a queue, read a queue's status).
    await root.query(
      `grant ${ident(ANONYMOUS_ROLE)}, ${ident(MERCHANT_ROLE)}, ${ident(ADMIN_ROLE)} to ${ident(authenticator.user)}`,
    );
    await root.query(`grant ${ident(ANONYMOUS_ROLE)} to ${ident(MERCHANT_ROLE)}, ${ident(ADMIN_ROLE)}`);

    for (const database of databases) {
      const exists = await root.query("select 1 from pg_database where datname = $1", [database]);
      if (exists.rowCount === 0) await root.query(`create database ${ident(database)} owner ${ident(owner.user)}`);
    }
  } finally {
    await root.query("select pg_advisory_unlock(hashtext('waitify.setup'))").catch(() => {});
    await root.end();
  }

  for (const database of databases) {
    await runAfterReset(rootUrl, urls, database);
    await installWorkerSchema(database === owner.database ? urls.ownerUrl : urls.shadowUrl!);
  }
}

/**
 * migrations/afterReset.sql on one database: its privileges (which a copy from
 * a template does not inherit) and extensions. Idempotent.
 */
export async function runAfterReset(rootUrl: string, urls: DatabaseUrls, database: string): Promise<void> {
  const afterReset = await readFile(afterResetFile, "utf8");
  await runAsRoot(withDatabase(rootUrl, database), afterReset, {
    DATABASE_NAME: database,
    DATABASE_OWNER: urlParts(urls.ownerUrl).user,
    DATABASE_AUTHENTICATOR: urlParts(urls.authUrl).user,
  });
}

async function ensureRole(client: pg.Client, role: string, options: string): Promise<void> {
  const exists = await client.query("select 1 from pg_roles where rolname = $1", [role]);
  const verb = exists.rowCount === 0 ? "create" : "alter";
  await client.query(`${verb} role ${ident(role)} with ${options}`);
}

/** Runs a graphile-migrate style SQL file, substituting its :PLACEHOLDERS. */
async function runAsRoot(url: string, sql: string, placeholders: Record<string, string>): Promise<void> {
  const text = sql.replace(/:([A-Z][A-Z0-9_]+)\b/g, (match, name: string) => placeholders[name] ?? match);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
