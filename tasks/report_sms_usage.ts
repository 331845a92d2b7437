// report_sms_usage (crontab, hourly): sends each finished hour's SMS parts of
// every subscribed account to the Stripe billing meter, which prices the
// month's overage (db/billing/usage-reports.sql). Each report carries an
// identifier that Stripe deduplicates on and is marked reported only once
// Stripe accepted it, so a failed run is simply run again (retried job, next
// hour's run or the crontab's backfill) and nothing is counted twice.
//
// A report Stripe accepted but whose answer was lost (on every retry of the
// SDK) is still unmarked at the next run. That run sends it with the same
// Idempotency-Key (derived from the identifier), so Stripe answers with the
// stored success; and should Stripe refuse it as a duplicate identifier
// instead (the key expired, or the first call had another key), the usage is
// there already: it is marked reported too. Either way the run goes on to the
// next hours instead of failing on that one forever.
import type { Task } from "graphile-worker";
import type Stripe from "stripe";
import { isDuplicateMeterEvent } from "../lib/stripe/errors.ts";
import { cronPayload } from "./payloads.ts";

interface DueReport {
  user_id: string;
  hour: Date;
  parts: number;
  identifier: string;
  stripe_customer_id: string;
  /** The meter event's time: the hour, or the subscription's start within its first hour (db/billing/usage-reports.sql). */
  stamped_at: Date;
}

export function makeReportSmsUsage(stripe: Stripe | undefined): Task<"report_sms_usage"> {
  return async (payload, helpers) => {
    const { _cron } = cronPayload.parse(payload);
    if (!stripe) {
      helpers.logger.debug("report_sms_usage: Stripe is not configured, nothing to report");
      return;
    }
    const meter = await helpers.query<{ name: string | null }>("select app_private.sms_meter_event_name() as name");
    const eventName = meter.rows[0]?.name;
    if (!eventName) throw new Error("report_sms_usage: no billing meter recorded (run npm run stripe:sync)");
    const due = await helpers.query<DueReport>("select * from app_private.due_usage_reports($1)", [_cron.ts]);
    for (const report of due.rows) {
      try {
        await stripe.billing.meterEvents.create(
          {
            event_name: eventName,
            identifier: report.identifier,
            timestamp: Math.floor(report.stamped_at.getTime() / 1000),
            payload: { stripe_customer_id: report.stripe_customer_id, value: String(report.parts) },
          },
          { idempotencyKey: `waitify-${report.identifier}` },
        );
      } catch (error) {
        if (!isDuplicateMeterEvent(error)) throw error;
        helpers.logger.info("report_sms_usage: Stripe already holds this report", { identifier: report.identifier });
      }
      await helpers.query("select app_private.usage_reported($1)", [report.identifier]);
    }
    helpers.logger.info(`report_sms_usage: ${due.rows.length} report(s) sent`, { at: _cron.ts });
  };
}
