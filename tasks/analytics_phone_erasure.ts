// analytics_phone_erasure (crontab, every hour): erases the phone number and
// name of finished visits once their business's retention (1–720 hours,
// default 24) has passed (db/analytics/privacy.sql), a batch per transaction
// until none is due.
import type { Task } from "graphile-worker";
import { cronPayload } from "./payloads.ts";

const BATCH = 5_000;

export const analyticsPhoneErasure: Task<"analytics_phone_erasure"> = async (payload, helpers) => {
  const { _cron } = cronPayload.parse(payload);
  // The scheduled hour, or now for a late run: never erase before it is due.
  const at = new Date(Math.min(Date.parse(_cron.ts), Date.now())).toISOString();
  let erased = 0;
  for (;;) {
    const { rows } = await helpers.query<{ erased: number }>("select app_private.erase_expired_phones($1, $2) as erased", [at, BATCH]);
    erased += rows[0]!.erased;
    if (rows[0]!.erased < BATCH) break;
  }
  helpers.logger.info(`analytics_phone_erasure: ${erased} visit(s) erased`, { at });
};
