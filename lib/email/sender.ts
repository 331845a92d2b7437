// What the send_email task needs from an email provider, and how a provider
// says whether a failure is worth retrying. The task owns retries
// (graphile-worker backoff) and the record in app_private.email_logs; a
// sender only sends one message. Same shape as lib/sms/sender.ts.

export interface EmailMessage {
  /** One recipient address. */
  to: string;
  /** A single line (a header). */
  subject: string;
  /** The plain-text body (what every email has). */
  text: string;
  /** An optional HTML alternative. */
  html?: string;
}

export interface EmailReceipt {
  /** The Message-ID of the accepted message (or the provider's id). */
  messageId: string;
  /** What the provider answered, for the log and support. */
  response: Record<string, unknown>;
}

export interface EmailSender {
  readonly provider: "smtp" | "log";
  /** Resolves once the server accepted the message; throws EmailSendError otherwise. */
  send(message: EmailMessage): Promise<EmailReceipt>;
  /** Releases connections (a pooled transport); optional. */
  close?(): void;
}

/**
 * A refused send. `permanent`: the server will never accept this message (a
 * 5xx reply: recipient unknown or refused, message rejected): retrying only
 * wastes attempts. Otherwise (4xx, network, timeout, our credentials or TLS
 * set-up) it may pass later.
 */
export class EmailSendError extends Error {
  readonly permanent: boolean;
  /** Provider error code, e.g. "EENVELOPE", "ECONNECTION", "EAUTH". */
  readonly code: string;
  /** The SMTP reply code when the server answered (550, 451…). */
  readonly responseCode: number | undefined;

  constructor(message: string, options: { permanent: boolean; code: string; responseCode?: number; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = "EmailSendError";
    this.permanent = options.permanent;
    this.code = options.code;
    this.responseCode = options.responseCode;
  }

  /** One line for email_logs.error (no stack, no secrets). */
  summary(): string {
    return `${this.code}${this.responseCode ? ` ${this.responseCode}` : ""}: ${this.message}`;
  }
}
