// How many SMS parts a text costs. Operators bill per part, and SNS reports
// nothing about it on Publish, so we count the way the network segments:
// GSM 03.38 (7-bit) when every character is in the GSM alphabet, otherwise
// UCS-2 (16-bit). One part holds 160 septets / 70 UCS-2 units; a split message
// spends 7 septets / 3 units of each part on the concatenation header, leaving
// 153 / 67. Characters of the GSM extension table take two septets (escape +
// code) and a pair is never split across parts; nor is a UTF-16 surrogate pair.

export type SmsEncoding = "GSM-7" | "UCS-2";

export interface SmsParts {
  encoding: SmsEncoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) of the whole text. */
  units: number;
  parts: number;
}

// GSM 03.38 basic character set (the escape code 0x1B itself excluded).
const basic = new Set(
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà",
);
// GSM 03.38 extension table: escape + one code each.
const extension = new Set("\f^{}\\[~]|€");

const GSM_SINGLE = 160;
const GSM_SEGMENT = 153;
const UCS2_SINGLE = 70;
const UCS2_SEGMENT = 67;

export function isGsm7(text: string): boolean {
  for (const char of text) if (!basic.has(char) && !extension.has(char)) return false;
  return true;
}

/** Sizes of the characters in their encoding: septets, or UTF-16 units. */
function sizes(text: string, encoding: SmsEncoding): number[] {
  // for…of walks code points, so a surrogate pair stays one 2-unit item.
  return Array.from(text, (char) => (encoding === "GSM-7" ? (extension.has(char) ? 2 : 1) : char.length));
}

/** Fills parts of `capacity` without splitting an item across two parts. */
function segment(items: number[], capacity: number): number {
  let parts = 1;
  let used = 0;
  for (const size of items) {
    if (used + size > capacity) {
      parts += 1;
      used = 0;
    }
    used += size;
  }
  return parts;
}

export function countSmsParts(text: string): SmsParts {
  const encoding: SmsEncoding = isGsm7(text) ? "GSM-7" : "UCS-2";
  const items = sizes(text, encoding);
  const units = items.reduce((sum, size) => sum + size, 0);
  const single = encoding === "GSM-7" ? GSM_SINGLE : UCS2_SINGLE;
  const perPart = encoding === "GSM-7" ? GSM_SEGMENT : UCS2_SEGMENT;
  const parts = units <= single ? 1 : segment(items, perPart);
  return { encoding, units, parts };
}
