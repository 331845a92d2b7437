// The SMTP sender (EMAIL_PROVIDER=smtp) through nodemailer: any relay (SES,
// Postmark, Mailgun, a company server). SMTP_URL says where and how:
// smtp://user:pass@host:587 (STARTTLS when the server offers it; add
// ?requireTLS=true to insist) or smtps://user:pass@host:465 (TLS from the
// first byte). One connection per message: the volume is a few emails per
// account and month, and nothing is left open at shutdown.
import nodemailer from "nodemailer";
import { EmailSendError, type EmailMessage, type EmailReceipt, type EmailSender } from "./sender.ts";

export interface SmtpSenderOptions {
  /** smtp://… or smtps://…, credentials in the URL (percent-encoded). */
  url: string;
  /** The From header: "Waitify <no-reply@example.com>". */
  from: string;
  /** Milliseconds for connecting, the greeting, and each reply (default 10 s / 10 s / 30 s). */
  timeouts?: { connection?: number; greeting?: number; socket?: number };
}

// Codes about our own set-up, not about the message: a rotated password or a
// TLS setting gets fixed, and the email should go out then.
const setupCodes = new Set(["EAUTH", "ENOAUTH", "EOAUTH2", "ETLS", "EREQUIRETLS", "ECONFIG", "EPROXY"]);

interface NodemailerErrorShape {
  code?: string;
  responseCode?: number;
  message?: string;
}

/** Maps whatever nodemailer threw to an EmailSendError that says whether to retry. */
export function classifySmtpError(error: unknown): EmailSendError {
  const shape = (typeof error === "object" && error !== null ? error : {}) as NodemailerErrorShape;
  const code = shape.code ?? "Error";
  const responseCode = typeof shape.responseCode === "number" ? shape.responseCode : undefined;
  const message = shape.message ?? String(error);
  // RFC 5321: 5yz is a permanent refusal, 4yz a transient one; 503 (bad
  // sequence) is about the session, not the message.
  const refused = responseCode !== undefined && responseCode >= 500 && responseCode < 600 && responseCode !== 503;
  // An address nodemailer itself refuses to put in an envelope never passes.
  const badAddress = code === "EENVELOPE" && responseCode === undefined;
  const permanent = !setupCodes.has(code) && (refused || badAddress);
  return new EmailSendError(message, { permanent, code, responseCode, cause: error });
}

export class SmtpEmailSender implements EmailSender {
  readonly provider = "smtp" as const;
  readonly #transport: ReturnType<typeof nodemailer.createTransport>;

  constructor(options: SmtpSenderOptions) {
    // Options in the URL's query (…?connectionTimeout=5000) win over these.
    this.#transport = nodemailer.createTransport(
      {
        url: options.url,
        connectionTimeout: options.timeouts?.connection ?? 10_000,
        greetingTimeout: options.timeouts?.greeting ?? 10_000,
        socketTimeout: options.timeouts?.socket ?? 30_000,
      },
      { from: options.from },
    );
  }

  async send(message: EmailMessage): Promise<EmailReceipt> {
    try {
      const info = await this.#transport.sendMail({
        to: message.to,
        subject: message.subject,
        text: message.text,
        ...(message.html ? { html: message.html } : {}),
      });
      return {
        messageId: info.messageId,
        response: { provider: "smtp", messageId: info.messageId, response: info.response },
      };
    } catch (error) {
      throw classifySmtpError(error);
    }
  }

  close(): void {
    this.#transport.close();
  }
}
