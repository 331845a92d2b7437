// A local SMTP server for tests: the real `smtp-server` package on
// 127.0.0.1, plain text (no STARTTLS), optionally requiring a login. It
// records every message it accepts, decoded (headers, RFC 2047 subject,
// quoted-printable or base64 UTF-8 bodies), and can be told to refuse a
// recipient for good (5xx) or to fail the next attempts transiently (4xx).
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from "smtp-server";

export interface ReceivedEmail {
  /** Envelope sender (MAIL FROM). */
  mailFrom: string;
  /** Envelope recipients (RCPT TO). */
  rcptTo: string[];
  /** Header names lower-cased, values unfolded and decoded. */
  headers: Record<string, string>;
  subject: string;
  from: string;
  to: string;
  messageId: string;
  /** The text/plain part, decoded, with "\n" line ends. */
  text: string;
  /** The text/html part, when there is one. */
  html?: string;
  /** The message as received (CRLF line ends). */
  raw: string;
  /** The user that logged in, if any. */
  user?: string;
}

export interface SmtpRefusal {
  /** SMTP reply code: 550 (mailbox unavailable), 451 (local error), 421 (service not available)… */
  code: number;
  message?: string;
}

export interface FakeSmtp {
  port: number;
  /** smtp://[user:pass@]127.0.0.1:<port> */
  url: string;
  /** Every message accepted, in arrival order. */
  messages: ReceivedEmail[];
  /** RCPT TO commands answered with an error (address and code), in order. */
  refusals: Array<{ address: string; code: number }>;
  /** Every RCPT TO for this address gets `refusal` (default 550: a permanent refusal). */
  refuseRecipient(address: string, refusal?: SmtpRefusal): void;
  /** The next `count` messages are refused with `refusal` (default 451: transient) at RCPT TO. */
  failNext(count: number, refusal?: SmtpRefusal): void;
  /** Answers each message's DATA after this many milliseconds (0: at once). */
  delay(ms: number): void;
  /** Back to accepting everything at once; keeps the recorded messages unless `clear`. */
  reset(options?: { clear?: boolean }): void;
  /** Resolves when `count` messages were accepted, or rejects after timeoutMs. */
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedEmail[]>;
  close(): Promise<void>;
}

// ------------------------------------------------------------ MIME decoding

function bytesToUtf8(bytes: number[]): string {
  return Buffer.from(bytes).toString("utf8");
}

export function decodeQuotedPrintable(text: string): string {
  const joined = text.replace(/=\r?\n/g, "");
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === "=" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(joined[i]!, "utf8"));
    }
  }
  return bytesToUtf8(bytes);
}

/** RFC 2047 encoded words (=?UTF-8?Q?…?= / =?UTF-8?B?…?=); whitespace between two of them goes. */
export function decodeWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, "$1$2")
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_match, _charset: string, encoding: string, data: string) =>
      encoding.toUpperCase() === "B"
        ? Buffer.from(data, "base64").toString("utf8")
        : decodeQuotedPrintable(data.replace(/_/g, " ")),
    );
}

interface Part {
  headers: Record<string, string>;
  body: string;
}

function splitPart(raw: string): Part {
  const end = raw.indexOf("\r\n\r\n");
  const head = end === -1 ? raw : raw.slice(0, end);
  const body = end === -1 ? "" : raw.slice(end + 4);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r\n[ \t]+/g, " ").split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = decodeWords(line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function decodeBody(part: Part): string {
  const encoding = (part.headers["content-transfer-encoding"] ?? "7bit").toLowerCase();
  const decoded =
    encoding === "quoted-printable"
      ? decodeQuotedPrintable(part.body)
      : encoding === "base64"
        ? Buffer.from(part.body.replace(/\s+/g, ""), "base64").toString("utf8")
        : part.body;
  return decoded.replace(/\r\n/g, "\n");
}

/** The text/plain and text/html parts, however nested in multipart containers. */
function textParts(part: Part): { text?: string; html?: string } {
  const type = (part.headers["content-type"] ?? "text/plain").toLowerCase();
  const boundary = /boundary="?([^";]+)"?/i.exec(part.headers["content-type"] ?? "")?.[1];
  if (type.startsWith("multipart/") && boundary) {
    const found: { text?: string; html?: string } = {};
    const pieces = part.body.split(`--${boundary}`).slice(1);
    for (const piece of pieces) {
      if (piece.startsWith("--")) break;
      const inner = textParts(splitPart(piece.replace(/^\r\n/, "").replace(/\r\n$/, "")));
      found.text ??= inner.text;
      found.html ??= inner.html;
    }
    return found;
  }
  if (type.startsWith("text/html")) return { html: decodeBody(part) };
  return { text: decodeBody(part) };
}

