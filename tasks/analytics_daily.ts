// analytics_daily (crontab, every day): stores the daily figures of every
// business for the local days that are over (db/analytics/daily.sql,
// app_private.run_analytics_day). Idempotent — a row changes only when a
// figure did — so the crontab's backfill (?fill) can run a missed day again.
import type { Task } from "graphile-worker";
import { cronPayload } from "./payloads.ts";

export const analyticsDaily: Task<"analytics_daily"> = async (payload, helpers) => {
  const { _cron } = cronPayload.parse(payload);
  const { rows } = await helpers.query<{ written: number }>("select app_private.run_analytics_day($1) as written", [_cron.ts]);
  helpers.logger.info(`analytics_daily: ${rows[0]?.written ?? 0} day row(s) written`, { at: _cron.ts });
};
