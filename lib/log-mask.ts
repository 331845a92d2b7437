// What personal data looks like in a log, and how it is masked (DESIGN.md §4):
// phone numbers and email addresses are shortened to what support needs to
// tell messages apart, never enough to call or write.
//
// The free-text phone masker only touches strings shaped like a phone number:
// E.164 ("+33612345678", "+221 77 123 45 67", "0033…"), French national
// ("06 12 34 56 78", "0612345678", "01.23.45.67.89") and Senegalese national
// ("77 123 45 67", "771234567", "33 821 23 45"). It never rewrites digits inside
// a longer number, a decimal, a date, a UUID or an identifier, and numbers that
// are JSON numbers are never passed to it (maskValue leaves them alone): the
// old masker ran over the serialized line and turned `"duration":111933` into
// `"duration":1119**33`.

/** "+33612345678" → "+336******78": enough to tell messages apart, not to call. */
export function maskPhone(phone: string): string {
  if (phone.length <= 6) return "*".repeat(phone.length);
  return phone.slice(0, 4) + "*".repeat(phone.length - 6) + phone.slice(-2);
}

const SEP = "[ .-]?";
const phoneShapes = [
  // International: + or 00, a country code, 8 to 15 digits in all.
  `(?:\\+|00)[1-9](?:${SEP}\\d){7,14}`,
  // French national: 0 then 9 digits, in pairs or not.
  `0[1-9](?:${SEP}\\d\\d){4}`,
  // Senegalese national: mobile 70/75/76/77/78, fixed 33, then 7 digits (3-2-2).
  `(?:7[05-8]|33)${SEP}\\d{3}${SEP}\\d\\d${SEP}\\d\\d`,
].join("|");
// Not after a word character, a digit group separator that follows a digit, or
// a sign/decimal point; not before a word character or a digit-bearing tail.
const phonePattern = new RegExp(`(?<![\\w+\\-/.,@#])(?<!\\d[ .])(?:${phoneShapes})(?![\\w@]|[ .,-]\\d)`, "g");

export function maskPhonesIn(text: string): string {
  return text.replace(phonePattern, (match) => maskPhone(match.replace(/[ .-]/g, "")));
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

/** Phones and email addresses in a free text. */
export function maskText(text: string): string {
  return maskEmailsIn(maskPhonesIn(text));
}

/**
 * A log record's values with every string masked, walking objects and arrays
 * (bounded depth; cycles cut). Numbers, booleans and null are left as they are.
 */
export function maskValue(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === "string") return maskText(value);
  if (value === null || typeof value !== "object") return value;
  if (depth > 8 || seen.has(value)) return "[…]";
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => maskValue(item, depth + 1, seen));
  if (value instanceof Error) return maskValue(errorFields(value), depth, seen);
  if (value instanceof Date) return value.toISOString();
  const masked: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) masked[key] = maskValue(item, depth + 1, seen);
  return masked;
}

/** An Error as log fields; the stack only when asked (debug level). */
export function errorFields(error: Error, withStack = false): Record<string, unknown> {
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    message: error.message,
    ...(typeof code === "string" || typeof code === "number" ? { code } : {}),
    ...(withStack && error.stack ? { stack: error.stack } : {}),
  };
}
