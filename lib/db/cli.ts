// Database commands for DBAs and developers (see README "For DBAs" and db/README.md):
//   setup    roles, databases, extensions (needs a superuser: ROOT_DATABASE_URL)
//   migrate  committed migrations, then the db/ definitions (production; always re-applies db/)
//   reset    drop and recreate the database, then migrate (development only)
//   watch    re-apply migrations/current/ and db/ on every save (development;
//            `--source DIR` watches another copy of db/, as its test does)
//   commit   turn migrations/current/ into the next committed migration
//   uncommit move the last committed migration back into migrations/current/
//   status   list pending migrations
//   seed     a demo merchant, an open queue and a few customers (development only)
import { watch as watchFiles } from "node:fs";
import path from "node:path";
import * as graphileMigrate from "graphile-migrate";
import { ConfigError, loadConfig } from "../config.ts";
import { log } from "../logger.ts";
import { openDatabase, type Database } from "./database.ts";
import { DB_SOURCE_DIR } from "./definitions.ts";
import { applyCurrentMigration, migrateDatabase, migrateSettings } from "./migrate.ts";
import { seedDemo } from "./seed.ts";
import { setupDatabase } from "./setup.ts";

const command = process.argv[2];
const commands = ["setup", "migrate", "reset", "watch", "commit", "uncommit", "status", "seed"];

async function main(): Promise<void> {
  if (!command || !commands.includes(command)) {
    console.error(`usage: node lib/db/cli.ts <${commands.join("|")}>`);
    process.exit(2);
  }
  const config = loadConfig();
  const database = await openDatabase(config);
  try {
    const settings = migrateSettings(database);
    switch (command) {
      case "setup":
        if (!database.rootUrl) throw new ConfigError("Invalid configuration: ROOT_DATABASE_URL is required for setup");
        await setupDatabase(database.rootUrl, database);
        break;
      case "migrate":
        await migrateDatabase(database, { force: true });
        break;
      case "reset":
        if (config.NODE_ENV === "production") throw new Error("db:reset refuses to run with NODE_ENV=production");
        await graphileMigrate.reset(settings);
        await migrateDatabase(database, { current: true, force: true });
        break;
      case "watch": {
        const flag = process.argv.indexOf("--source");
        await watchSources(database, flag > 0 ? path.resolve(process.argv[flag + 1] ?? "") : DB_SOURCE_DIR);
        break;
      }
      case "commit":
        await graphileMigrate.commit(settings);
        break;
      case "uncommit":
        await graphileMigrate.uncommit(settings);
        break;
      case "seed": {
        if (config.NODE_ENV === "production") throw new Error("db:seed refuses to run with NODE_ENV=production");
        // Migrated first, so it works as the very first command on a new machine.
        await migrateDatabase(database);
        const seeded = await seedDemo(database.authUrl, { ownerUrl: database.ownerUrl });
        const base = config.PUBLIC_URL ?? `http://localhost:${config.PORT}`;
        console.log(
          [
            seeded.created.length ? `Demo data created: ${seeded.created.join(", ")}.` : "Demo data already there: nothing changed.",
            `  Counter screen: ${base}/counter  (sign in: ${seeded.email} / ${seeded.password})`,
            `  Join page (what the QR code opens): ${base}/q/${seeded.qrToken}`,
            `  QR poster (signed in, from the counter screen): ${base}/queues/${seeded.queueId}/poster.pdf`,
            `  Back office: ${base}/admin  (8 demo accounts, six months of history; create an admin first: npm run admin:create -- <email>)`,
            `  ${seeded.waiting} customer(s) waiting; analytics of the last days on the counter's account (GraphQL analyticsDashboard, businessAnalyticsDaily).`,
          ].join("\n"),
        );
        break;
      }
      case "status": {
        const status = await graphileMigrate.status(settings);
        console.log(JSON.stringify(status, null, 2));
        break;
      }
    }
  } finally {
    await database.stop();
  }
}

/**
 * Development loop: committed migrations once, then migrations/current/ and
 * the db/ definitions again whenever a file in either changes (debounced, one
 * run at a time). graphile-migrate's own watch sees only migrations/current/,
 * and the definitions must follow the current migration (it may add the
 * table they need), so both go through one loop here.
 */
async function watchSources(database: Database, sourceDir: string): Promise<void> {
  await migrateDatabase(database, { current: true, force: true, sourceDir });
  let timer: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  const rerun = (changed: string) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = running.then(async () => {
        try {
          await applyCurrentMigration(database, sourceDir);
          log.info("applied", { scope: "watch", changed });
        } catch (error) {
          // Keep watching: the next save may fix it.
          log.error("apply failed", { scope: "watch", error: error instanceof Error ? error.message : String(error) });
        }
      });
    }, 150);
  };
  const folders = [sourceDir, path.join(import.meta.dirname, "..", "..", "migrations", "current")];
  const watchers = folders.map((folder) =>
    watchFiles(folder, { recursive: true }, (_event, file) => {
      if (file && file.endsWith(".sql")) rerun(path.join(path.basename(folder), file));
    }),
  );
  // Said once the watchers exist (Node sets up the subfolders' watches as it
  // walks them, so a save in the first instant may still be missed).
  log.info("watching migrations/current/ and db/ (Ctrl-C to stop)", { scope: "watch" });
  await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
  for (const watcher of watchers) watcher.close();
  await running;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof ConfigError) console.error(error.message);
    else log.error(`db ${command} failed`, { error: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  },
);
