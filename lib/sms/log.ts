// The development sender (SMS_PROVIDER=log, the default): nothing leaves the
// machine; the message is written to the log with the phone number masked and
// the status-page token shortened (it lets its holder cancel the place).
import { randomUUID } from "node:crypto";
import { log, maskPhone } from "../logger.ts";
import type { SmsMessage, SmsReceipt, SmsSender } from "./sender.ts";

const statusLinkToken = /(\/e\/)([A-Za-z0-9_-]{4})[A-Za-z0-9_-]+/g;

export function redactStatusLinks(text: string): string {
  return text.replace(statusLinkToken, "$1$2…");
}

type Emit = (message: string, fields: Record<string, unknown>) => void;

export class LogSmsSender implements SmsSender {
  readonly provider = "log" as const;
  readonly #emit: Emit;

  /** `emit` defaults to the application log at info level. */
  constructor(emit: Emit = log.info) {
    this.#emit = emit;
  }

  async send(message: SmsMessage): Promise<SmsReceipt> {
    const messageId = `log-${randomUUID()}`;
    this.#emit("SMS (log provider, not sent)", {
      to: maskPhone(message.phone),
      body: redactStatusLinks(message.body),
      messageId,
    });
    return { messageId, response: { provider: "log", messageId } };
  }
}
