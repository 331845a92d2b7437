// Brings a database to the head: graphile-migrate applies the versioned
// migrations (tables, columns, indexes, data: migrations/), then the
// replaceable definitions of db/ are applied on top (lib/db/definitions.ts).
// `npm start`, `npm run db:migrate` and the tests all take this path.
import { readFileSync } from "node:fs";
import path from "node:path";
import * as graphileMigrate from "graphile-migrate";
import { Logger } from "graphile-migrate";
import { log } from "../logger.ts";
import { applyDefinitions } from "./definitions.ts";
import { installWorkerSchema } from "./install-worker-schema.ts";
import type { DatabaseUrls } from "./setup.ts";
import { urlParts } from "./urls.ts";

const root = path.join(import.meta.dirname, "..", "..");

// graphile-migrate keeps idle pooled connections; when we stop an embedded
// cluster afterwards they report the shutdown, which is expected.
const expectedShutdown = /terminating connection due to administrator command/;

const migrateLogger = new Logger(() => (level, message) => {
  if (expectedShutdown.test(message)) log.debug(message, { scope: "migrate" });
  else if (level === "error") log.error(message, { scope: "migrate" });
  else if (level === "warning") log.warn(message, { scope: "migrate" });
  else log.info(message, { scope: "migrate" });
});

/** The committed .gmrc plus the connection URLs of this run. */
export function migrateSettings(urls: DatabaseUrls): graphileMigrate.Settings {
  const gmrc = JSON.parse(readFileSync(path.join(root, ".gmrc"), "utf8")) as graphileMigrate.Settings;
  return {
    ...gmrc,
    migrationsFolder: path.join(root, "migrations"),
    connectionString: urls.ownerUrl,
    rootConnectionString: urls.rootUrl,
    shadowConnectionString: urls.shadowUrl,
    placeholders: { ...gmrc.placeholders, ":DATABASE_AUTHENTICATOR": urlParts(urls.authUrl).user },
    logger: migrateLogger,
  };
}

/** The placeholders graphile-migrate fills in migrations, for the db/ files too. */
export function definitionPlaceholders(urls: DatabaseUrls): Record<string, string> {
  const owner = urlParts(urls.ownerUrl);
  return {
    ":DATABASE_NAME": owner.database,
    ":DATABASE_OWNER": owner.user,
    ":DATABASE_AUTHENTICATOR": urlParts(urls.authUrl).user,
  };
}

export interface MigrateOptions {
  /** Also apply migrations/current/ (development and tests), before the definitions. */
  current?: boolean;
  /** Re-apply the db/ definitions even if unchanged since the last run. */
  force?: boolean;
  /** Another copy of db/ (tests; `db:watch --source`). */
  sourceDir?: string;
}

/** Migrations, then definitions: what a DBA runs in production (committed migrations only). */
export async function migrateDatabase(urls: DatabaseUrls, options: MigrateOptions = {}): Promise<void> {
  await installWorkerSchema(urls.ownerUrl);
  const settings = migrateSettings(urls);
  await graphileMigrate.migrate(settings);
  if (options.current) await graphileMigrate.watch(settings, true);
  const result = await applyDefinitions(urls.ownerUrl, {
    placeholders: definitionPlaceholders(urls),
    force: options.force,
    dir: options.sourceDir,
  });
  log.info(result.applied ? "db/ definitions applied" : "db/ definitions unchanged", {
    scope: "migrate",
    files: result.files,
  });
}

/**
 * Applies migrations/current/ once, then the definitions (development: the
 * current migration may add a table the definitions need).
 */
export async function applyCurrentMigration(urls: DatabaseUrls, sourceDir?: string): Promise<void> {
  await graphileMigrate.watch(migrateSettings(urls), true);
  await applyDefinitions(urls.ownerUrl, { placeholders: definitionPlaceholders(urls), force: true, dir: sourceDir });
}
