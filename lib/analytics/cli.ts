// Analytics commands for operators:
//   rebuild --from YYYY-MM-DD --to YYYY-MM-DD
//            recompute the stored daily figures of every business for the
//            local days of that range that are over (a year at most per run;
//            days whose entries retention removed are final and kept).
//            Idempotent: a row changes only when a figure does.
// It connects as `npm run db:migrate` does: DATABASE_URL's owner, or the
// embedded PostgreSQL; with MIGRATE_ON_START (the default) it brings the
// database to the head first, as `npm start` would.
import { parseArgs } from "node:util";
import pg from "pg";
import { ConfigError, loadConfig } from "../config.ts";
import { openDatabase } from "../db/database.ts";
import { migrateDatabase } from "../db/migrate.ts";
import { log } from "../logger.ts";
import { rebuildAnalytics } from "./rebuild.ts";

const usage = "usage: npm run analytics:rebuild -- --from YYYY-MM-DD --to YYYY-MM-DD";

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { from: { type: "string" }, to: { type: "string" } },
  });
  if (positionals[0] !== "rebuild" || positionals.length !== 1 || !values.from || !values.to) {
    console.error(usage);
    process.exit(2);
  }
  const config = loadConfig();
  const database = await openDatabase(config);
  try {
    if (config.MIGRATE_ON_START) await migrateDatabase(database);
    const client = new pg.Client({ connectionString: database.ownerUrl });
    await client.connect();
    try {
      const chunks = await rebuildAnalytics(client, values.from, values.to);
      for (const chunk of chunks) console.log(`${chunk.from} … ${chunk.to}: ${chunk.written} day row(s) written`);
      log.info("analytics:rebuild done", { from: values.from, to: values.to, written: chunks.reduce((sum, c) => sum + c.written, 0) });
    } finally {
      await client.end();
    }
  } finally {
    await database.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof ConfigError) console.error(error.message);
    else console.error(`analytics:rebuild failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
