// Database commands for DBAs and developers (see README "For DBAs"):
//   setup    roles, databases, extensions (needs a superuser: ROOT_DATABASE_URL)
//   migrate  apply committed migrations (production)
//   reset    drop and recreate the database, then migrate (development only)
//   watch    re-apply migrations/current.sql on every save (development)
//   commit   turn current.sql into the next committed migration
//   uncommit move the last committed migration back into current.sql
//   status   list pending migrations
import * as graphileMigrate from "graphile-migrate";
import { ConfigError, loadConfig } from "../config.ts";
import { log } from "../logger.ts";
import { openDatabase } from "./database.ts";
import { migrateDatabase, migrateSettings } from "./migrate.ts";
import { setupDatabase } from "./setup.ts";

const command = process.argv[2];
const commands = ["setup", "migrate", "reset", "watch", "commit", "uncommit", "status"];

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
        await migrateDatabase(database);
        break;
      case "reset":
        if (config.NODE_ENV === "production") throw new Error("db:reset refuses to run with NODE_ENV=production");
        await graphileMigrate.reset(settings);
        break;
      case "watch":
        await graphileMigrate.watch(settings);
        await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
        break;
      case "commit":
        await graphileMigrate.commit(settings);
        break;
      case "uncommit":
        await graphileMigrate.uncommit(settings);
        break;
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

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof ConfigError) console.error(error.message);
    else log.error(`db ${command} failed`, { error: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  },
);
