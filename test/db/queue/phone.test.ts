// normalize_phone (db/queue/phone.sql) against google-libphonenumber as the
// oracle: for every input, SQL gives the E.164 number libphonenumber gives
// when it finds a valid French or Senegalese number a person holds (mobile,
// fixed line, VoIP), and INVALID_PHONE otherwise.
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { asAnonymous, useTestDatabase } from "../../helpers/db.ts";

interface PhoneNumber {
  readonly brand: unique symbol;
}
interface LibPhoneNumber {
  PhoneNumberUtil: {
    getInstance(): {
      parse(input: string, region: string): PhoneNumber;
      isValidNumber(number: PhoneNumber): boolean;
      getRegionCodeForNumber(number: PhoneNumber): string | undefined;
      getNumberType(number: PhoneNumber): number;
      format(number: PhoneNumber, format: number): string;
    };
  };
  PhoneNumberFormat: { E164: number };
  PhoneNumberType: Record<"FIXED_LINE" | "MOBILE" | "FIXED_LINE_OR_MOBILE" | "VOIP", number>;
}
const lpn = createRequire(import.meta.url)("google-libphonenumber") as LibPhoneNumber;
const util = lpn.PhoneNumberUtil.getInstance();
const personal = new Set([
  lpn.PhoneNumberType.FIXED_LINE,
  lpn.PhoneNumberType.MOBILE,
  lpn.PhoneNumberType.FIXED_LINE_OR_MOBILE,
  lpn.PhoneNumberType.VOIP,
]);

/** What the oracle says: E.164, or null when we must refuse the number. */
function oracle(raw: string, country: string): string | null {
  let number: PhoneNumber;
  try {
    number = util.parse(raw, country);
  } catch {
    return null;
  }
  const region = util.getRegionCodeForNumber(number);
  if (!util.isValidNumber(number) || (region !== "FR" && region !== "SN")) return null;
  if (!personal.has(util.getNumberType(number))) return null;
  return util.format(number, lpn.PhoneNumberFormat.E164);
}

const cases: Array<[string, "FR" | "SN"]> = [
  // The formats of the issue (France, the default).
  ["06 12 34 56 78", "FR"],
  ["06.12.34.56.78", "FR"],
  ["+33 6 12 34 56 78", "FR"],
  ["0033612345678", "FR"],
  ["+33 (0)6 12 34 56 78", "FR"],
  ["+33 (0)7 81 23 45 67", "FR"],
  // Other ways people type French numbers.
  ["0612345678", "FR"],
  ["06-12-34-56-78", "FR"],
  ["06/12/34/56/78", "FR"],
  ["(06) 12 34 56 78", "FR"],
  ["+33612345678", "FR"],
  ["+33 06 12 34 56 78", "FR"],
  ["00 33 6 12 34 56 78", "FR"],
  ["  07 81 23 45 67 ", "FR"],
  ["612345678", "FR"],
  ["33612345678", "FR"],
  ["01 42 68 53 00", "FR"],
  ["+33 1 42 68 53 00", "FR"],
  ["05 56 00 00 00", "FR"],
  ["09 70 12 34 56", "FR"],
  // French numbers we refuse: service numbers, unassigned ranges, bad lengths, junk.
  ["08 00 12 34 56", "FR"],
  ["08 99 12 34 56", "FR"],
  ["07 12 34 56 78", "FR"],
  ["06 12 34 56", "FR"],
  ["06 12 34 56 789", "FR"],
  ["+33 6 12 34 56 7", "FR"],
  ["00 12 34 56 78", "FR"],
  ["0612a45678", "FR"],
  ["abc", "FR"],
  ["", "FR"],
  ["+", "FR"],
  // Senegal: nine digits, +221; national input read with the business's country.
  ["77 123 45 67", "SN"],
  ["+221 77 123 45 67", "SN"],
  ["00221771234567", "SN"],
  ["221771234567", "SN"],
  ["78 123 45 67", "SN"],
  ["33 821 23 45", "SN"],
  ["+221 33 821 23 45", "FR"],
  ["+221771234567", "FR"],
  ["+33 6 12 34 56 78", "SN"],
  // Senegalese numbers we refuse.
  ["0771234567", "SN"],
  ["77 123 45 6", "SN"],
  ["74 123 45 67", "SN"],
  ["06 12 34 56 78", "SN"],
  ["77 123 45 67", "FR"],
  // Other countries are not served (yet).
  ["+44 7911 123456", "FR"],
  ["+32 470 12 34 56", "FR"],
  ["+1 202 555 0143", "SN"],
];

describe("normalize_phone", () => {
  const db = useTestDatabase();

  it("reads the issue's French formats as +33612345678", async () => {
    await asAnonymous(db(), async (client) => {
      for (const raw of ["06 12 34 56 78", "06.12.34.56.78", "+33 6 12 34 56 78", "0033612345678", "+33 (0)6 12 34 56 78"]) {
        const { rows } = await client.query("select app_public.normalize_phone($1) as e164", [raw]);
        expect(rows[0].e164, raw).toBe("+33612345678");
      }
      const { rows } = await client.query("select app_public.normalize_phone('77 123 45 67', 'SN') as e164");
      expect(rows[0].e164).toBe("+221771234567");
    });
  });

  it.each(cases)("%j (%s) agrees with libphonenumber", async (raw, country) => {
    const expected = oracle(raw, country);
    const actual = await asAnonymous(db(), async (client) => {
      try {
        const { rows } = await client.query("select app_public.normalize_phone($1, $2) as e164", [raw, country]);
        return rows[0].e164 as string;
      } catch (error) {
        expect((error as { code: string }).code).toBe("WTPHN");
        return null;
      }
    });
    expect(actual).toBe(expected);
  });

  it("the oracle table has both valid and refused numbers for each country", () => {
    const outcomes = cases.map(([raw, country]) => [country, oracle(raw, country) !== null] as const);
    for (const country of ["FR", "SN"]) {
      expect(outcomes.some(([c, valid]) => c === country && valid)).toBe(true);
      expect(outcomes.some(([c, valid]) => c === country && !valid)).toBe(true);
    }
  });

  it("is stricter than libphonenumber with stray plus signs", async () => {
    // libphonenumber reads these as +33612345678; a stray "+" is more likely a typo we should show.
    for (const raw of ["++33612345678", "06 12 34 56 78 +", "06 12 +34 56 78"]) {
      await asAnonymous(db(), async (client) => {
        await expect(client.query("select app_public.normalize_phone($1)", [raw])).rejects.toMatchObject({ code: "WTPHN" });
      });
    }
  });

  it("refuses null with INVALID_PHONE and defaults the country to France", async () => {
    await asAnonymous(db(), async (client) => {
      await expect(client.query("select app_public.normalize_phone(null)")).rejects.toMatchObject({ code: "WTPHN" });
    });
    await asAnonymous(db(), async (client) => {
      const { rows } = await client.query("select app_public.normalize_phone('0612345678', null) as e164");
      expect(rows[0].e164).toBe("+33612345678");
    });
  });
});
