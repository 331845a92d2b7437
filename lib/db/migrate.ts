// Applies migrations with graphile-migrate, programmatically, so that
// `npm start`, `npm run db:migrate` and the tests all take the same path.
import { readFileSync } from "node:fs";
import path from "node:path";
import * as graphileMigrate from "graphile-migrate";
import { Logger } from "graphile-migrate";
import { log } from "../logger.ts";
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

/** Committed migrations only: what a DBA runs in production. */
export async function migrateDatabase(urls: DatabaseUrls): Promise<void> {
  await installWorkerSchema(urls.ownerUrl);
  await graphileMigrate.migrate(migrateSettings(urls));
}

/** Applies migrations/current.sql once (development; tests check it can be re-run). */
export async function applyCurrentMigration(urls: DatabaseUrls): Promise<void> {
  await graphileMigrate.watch(migrateSettings(urls), true);
}
