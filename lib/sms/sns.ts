// The AWS SNS sender (SMS_PROVIDER=sns): one PublishCommand per message,
// straight to a phone number (no topic), typed Transactional so operators
// deliver it with priority. The SDK speaks SNS's query protocol (form-encoded
// POST, XML answers); SNS_ENDPOINT points it elsewhere (tests, LocalStack).
import { PublishCommand, SNSClient, type MessageAttributeValue } from "@aws-sdk/client-sns";
import { SmsSendError, type SmsMessage, type SmsReceipt, type SmsSender } from "./sender.ts";

export interface SnsSenderOptions {
  region: string;
  /** Overrides the regional endpoint, e.g. "http://127.0.0.1:4566". */
  endpoint?: string;
  /** Alphanumeric sender id (1–11 characters) where the destination country allows one. */
  senderId?: string;
  /** Explicit credentials; by default the SDK's chain (environment, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /**
   * HTTP attempts per send, SDK retries included (default 3): the SDK absorbs
   * a short blip within milliseconds; longer outages become a failed job that
   * graphile-worker retries with backoff.
   */
  maxAttempts?: number;
  /** Milliseconds before a request is abandoned (default 10 s). */
  requestTimeoutMs?: number;
}

// Throttling by SNS itself (Throttled, 429) or by the AWS front end (Throttling, 400).
const throttlingCodes = new Set([
  "Throttled",
  "ThrottledException",
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "KMSThrottling",
]);
// 4xx answers that are about our credentials or clock, not about the message:
// a rotated key or a skewed clock gets fixed, so these are retried too.
const credentialCodes = new Set([
  "ExpiredToken",
  "ExpiredTokenException",
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
  "IncompleteSignature",
  "RequestExpired",
  "UnrecognizedClientException",
  "CredentialsProviderError",
]);

interface AwsErrorShape {
  name?: string;
  Code?: string;
  message?: string;
  $fault?: "client" | "server";
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

/** Maps whatever the SDK threw to an SmsSendError that says whether to retry. */
export function classifySnsError(error: unknown): SmsSendError {
  const shape = (typeof error === "object" && error !== null ? error : {}) as AwsErrorShape;
  const code = shape.Code ?? shape.name ?? "Error";
  const status = shape.$metadata?.httpStatusCode;
  const message = shape.message ?? String(error);
  const transient =
    status === undefined || // no answer: connection refused, reset, timeout
    status === 429 ||
    status >= 500 ||
    shape.$fault === "server" ||
    throttlingCodes.has(code) ||
    throttlingCodes.has(shape.name ?? "") ||
    credentialCodes.has(code) ||
    credentialCodes.has(shape.name ?? "");
  return new SmsSendError(message, { permanent: !transient, code, httpStatus: status, cause: error });
}

export class SnsSmsSender implements SmsSender {
  readonly provider = "sns" as const;
  readonly client: SNSClient;
  readonly #senderId: string | undefined;

  constructor(options: SnsSenderOptions) {
    this.client = new SNSClient({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      maxAttempts: options.maxAttempts ?? 3,
      requestHandler: {
        connectionTimeout: 3_000,
        requestTimeout: options.requestTimeoutMs ?? 10_000,
        throwOnRequestTimeout: true,
      },
    });
    this.#senderId = options.senderId;
  }

  async send(message: SmsMessage): Promise<SmsReceipt> {
    const attributes: Record<string, MessageAttributeValue> = {
      "AWS.SNS.SMS.SMSType": { DataType: "String", StringValue: "Transactional" },
    };
    if (this.#senderId) attributes["AWS.SNS.SMS.SenderID"] = { DataType: "String", StringValue: this.#senderId };
    try {
      const output = await this.client.send(
        new PublishCommand({ PhoneNumber: message.phone, Message: message.body, MessageAttributes: attributes }),
      );
      if (!output.MessageId) throw new SmsSendError("SNS accepted the message without a MessageId", { permanent: false, code: "NoMessageId" });
      return {
        messageId: output.MessageId,
        response: { provider: "sns", messageId: output.MessageId, requestId: output.$metadata.requestId ?? null },
      };
    } catch (error) {
      if (error instanceof SmsSendError) throw error;
      throw classifySnsError(error);
    }
  }

  destroy(): void {
    this.client.destroy();
  }
}
