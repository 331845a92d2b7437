// The task list: one graphile-worker task per file in this folder (their
// payloads' schemas and types: payloads.ts). Listing them explicitly (rather
// than a taskDirectory scan) keeps them type-checked and lets Node's type
// stripping load them.
import type { TaskList } from "graphile-worker";
import type Stripe from "stripe";
import type { EmailSender } from "../lib/email/sender.ts";
import type { SmsSender } from "../lib/sms/sender.ts";
import { analyticsDaily } from "./analytics_daily.ts";
import { analyticsPhoneErasure } from "./analytics_phone_erasure.ts";
import { analyticsRetention } from "./analytics_retention.ts";
import { billingDaily } from "./billing_daily.ts";
import { monthlyStatements } from "./monthly_statements.ts";
import { passwordReset } from "./password_reset.ts";
import { queueTimeout } from "./queue_timeout.ts";
import { makeReportSmsUsage } from "./report_sms_usage.ts";
import { makeSendEmail } from "./send_email.ts";
import { makeSendSms } from "./send_sms.ts";
import { makeStripeEvent } from "./stripe_event.ts";

export const taskList: TaskList = {
  queue_timeout: queueTimeout,
  billing_daily: billingDaily,
  monthly_statements: monthlyStatements,
  password_reset: passwordReset,
  analytics_daily: analyticsDaily,
  analytics_retention: analyticsRetention,
  analytics_phone_erasure: analyticsPhoneErasure,
};

/**
 * What some tasks need from the process: the SMS sender chosen by
 * SMS_PROVIDER, the email sender chosen by EMAIL_PROVIDER, the Stripe client.
 */
export interface TaskDependencies {
  sms: SmsSender;
  email: EmailSender;
  /** Absent when STRIPE_SECRET_KEY is not set: stripe_event jobs then wait (retried). */
  stripe?: Stripe;
}

/** The task list with the tasks that need the process's dependencies. */
export function makeTaskList(dependencies: TaskDependencies): TaskList {
  return {
    ...taskList,
    send_sms: makeSendSms(dependencies.sms),
    send_email: makeSendEmail(dependencies.email),
    stripe_event: makeStripeEvent(dependencies.stripe),
    report_sms_usage: makeReportSmsUsage(dependencies.stripe),
  };
}
