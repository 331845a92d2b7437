// The payloads of Waitify's graphile-worker tasks: one zod schema each, and
// the GraphileWorker.Tasks declaration derived from them, so that Task<"…">,
// TaskList and addJob are typed by identifier. The jobs are added in SQL
// (app_private.enqueue_sms, app_private.schedule_entry_timeout,
// app_private.enqueue_email, app_public.request_password_reset), so the types
// are a promise the database keeps; each task still checks its payload.
import { z } from "zod";

/**
 * A uuid as PostgreSQL prints it: 8-4-4-4-12 hex digits, whatever its
 * version bits (z.guid(); z.uuid() would also require RFC 9562 version and
 * variant bits, which a uuid column does not).
 */
const uuid = () => z.guid();

/** queue_timeout: the called entry whose call expires (app_private.schedule_entry_timeout). */
export const queueTimeoutPayload = z.object({ entry_id: uuid() });

/** send_sms: the sms_logs row to send (app_private.enqueue_sms). */
export const sendSmsPayload = z.object({ sms_log_id: uuid() });

/** stripe_event: a Stripe event logged by POST /webhooks/stripe (app_private.record_stripe_event). */
export const stripeEventPayload = z.object({ event_id: z.string().regex(/^evt_[A-Za-z0-9_]+$/) });

/**
 * What graphile-worker's crontab adds to a scheduled job: the time it was due
 * (a backfilled run gets the time it should have run at).
 */
export const cronPayload = z.object({
  _cron: z.object({ ts: z.string().min(1), backfilled: z.boolean().optional() }),
});
/** send_email: the app_private.email_logs row to send (app_private.enqueue_email). */
export const sendEmailPayload = z.object({ email_log_id: uuid() });

/** password_reset: the address a reset was asked for (app_public.request_password_reset), lower-cased. */
export const passwordResetPayload = z.object({ email: z.string().min(3).max(255) });

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- graphile-worker declares its task types in this global namespace
  namespace GraphileWorker {
    interface Tasks {
      queue_timeout: z.infer<typeof queueTimeoutPayload>;
      send_sms: z.infer<typeof sendSmsPayload>;
      stripe_event: z.infer<typeof stripeEventPayload>;
      billing_daily: z.infer<typeof cronPayload>;
      report_sms_usage: z.infer<typeof cronPayload>;
      monthly_statements: z.infer<typeof cronPayload>;
      send_email: z.infer<typeof sendEmailPayload>;
      password_reset: z.infer<typeof passwordResetPayload>;
      analytics_daily: z.infer<typeof cronPayload>;
      analytics_retention: z.infer<typeof cronPayload>;
      analytics_phone_erasure: z.infer<typeof cronPayload>;
    }
  }
}
