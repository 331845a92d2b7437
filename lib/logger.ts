// A small structured logger: one JSON line per event on stdout/stderr.
// Phone numbers and email addresses are masked before anything is written
// (DESIGN.md §4).

type Level = "debug" | "info" | "warn" | "error";
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const minimum: Level = (process.env.LOG_LEVEL as Level | undefined) ?? "info";

/** "+33612345678" → "+336******78": enough to tell messages apart, not to call. */
export function maskPhone(phone: string): string {
  if (phone.length <= 6) return "*".repeat(phone.length);
  return phone.slice(0, 4) + "*".repeat(phone.length - 6) + phone.slice(-2);
}

// Anything that looks like a phone number inside a free-text message is masked too.
// Dashes and word characters around a run exclude dates, UUIDs and identifiers.
const phonePattern = /(?<![\w-])\+?\d(?:[ .]?\d){7,14}(?![\w-])/g;
export function maskPhonesIn(text: string): string {
  return text.replace(phonePattern, (match) => maskPhone(match.replace(/[ .]/g, "")));
}

/** "jean.dupont@example.com" → "j***@example.com": whose inbox stays a guess, the domain helps support. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf("@");
  if (at <= 0) return "***";
  return `${address[0]}***${address.slice(at)}`;
}

// Addresses inside a free-text message too (an SMTP refusal quotes the recipient).
const emailPattern = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
export function maskEmailsIn(text: string): string {
  return text.replace(emailPattern, (match) => maskEmail(match));
}

const maskAll = (text: string) => maskEmailsIn(maskPhonesIn(text));

function write(level: Level, message: string, fields: Record<string, unknown> = {}): void {
  if (order[level] < order[minimum in order ? minimum : "info"]) return;
  const line = JSON.stringify({ time: new Date().toISOString(), level, message: maskAll(message), ...fields });
  (level === "error" || level === "warn" ? process.stderr : process.stdout).write(maskAll(line) + "\n");
}

export const log = {
  debug: (message: string, fields?: Record<string, unknown>) => write("debug", message, fields),
  info: (message: string, fields?: Record<string, unknown>) => write("info", message, fields),
  warn: (message: string, fields?: Record<string, unknown>) => write("warn", message, fields),
  error: (message: string, fields?: Record<string, unknown>) => write("error", message, fields),
};
