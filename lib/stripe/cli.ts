// Stripe commands for operators:
//   sync   find or create the billing catalog at Stripe (meter, products,
//          prices of every active plan) and record the ids in the database.
//          Idempotent: run it at every deployment.
// It connects as `npm run db:migrate` does (lib/db/operator-connection.ts),
// so that it also works as the first command on a new machine.
import { ConfigError, loadConfig } from "../config.ts";
import { withOperatorConnection } from "../db/operator-connection.ts";
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
  await withOperatorConnection(config, async (client) => {
    const report = await syncStripeCatalog(stripe, client, { priceIds: config.STRIPE_PRICES });
    log.info("stripe:sync done", { created: createdCount(report), ...report });
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof ConfigError) console.error(error.message);
    else log.error(`stripe ${command} failed`, { error: redactStripeSecrets(error instanceof Error ? error.message : String(error)) });
    process.exit(1);
  },
);
