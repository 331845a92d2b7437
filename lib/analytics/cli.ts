// Analytics commands for operators:
//   rebuild --from YYYY-MM-DD --to YYYY-MM-DD
//            recompute the stored daily figures of every business for the
//            local days of that range that are over (a year at most per run;
//            days whose entries retention removed are final and kept).
//            Idempotent: a row changes only when a figure does.
// It connects as `npm run db:migrate` does (lib/db/operator-connection.ts).
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config.ts";
import { withOperatorConnection } from "../db/operator-connection.ts";
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
  const { from, to } = values;
  const config = loadConfig();
  await withOperatorConnection(config, async (client) => {
    const chunks = await rebuildAnalytics(client, from, to);
    for (const chunk of chunks) console.log(`${chunk.from} … ${chunk.to}: ${chunk.written} day row(s) written`);
    log.info("analytics:rebuild done", { from, to, written: chunks.reduce((sum, c) => sum + c.written, 0) });
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof ConfigError) console.error(error.message);
    else console.error(`analytics:rebuild failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
