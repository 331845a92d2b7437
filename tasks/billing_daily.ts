// billing_daily (crontab, every day): the statuses that move with time alone
// and the billing reminders due today, each sent once. The rules are SQL
// (app_private.run_billing_day, db/billing/dunning.sql); the scheduled time
// is the "today" it runs for, so a backfilled run does yesterday's work.
import type { Task } from "graphile-worker";
import { cronPayload } from "./payloads.ts";

export const billingDaily: Task<"billing_daily"> = async (payload, helpers) => {
  const { _cron } = cronPayload.parse(payload);
  const { rows } = await helpers.query<{ sent: number }>("select app_private.run_billing_day($1) as sent", [_cron.ts]);
  helpers.logger.info(`billing_daily: ${rows[0]?.sent ?? 0} reminder(s) sent`, { at: _cron.ts });
};
