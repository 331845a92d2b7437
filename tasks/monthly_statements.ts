// monthly_statements (crontab, the 1st of each month): the statements of the
// month that just ended (db/billing/statements.sql). Idempotent, so the
// crontab's backfill (?fill) can run a missed 1st again safely.
import type { Task } from "graphile-worker";
import { cronPayload } from "./payloads.ts";

export const monthlyStatements: Task<"monthly_statements"> = async (payload, helpers) => {
  const { _cron } = cronPayload.parse(payload);
  const { rows } = await helpers.query<{ statements: number }>(
    "select app_private.compute_statements((date_trunc('month', $1::timestamptz at time zone 'UTC') - interval '1 month')::date) as statements",
    [_cron.ts],
  );
  helpers.logger.info(`monthly_statements: ${rows[0]?.statements ?? 0} statement(s)`, { at: _cron.ts });
};
