// A local Amazon SNS endpoint for tests and benchmarks: a real HTTP server on
// 127.0.0.1 speaking the AWS query protocol that @aws-sdk/client-sns uses
// (POST of a form-encoded body `Action=Publish&Version=2010-03-31&…`, XML
// answers). Point the real SDK at it with SNS_ENDPOINT (or `endpoint`) and
// dummy credentials. It records every Publish and can be told to fail.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export interface PublishRequest {
  /** Wall-clock milliseconds (performance.timeOrigin + now) when the request arrived. */
  receivedAt: number;
  phoneNumber: string;
  message: string;
  /** MessageAttributes by name: { DataType, StringValue }. */
  attributes: Record<string, { dataType: string; stringValue?: string }>;
  /** The answer given: a MessageId, or the error code. */
  messageId?: string;
  error?: string;
  /** Whether the SDK signed the request (SigV4 Authorization header). */
  signed: boolean;
}

export interface FakeSnsError {
  /** SNS error code: Throttled (429), Throttling (400), InternalError (500), InvalidParameter (400), OptedOut (400)… */
  code: string;
  status: number;
  type?: "Sender" | "Receiver";
  message?: string;
}

export const snsErrors = {
  throttled: { code: "Throttled", status: 429, type: "Sender", message: "Rate exceeded" },
  throttling: { code: "Throttling", status: 400, type: "Sender", message: "Rate exceeded" },
  internal: { code: "InternalError", status: 500, type: "Receiver", message: "Internal failure" },
  unavailable: { code: "ServiceUnavailable", status: 503, type: "Receiver", message: "Service unavailable" },
  invalidParameter: {
    code: "InvalidParameter",
    status: 400,
    type: "Sender",
    message: "Invalid parameter: PhoneNumber Reason: +33600000000 is not valid to publish to",
  },
  optedOut: { code: "OptedOut", status: 400, type: "Sender", message: "Phone number is opted out" },
} satisfies Record<string, FakeSnsError>;

export interface FakeSns {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Every Publish received, accepted or not, in arrival order. */
  requests: PublishRequest[];
  /** Accepted Publish requests only. */
  published(): PublishRequest[];
  /** The next `count` Publish requests get `error`. */
  failNext(count: number, error?: FakeSnsError): void;
  /** Each Publish fails with this probability (deterministic sequence from `seed`). */
  failRatio(ratio: number, error?: FakeSnsError, seed?: number): void;
  /** Answers after this many milliseconds (0: at once); requests still held at close() are never answered nor recorded. */
  delay(ms: number): void;
  /** Every Publish to this number gets `error` (a permanent refusal). */
  refuseNumber(phoneNumber: string, error?: FakeSnsError): void;
  /** Back to accepting everything; keeps the recorded requests unless `clear`. */
  reset(options?: { clear?: boolean }): void;
  /** Called for each Publish as it arrives (benchmarks). */
  onPublish?: (request: PublishRequest) => void;
  /** Resolves when `count` Publish requests were accepted, or rejects after timeoutMs. */
  waitForPublished(count: number, timeoutMs?: number): Promise<PublishRequest[]>;
  close(): Promise<void>;
}

