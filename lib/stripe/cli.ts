// Stripe commands for operators:
//   sync   find or create the billing catalog at Stripe (meter, products,
//          prices of every active plan) and record the ids in the database.
//          Idempotent: run it at every deployment.
// It connects as `npm run db:migrate` does: DATABASE_URL's owner, or the
// embedded PostgreSQL; with MIGRATE_ON_START (the default) it brings the
// database to the head first, as `npm start` would, so that it also works as
// the first command on a new machine.
import pg from "pg";
import { ConfigError, loadConfig } from "../config.ts";
import { openDatabase } from "../db/database.ts";
import { migrateDatabase } from "../db/migrate.ts";
import { log } from "../logger.ts";
import { makeStripe } from "./client.ts";
import { redactStripeSecrets } from "./redact.ts";
import { createdCount, syncStripeCatalog } from "./sync.ts";

const command = process.argv[2];
const commands = ["sync"];

async function main(): Promise<void> {
  if (!command || !commands.includes(command)) {
    console.error(`usage: node lib/stripe/cli.ts <${commands.join("|")}>`);
    process.exit(2);
  }
  const config = loadConfig();
  const stripe = makeStripe(config);
  if (!stripe) throw new ConfigError("Invalid configuration: STRIPE_SECRET_KEY: is required for stripe:sync");
  const database = await openDatabase(config);
  try {
    if (config.MIGRATE_ON_START) await migrateDatabase(database);
    const client = new pg.Client({ connectionString: database.ownerUrl });
    await client.connect();
    try {
      const report = await syncStripeCatalog(stripe, client, { priceIds: config.STRIPE_PRICES });
      log.info("stripe:sync done", { created: createdCount(report), ...report });
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
    else log.error(`stripe ${command} failed`, { error: redactStripeSecrets(error instanceof Error ? error.message : String(error)) });
    process.exit(1);
  },
);
