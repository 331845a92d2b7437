// Picks the email sender from the configuration: SMTP in production, the log
// sender by default (so a fresh clone never emails anyone).
import type { Config } from "../config.ts";
import { LogEmailSender } from "./log.ts";
import type { EmailSender } from "./sender.ts";
import { SmtpEmailSender } from "./smtp.ts";

export type { EmailMessage, EmailReceipt, EmailSender } from "./sender.ts";
export { EmailSendError } from "./sender.ts";

export function createEmailSender(config: Pick<Config, "EMAIL_PROVIDER" | "SMTP_URL" | "EMAIL_FROM">): EmailSender {
  if (config.EMAIL_PROVIDER === "smtp") {
    // loadConfig already refused EMAIL_PROVIDER=smtp without SMTP_URL.
    if (!config.SMTP_URL) throw new Error("SMTP_URL is required when EMAIL_PROVIDER=smtp");
    return new SmtpEmailSender({ url: config.SMTP_URL, from: config.EMAIL_FROM });
  }
  return new LogEmailSender();
}
