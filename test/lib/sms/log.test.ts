// The development sender (lib/sms/log.ts): writes the message to the log,
// phone masked and the status token shortened, and sends nothing.
import { describe, expect, it } from "vitest";
import { LogSmsSender, redactStatusLinks } from "../../../lib/sms/log.ts";

describe("the log sender", () => {
  it("logs the message with the phone masked and the status token shortened, and returns an id", async () => {
    const lines: Array<[string, Record<string, unknown>]> = [];
    const token = "abcdEFGHijklMNOPqrstUVWXyz012345";
    const receipt = await new LogSmsSender((message, fields) => lines.push([message, fields])).send({
      phone: "+33612345678",
      body: `Suivi: https://w.example/e/${token}`,
    });
    expect(receipt.messageId).toMatch(/^log-/);
    expect(lines).toEqual([
      [
        "SMS (log provider, not sent)",
        { to: "+336******78", body: "Suivi: https://w.example/e/abcd…", messageId: receipt.messageId },
      ],
    ]);
    expect(redactStatusLinks("https://w.example/e/abcdEFGHijklMNOPqrstUVWXyz012345 ok")).toBe("https://w.example/e/abcd… ok");
  });
});
