// The development sender (EMAIL_PROVIDER=log, the default): nothing leaves
// the machine; the email is written to the log with the address masked and
// any link secret (#token=…, a password reset) shortened, since logs are
// shipped and kept where a live reset link must not be.
import { randomUUID } from "node:crypto";
import { log, maskEmail } from "../logger.ts";
import type { EmailMessage, EmailReceipt, EmailSender } from "./sender.ts";

const linkSecret = /(#token=)([A-Za-z0-9_-]{4})[A-Za-z0-9_-]+/g;

export function redactLinkSecrets(text: string): string {
  return text.replace(linkSecret, "$1$2…");
}

type Emit = (message: string, fields: Record<string, unknown>) => void;

export class LogEmailSender implements EmailSender {
  readonly provider = "log" as const;
  readonly #emit: Emit;

  /** `emit` defaults to the application log at info level. */
  constructor(emit: Emit = log.info) {
    this.#emit = emit;
  }

  async send(message: EmailMessage): Promise<EmailReceipt> {
    const messageId = `log-${randomUUID()}`;
    this.#emit("Email (log provider, not sent)", {
      to: maskEmail(message.to),
      subject: message.subject,
      body: redactLinkSecrets(message.text),
      messageId,
    });
    return { messageId, response: { provider: "log", messageId } };
  }
}
