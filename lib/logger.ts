// The application log: pino, one JSON line per event (stdout; warnings and
// errors on stderr), at LOG_LEVEL (README "Logs"). Every record goes through
// redaction before it is written:
// - by field name, at any depth: secrets (authorization, cookies, passwords,
//   tokens, keys, signatures) become "[redacted]"; phones and emails masked;
// - every other string through the free-text masker (lib/log-mask.ts), which
//   only touches phone-shaped and email-shaped text;
// - Error values become {type, message, code}, their stack only at debug level,
//   always inside the one JSON line.
// In development, with pino-pretty installed (a devDependency), the same
// records are printed human-readable instead.
import { createRequire } from "node:module";
import { format } from "node:util";
import pino, { type DestinationStream, type Logger } from "pino";
import { errorFields, maskEmail, maskPhone, maskText, maskValue } from "./log-mask.ts";

export { maskEmail, maskEmailsIn, maskPhone, maskPhonesIn, maskText } from "./log-mask.ts";

type Level = "debug" | "info" | "warn" | "error";
const levels: readonly Level[] = ["debug", "info", "warn", "error"];
const envLevel = process.env.LOG_LEVEL as Level | undefined;
const level: Level = envLevel && levels.includes(envLevel) ? envLevel : "info";

const SECRET_KEY = /^(authorization|proxy-authorization|cookie|set-cookie|password|new_?password|current_?password|secret|.*secret|.*_?token|jwt|.*api_?key|.*private_?key|stripe-signature|signature|x-api-key)$/i;
const PHONE_KEY = /phone/i;
const EMAIL_KEY = /e-?mail|^address$/i;

/** Redaction by field name at any depth, then the free-text masker on every other string. */
export function redact(value: unknown, withStack: boolean, depth = 0): unknown {
  if (value instanceof Error) return redact(errorFields(value, withStack), withStack, depth);
  if (value === null || typeof value !== "object" || depth > 8) return depth > 8 ? "[…]" : maskValue(value);
  if (Array.isArray(value)) return value.map((item) => redact(item, withStack, depth + 1));
  if (value instanceof Date) return value.toISOString();
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (SECRET_KEY.test(key) && item !== null && item !== undefined && typeof item !== "boolean") out[key] = "[redacted]";
    else if (PHONE_KEY.test(key) && typeof item === "string") out[key] = maskPhone(item.replace(/[ .-]/g, ""));
    else if (EMAIL_KEY.test(key) && typeof item === "string") out[key] = item.includes("@") ? maskEmail(item) : maskText(item);
    else out[key] = redact(item, withStack, depth + 1);
  }
  return out;
}

function destination(): DestinationStream {
  if (process.env.NODE_ENV === "development" && process.env.LOG_FORMAT !== "json") {
    try {
      const pretty = createRequire(import.meta.url)("pino-pretty") as (options: object) => DestinationStream;
      return pretty({ colorize: true, sync: true, messageKey: "message", translateTime: "SYS:HH:MM:ss.l" });
    } catch {
      // pino-pretty is a devDependency: absent from a production install.
    }
  }
  // Through process.stdout/stderr (not fd writes) so that output interleaves
  // with everything else the process prints, and tests can read it.
  return pino.multistream(
    [
      { level: "debug", stream: { write: (line: string) => process.stdout.write(line) } },
      { level: "warn", stream: { write: (line: string) => process.stderr.write(line) } },
    ],
    { dedupe: true },
  );
}

/** The pino logger itself (pino-http logs requests through it). */
export const logger: Logger = pino(
  {
    level,
    messageKey: "message",
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    // Errors under any key are turned into fields by redact() (stack at debug only).
    serializers: { err: (error: unknown) => error },
    formatters: {
      level: (label) => ({ level: label }),
      log: (record) => redact(record, level === "debug") as Record<string, unknown>,
    },
    hooks: {
      // The message is a free text too.
      logMethod(args, method) {
        const masked = args.map((arg) => (typeof arg === "string" ? maskText(arg) : arg));
        return method.apply(this, masked as Parameters<typeof method>);
      },
    },
  },
  destination(),
);

type Fields = Record<string, unknown>;
export const log = {
  debug: (message: string, fields?: Fields) => logger.debug(fields ?? {}, message),
  info: (message: string, fields?: Fields) => logger.info(fields ?? {}, message),
  warn: (message: string, fields?: Fields) => logger.warn(fields ?? {}, message),
  error: (message: string, fields?: Fields) => logger.error(fields ?? {}, message),
};

/**
 * console.error / console.warn of libraries (grafserv prints masked errors and
 * planning failures with multi-line stacks) as one JSON line each: the first
 * line as the message, the whole text only at debug level. Called once by
 * server.ts; returns the function that puts the console back.
 */
export function routeConsoleToLog(): () => void {
  const original = { error: console.error, warn: console.warn };
  const route = (target: "error" | "warn") => (...args: unknown[]) => {
    const text = format(...args);
    const [first = ""] = text.split("\n", 1);
    log[target](first.slice(0, 500), { source: "console", ...(level === "debug" && text !== first ? { detail: text } : {}) });
  };
  console.error = route("error");
  console.warn = route("warn");
  return () => Object.assign(console, original);
}