export function parseEmail(raw: string): Omit<ReceivedEmail, "mailFrom" | "rcptTo" | "user"> {
  const top = splitPart(raw);
  const { text, html } = textParts(top);
  return {
    headers: top.headers,
    subject: top.headers.subject ?? "",
    from: top.headers.from ?? "",
    to: top.headers.to ?? "",
    messageId: top.headers["message-id"] ?? "",
    text: (text ?? "").replace(/\n$/, ""),
    ...(html !== undefined ? { html } : {}),
    raw,
  };
}

// ------------------------------------------------------------------ server

function smtpError(refusal: SmtpRefusal): Error & { responseCode: number } {
  const error = new Error(refusal.message ?? (refusal.code >= 500 ? "Mailbox unavailable" : "Try again later")) as Error & {
    responseCode: number;
  };
  error.responseCode = refusal.code;
  return error;
}

export async function startFakeSmtp(options: { auth?: { user: string; pass: string } } = {}): Promise<FakeSmtp> {
  const refused = new Map<string, SmtpRefusal>();
  let failures: { count: number; refusal: SmtpRefusal } = { count: 0, refusal: { code: 451 } };
  const waiters = new Set<() => void>();
  let delayMs = 0;

  const server = new SMTPServer({
    // Plain text on loopback: no certificate to make; nodemailer then sends in clear.
    disabledCommands: options.auth ? ["STARTTLS"] : ["STARTTLS", "AUTH"],
    allowInsecureAuth: true,
    authOptional: !options.auth,
    logger: false,
    onAuth(auth, _session, callback) {
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) {
        return callback(null, { user: auth.username });
      }
      callback(Object.assign(new Error("Invalid username or password"), { responseCode: 535 }));
    },
    onRcptTo(address: SMTPServerAddress, _session: SMTPServerSession, callback) {
      const refusal = refused.get(address.address.toLowerCase());
      if (refusal) {
        fake.refusals.push({ address: address.address, code: refusal.code });
        return callback(smtpError(refusal));
      }
      if (failures.count > 0) {
        failures.count -= 1;
        fake.refusals.push({ address: address.address, code: failures.refusal.code });
        return callback(smtpError(failures.refusal));
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        const envelope = session.envelope;
        const user = typeof session.user === "string" ? session.user : undefined;
        fake.messages.push({
          ...parseEmail(raw),
          mailFrom: envelope.mailFrom ? envelope.mailFrom.address : "",
          rcptTo: envelope.rcptTo.map((recipient) => recipient.address),
          ...(user ? { user } : {}),
        });
        for (const wake of waiters) wake();
        setTimeout(() => callback(null, "OK: queued"), delayMs);
      });
    },
  });
  server.on("error", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const credentials = options.auth
    ? `${encodeURIComponent(options.auth.user)}:${encodeURIComponent(options.auth.pass)}@`
    : "";

  const fake: FakeSmtp = {
    port,
    url: `smtp://${credentials}127.0.0.1:${port}`,
    messages: [],
    refusals: [],
    refuseRecipient(recipient, refusal = { code: 550, message: "5.1.1 Mailbox does not exist" }) {
      refused.set(recipient.toLowerCase(), refusal);
    },
    failNext(count, refusal = { code: 451, message: "4.3.0 Temporary failure, try again later" }) {
      failures = { count, refusal };
    },
    delay(ms) {
      delayMs = ms;
    },
    reset(resetOptions = {}) {
      refused.clear();
      delayMs = 0;
      failures = { count: 0, refusal: { code: 451 } };
      if (resetOptions.clear) {
        fake.messages.length = 0;
        fake.refusals.length = 0;
      }
    },
    waitForMessages(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (fake.messages.length < count) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(fake.messages);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`fake SMTP: ${fake.messages.length} of ${count} messages received after ${timeoutMs} ms`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return fake;
}
