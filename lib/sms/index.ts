// Picks the SMS sender from the configuration: SNS in production, the log
// sender in development (the default, so a fresh clone never texts anyone).
import type { Config } from "../config.ts";
import { LogSmsSender } from "./log.ts";
import type { SmsSender } from "./sender.ts";
import { SnsSmsSender } from "./sns.ts";

export type { SmsMessage, SmsReceipt, SmsSender } from "./sender.ts";
export { SmsSendError } from "./sender.ts";
export { countSmsParts } from "./parts.ts";

export function createSmsSender(
  config: Pick<Config, "SMS_PROVIDER" | "AWS_REGION" | "SNS_ENDPOINT" | "SMS_SENDER_ID">,
): SmsSender {
  if (config.SMS_PROVIDER === "sns") {
    // loadConfig already refused SMS_PROVIDER=sns without AWS_REGION.
    if (!config.AWS_REGION) throw new Error("AWS_REGION is required when SMS_PROVIDER=sns");
    return new SnsSmsSender({ region: config.AWS_REGION, endpoint: config.SNS_ENDPOINT, senderId: config.SMS_SENDER_ID });
  }
  return new LogSmsSender();
}