const xml = (text: string) =>
  text.replace(/[<>&'"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c]!);

function attributesOf(form: URLSearchParams): PublishRequest["attributes"] {
  // MessageAttributes.entry.N.Name / .Value.DataType / .Value.StringValue
  const attributes: PublishRequest["attributes"] = {};
  for (let n = 1; form.has(`MessageAttributes.entry.${n}.Name`); n++) {
    const prefix = `MessageAttributes.entry.${n}`;
    attributes[form.get(`${prefix}.Name`)!] = {
      dataType: form.get(`${prefix}.Value.DataType`) ?? "",
      stringValue: form.get(`${prefix}.Value.StringValue`) ?? undefined,
    };
  }
  return attributes;
}

/** A small deterministic generator (mulberry32): chaos runs can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function startFakeSns(options: { port?: number } = {}): Promise<FakeSns> {
  let failures: { count: number; error: FakeSnsError } = { count: 0, error: snsErrors.throttled };
  let ratio: { value: number; error: FakeSnsError; next: () => number } | undefined;
  const refused = new Map<string, FakeSnsError>();
  let delayMs = 0;
  const waiters = new Set<() => void>();
  // Requests held by delay(): close() drops them unanswered (never accepted).
  const delayed = new Set<NodeJS.Timeout>();

  const sendXml = (res: ServerResponse, status: number, body: string) => {
    res.writeHead(status, { "content-type": "text/xml", "x-amzn-requestid": randomUUID() });
    res.end(body);
  };
  const sendError = (res: ServerResponse, error: FakeSnsError) =>
    sendXml(
      res,
      error.status,
      `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${error.type ?? "Sender"}</Type>` +
        `<Code>${xml(error.code)}</Code><Message>${xml(error.message ?? error.code)}</Message></Error>` +
        `<RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
    );

  const handle = (req: IncomingMessage, res: ServerResponse, body: string, receivedAt: number) => {
    const form = new URLSearchParams(body);
    if (req.method !== "POST" || form.get("Action") !== "Publish" || form.get("Version") !== "2010-03-31") {
      return sendError(res, { code: "InvalidAction", status: 400, message: `Unsupported: ${form.get("Action")}` });
    }
    const phoneNumber = form.get("PhoneNumber");
    const message = form.get("Message");
    if (!phoneNumber || !message) {
      return sendError(res, { ...snsErrors.invalidParameter, message: "Invalid parameter: PhoneNumber and Message required" });
    }
    const request: PublishRequest = {
      receivedAt,
      phoneNumber,
      message,
      attributes: attributesOf(form),
      signed: /^AWS4-HMAC-SHA256 /.test(String(req.headers.authorization ?? "")),
    };
    let error: FakeSnsError | undefined = refused.get(phoneNumber);
    if (!error && failures.count > 0) {
      failures.count -= 1;
      error = failures.error;
    }
    if (!error && ratio && ratio.next() < ratio.value) error = ratio.error;
    if (!/^\+[1-9]\d{7,14}$/.test(phoneNumber)) error = snsErrors.invalidParameter;
    if (error) request.error = error.code;
    else request.messageId = randomUUID();
    fake.requests.push(request);
    fake.onPublish?.(request);
    for (const wake of waiters) wake();
    if (error) return sendError(res, error);
    sendXml(
      res,
      200,
      `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>` +
        `<MessageId>${request.messageId}</MessageId></PublishResult>` +
        `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
    );
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const receivedAt = performance.timeOrigin + performance.now();
      const body = Buffer.concat(chunks).toString("utf8");
      if (delayMs > 0) {
        const timer = setTimeout(() => {
          delayed.delete(timer);
          handle(req, res, body, receivedAt);
        }, delayMs);
        delayed.add(timer);
      } else handle(req, res, body, receivedAt);
    });
  });
  // Keep-alive like AWS: the SDK reuses connections.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;

  const fake: FakeSns = {
    url: `http://127.0.0.1:${port}`,
    requests: [],
    published: () => fake.requests.filter((request) => request.messageId),
    failNext(count, error = snsErrors.throttled) {
      failures = { count, error };
    },
    failRatio(value, error = snsErrors.internal, seed = 1) {
      ratio = { value, error, next: random(seed) };
    },
    delay(ms) {
      delayMs = ms;
    },
    refuseNumber(phoneNumber, error = snsErrors.optedOut) {
      refused.set(phoneNumber, error);
    },
    reset(resetOptions = {}) {
      failures = { count: 0, error: snsErrors.throttled };
      ratio = undefined;
      delayMs = 0;
      refused.clear();
      if (resetOptions.clear) fake.requests.length = 0;
    },
    waitForPublished(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const published = fake.published();
          if (published.length < count) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(published);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`fake SNS: ${fake.published().length} of ${count} messages published after ${timeoutMs} ms`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of delayed) clearTimeout(timer);
        delayed.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}
