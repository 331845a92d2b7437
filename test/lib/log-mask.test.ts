// lib/log-mask.ts: the free-text masker touches phone-shaped text only, never
// the digits of other numbers (the `"duration":1119**33` bug).
import { describe, expect, it } from "vitest";
import { maskPhonesIn, maskText, maskValue } from "../../lib/log-mask.ts";

const masked: Array<[string, string]> = [
  // E.164, compact and grouped, and the 00 international prefix.
  ["+33612345678", "+336******78"],
  ["to +33 6 12 34 56 78 now", "to +336******78 now"],
  ["+221771234567", "+221*******67"],
  ["+221 77 123 45 67", "+221*******67"],
  ["0033612345678", "0033*******78"],
  // French national forms.
  ["0612345678", "0612****78"],
  ["06 12 34 56 78", "0612****78"],
  ["appelez le 06.12.34.56.78.", "appelez le 0612****78."],
  ["tel:01-23-45-67-89", "tel:0123****89"],
  // Senegalese national forms.
  ["771234567", "7712***67"],
  ["77 123 45 67", "7712***67"],
  ["fixe 33 821 23 45", "fixe 3382***45"],
  // Inside JSON strings and quotes.
  ['{"to":"+33612345678"}', '{"to":"+336******78"}'],
  ['phone "0612345678"', 'phone "0612****78"'],
];

const untouched: string[] = [
  '"duration":111933',
  '"duration":1119233',
  "took 1234567890123 ms",
  "epoch 1719231234567",
  "order 12345678",
  "amount 3.0612345678",
  "2024-06-12T10:11:12.123Z",
  "0b7e9c1a-0612-3456-7890-061234567890",
  "hash abc0612345678",
  "id_0612345678",
  "06123456789", // 11 digits: not a French number
  "+3361234567890123456", // longer than E.164
  "12 06 12 34 56 78",
  "version 1.771234567",
  "sha 771234567abc",
];

describe("maskPhonesIn", () => {
  it.each(masked)("masks %j", (input, output) => {
    expect(maskPhonesIn(input)).toBe(output);
  });

  it.each(untouched)("leaves %j alone", (input) => {
    expect(maskPhonesIn(input)).toBe(input);
  });

  it("is idempotent", () => {
    for (const [input] of masked) expect(maskPhonesIn(maskPhonesIn(input))).toBe(maskPhonesIn(input));
  });
});

describe("maskValue", () => {
  it("masks strings at any depth and never numbers", () => {
    const value = { duration: 111933, count: 771234567, list: ["+33612345678", 612345678], nested: { text: "mail eve@example.org" } };
    expect(maskValue(value)).toEqual({
      duration: 111933,
      count: 771234567,
      list: ["+336******78", 612345678],
      nested: { text: "mail e***@example.org" },
    });
  });

  it("cuts cycles", () => {
    const cyclic: Record<string, unknown> = { a: "x" };
    cyclic.self = cyclic;
    expect(maskValue(cyclic)).toEqual({ a: "x", self: "[…]" });
  });

  it("masks emails and phones together", () => {
    expect(maskText("eve.durand@example.test +33612345678")).toBe("e***@example.test +336******78");
  });
});
