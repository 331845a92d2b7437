// The SMS settings SQL needs. Messages are rendered in SQL, in the
// transaction of the queue change (the text in sms_logs is the text sent), so
// the base of the status link must be in the database: each API or worker
// process writes PUBLIC_URL to system_configs.public_url at start. All
// processes of one deployment share one PUBLIC_URL; without it the seeded
// http://localhost:3000 stays (development).
import pg from "pg";
import type { Config } from "../config.ts";
import { log } from "../logger.ts";

export async function publishSmsSettings(
  ownerUrl: string,
  config: Pick<Config, "PUBLIC_URL" | "SMS_PROVIDER">,
): Promise<void> {
  if (!config.PUBLIC_URL) {
    if (config.SMS_PROVIDER === "sns") {
      log.warn("PUBLIC_URL is not set: links in SMS keep the stored base URL (http://localhost:3000 unless set before)");
    }
    return;
  }
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const { rows } = await client.query("select to_regclass('app_public.system_configs') is not null as ready");
    if (!rows[0]?.ready) {
      // Migrations not applied yet (MIGRATE_ON_START=false): the next start publishes it.
      log.warn("PUBLIC_URL not stored: app_public.system_configs does not exist yet");
      return;
    }
    await client.query(
      `insert into app_public.system_configs (key, value, data_type, description)
         values ('public_url', $1, 'string', 'Base URL of the links in SMS (PUBLIC_URL, set at start)')
         on conflict (key) do update set value = excluded.value
         where system_configs.value is distinct from excluded.value`,
      [config.PUBLIC_URL],
    );
  } finally {
    await client.end();
  }
}
