// lib/logger.ts: phone numbers and email addresses never reach the log whole.
import { afterEach, describe, expect, it, vi } from "vitest";
import { log, maskEmail, maskEmailsIn } from "../../lib/logger.ts";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("email masking", () => {
  it("keeps the first letter and the domain", () => {
    expect(maskEmail("jean.dupont@example.com")).toBe("j***@example.com");
    expect(maskEmail("a@b.fr")).toBe("a***@b.fr");
    expect(maskEmail("not an address")).toBe("***");
  });

  it("masks every address inside a text, and is idempotent", () => {
    const text = "550 5.1.1 <eve.durand@example.test>: Recipient rejected; cc bob+tag@mail.example.org";
    const masked = maskEmailsIn(text);
    expect(masked).toBe("550 5.1.1 <e***@example.test>: Recipient rejected; cc b***@mail.example.org");
    expect(maskEmailsIn(masked)).toBe(masked);
  });

  it("the logger masks addresses in messages and fields", () => {
    const written: string[] = [];
    // Tests run with LOG_LEVEL=warn: warnings go to stderr.
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    log.warn("sent to eve.durand@example.test", { detail: "refused: bob@example.org", phone: "+33612345678" });
    expect(written).toHaveLength(1);
    expect(written[0]).not.toMatch(/eve\.durand|bob@|12345678/);
    expect(JSON.parse(written[0]!)).toMatchObject({
      message: "sent to e***@example.test",
      detail: "refused: b***@example.org",
      phone: "+336******78",
    });
  });
});
