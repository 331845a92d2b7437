// What the send_sms task needs from an SMS provider, and how a provider says
// whether a failure is worth retrying. The task owns retries (graphile-worker
// backoff) and the record in sms_logs; a sender only sends one message.

export interface SmsMessage {
  /** E.164, e.g. "+33612345678". */
  phone: string;
  body: string;
}

export interface SmsReceipt {
  /** The provider's id of the accepted message. */
  messageId: string;
  /** What the provider answered, kept in sms_logs.provider_response for support. */
  response: Record<string, unknown>;
}

export interface SmsSender {
  readonly provider: "sns" | "log";
  /** Resolves once the provider accepted the message; throws SmsSendError otherwise. */
  send(message: SmsMessage): Promise<SmsReceipt>;
}

/**
 * A refused send. `permanent`: the provider will never accept this message
 * (invalid or opted-out number…): retrying only wastes attempts. Otherwise
 * (throttling, 5xx, network) it may pass later.
 */
export class SmsSendError extends Error {
  readonly permanent: boolean;
  /** Provider error code, e.g. "InvalidParameter", "Throttled". */
  readonly code: string;
  readonly httpStatus: number | undefined;

  constructor(message: string, options: { permanent: boolean; code: string; httpStatus?: number; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = "SmsSendError";
    this.permanent = options.permanent;
    this.code = options.code;
    this.httpStatus = options.httpStatus;
  }

  /** A JSON summary for sms_logs.provider_response (no stack, no secrets). */
  toJSON(): Record<string, unknown> {
    return { error: this.code, message: this.message, httpStatus: this.httpStatus ?? null, permanent: this.permanent };
  }
}
