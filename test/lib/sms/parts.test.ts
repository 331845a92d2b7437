// Part counting (lib/sms/parts.ts): GSM-7 or UCS-2, and how many parts a
// message takes, as SNS and the carriers count them (the cost is per part).
import { describe, expect, it } from "vitest";
import { countSmsParts } from "../../../lib/sms/parts.ts";

describe("countSmsParts", () => {
  it("GSM-7: 160 characters in one part, then 153 per part", () => {
    expect(countSmsParts("a".repeat(160))).toEqual({ encoding: "GSM-7", units: 160, parts: 1 });
    expect(countSmsParts("a".repeat(161))).toEqual({ encoding: "GSM-7", units: 161, parts: 2 });
    expect(countSmsParts("a".repeat(306))).toMatchObject({ parts: 2 });
    expect(countSmsParts("a".repeat(307))).toMatchObject({ parts: 3 });
  });

  it("French accents of the GSM alphabet (é è à ù) stay GSM-7; ê ç ’ switch to UCS-2 (70, then 67)", () => {
    expect(countSmsParts("Votre place chez Léa a été annulée, à bientôt où vous êtes").encoding).toBe("UCS-2");
    expect(countSmsParts("Présentez-vous au comptoir, à tout à l'heure").encoding).toBe("GSM-7");
    expect(countSmsParts("ç".repeat(70))).toEqual({ encoding: "UCS-2", units: 70, parts: 1 });
    expect(countSmsParts("ç".repeat(71))).toMatchObject({ parts: 2 });
    expect(countSmsParts("ç".repeat(134))).toMatchObject({ parts: 2 });
    expect(countSmsParts("ç".repeat(135))).toMatchObject({ parts: 3 });
    expect(countSmsParts("l’heure").encoding).toBe("UCS-2");
  });

  it("extension characters (€ [ ] { } ~ ^ | \\) count two septets and are never split across parts", () => {
    expect(countSmsParts("€".repeat(80))).toEqual({ encoding: "GSM-7", units: 160, parts: 1 });
    expect(countSmsParts("€".repeat(81))).toMatchObject({ units: 162, parts: 2 });
    // 152 septets then an escape pair: the pair moves to the second part.
    expect(countSmsParts("a".repeat(152) + "€" + "a".repeat(10))).toMatchObject({ units: 164, parts: 2 });
    expect(countSmsParts("a".repeat(152) + "€" + "a".repeat(152))).toMatchObject({ units: 306, parts: 3 });
  });

  it("an emoji is two UCS-2 units and is not split", () => {
    expect(countSmsParts("😀".repeat(35))).toEqual({ encoding: "UCS-2", units: 70, parts: 1 });
    expect(countSmsParts("a" + "😀".repeat(33) + "😀")).toMatchObject({ units: 69, parts: 1 });
    expect(countSmsParts("a".repeat(66) + "😀" + "a".repeat(10))).toMatchObject({ units: 78, parts: 2 });
  });
});
