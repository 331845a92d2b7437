// analytics_retention (crontab, every day): deletes finished visits and their
// events older than the retention period once their days are stored in
// analytics_daily (db/analytics/retention.sql), a batch per transaction until
// none is left. Idempotent: a second run finds nothing to delete.
import type { Task } from "graphile-worker";
import { cronPayload } from "./payloads.ts";

/** Visits deleted per transaction: short locks on queue_entries and queue_events. */
const BATCH = 10_000;

export const analyticsRetention: Task<"analytics_retention"> = async (payload, helpers) => {
  const { _cron } = cronPayload.parse(payload);
  let entries = 0;
  let events = 0;
  let days = 0;
  for (;;) {
    const { rows } = await helpers.query<{ entries_deleted: number; events_deleted: number; days_final: number }>(
      "select * from app_private.run_analytics_retention($1, $2)",
      [_cron.ts, BATCH],
    );
    const batch = rows[0]!;
    entries += batch.entries_deleted;
    events += batch.events_deleted;
    days += batch.days_final;
    if (batch.entries_deleted < BATCH) break;
  }
  helpers.logger.info(`analytics_retention: ${entries} visit(s) and ${events} event(s) deleted, ${days} day(s) final`, { at: _cron.ts });
};
