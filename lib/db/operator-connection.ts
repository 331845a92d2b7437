// What an operator's command (npm run stripe:sync, analytics:rebuild) runs
// on: the database as `npm run db:migrate` reaches it — DATABASE_URL's owner,
// or the embedded PostgreSQL — brought to the head first when
// MIGRATE_ON_START is on (the default), as `npm start` would, so the command
// also works as the first one on a new machine. One owner connection, closed
// (and the embedded cluster stopped) whatever happens.
import pg from "pg";
import type { Config } from "../config.ts";
import { openDatabase } from "./database.ts";
import { migrateDatabase } from "./migrate.ts";

export async function withOperatorConnection<T>(config: Config, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const database = await openDatabase(config);
  try {
    if (config.MIGRATE_ON_START) await migrateDatabase(database);
    const client = new pg.Client({ connectionString: database.ownerUrl });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  } finally {
    await database.stop();
  }
}
