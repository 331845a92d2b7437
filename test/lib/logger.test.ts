// lib/logger.ts: phone numbers and email addresses never reach the log whole.
import { afterEach, describe, expect, it, vi } from "vitest";
import { log, maskEmail, maskEmailsIn, redact, routeConsoleToLog } from "../../lib/logger.ts";

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

/** Lines the logger writes to stderr (warn and error; tests run with LOG_LEVEL=warn). */
function captureStderr(): string[] {
  const written: string[] = [];
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    written.push(String(chunk));
    return true;
  });
  return written;
}

describe("redaction", () => {
  it("redacts secrets by field name at any depth, masks phones and emails by name, leaves numbers alone", () => {
    const record = {
      authorization: "Bearer eyJhbGciOi",
      headers: { cookie: "s=1", "stripe-signature": "t=1,v1=abc" },
      jwtToken: "eyJ.x.y",
      qrToken: "abcdef",
      password: "hunter2",
      webhookSecret: "whsec_1",
      customerPhone: "06 12 34 56 78",
      email: "eve@example.org",
      duration: 111933,
      hasToken: true,
    };
    expect(redact(record, false)).toEqual({
      authorization: "[redacted]",
      headers: { cookie: "[redacted]", "stripe-signature": "[redacted]" },
      jwtToken: "[redacted]",
      qrToken: "[redacted]",
      password: "[redacted]",
      webhookSecret: "[redacted]",
      customerPhone: "0612****78",
      email: "e***@example.org",
      duration: 111933,
      hasToken: true,
    });
  });

  it("keeps an error's stack only at debug level", () => {
    const error = Object.assign(new Error("boom"), { code: "22021" });
    expect(redact({ error }, false)).toEqual({ error: { type: "Error", message: "boom", code: "22021" } });
    const withStack = redact({ error }, true) as { error: { stack: string } };
    expect(withStack.error.stack).toMatch(/^Error: boom\n\s+at /);
  });

  it("writes an error with a multi-line message as one JSON line", () => {
    const written = captureStderr();
    log.error("failed", { err: new Error("line one\nline two +33612345678") });
    expect(written).toHaveLength(1);
    expect(written[0]!.trimEnd().split("\n")).toHaveLength(1);
    const line = JSON.parse(written[0]!) as { err: Record<string, unknown> };
    expect(line.err).toEqual({ type: "Error", message: "line one\nline two +336******78" });
  });
});

describe("console routing", () => {
  it("turns a library's console.error with a stack into one masked JSON line, without the stack", () => {
    const written = captureStderr();
    const restore = routeConsoleToLog();
    try {
      console.error("Masked GraphQL error (hash: '%s')\n%s", "abc", new Error("phone 0612345678 refused"));
    } finally {
      restore();
    }
    expect(written).toHaveLength(1);
    const line = JSON.parse(written[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: "error", source: "console", message: "Masked GraphQL error (hash: 'abc')" });
    expect(written[0]).not.toMatch(/0612345678|at .*\.ts:\d+/);
  });
});
