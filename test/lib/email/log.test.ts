// The development sender (lib/email/log.ts): writes the email to the log,
// address masked and link secrets shortened, and sends nothing.
import { describe, expect, it } from "vitest";
import { LogEmailSender, redactLinkSecrets } from "../../../lib/email/log.ts";

describe("the log email sender", () => {
  it("logs the email with the address masked and the reset token shortened, and returns an id", async () => {
    const lines: Array<[string, Record<string, unknown>]> = [];
    const token = "abcdEFGHijklMNOPqrstUVWXyz0123456789_-ABCDE";
    const receipt = await new LogEmailSender((message, fields) => lines.push([message, fields])).send({
      to: "jean.dupont@example.com",
      subject: "Réinitialisation de votre mot de passe Waitify",
      text: `Ouvrez ce lien : https://w.example/reset-password#token=${token}`,
    });
    expect(receipt.messageId).toMatch(/^log-/);
    expect(lines).toEqual([
      [
        "Email (log provider, not sent)",
        {
          to: "j***@example.com",
          subject: "Réinitialisation de votre mot de passe Waitify",
          body: "Ouvrez ce lien : https://w.example/reset-password#token=abcd…",
          messageId: receipt.messageId,
        },
      ],
    ]);
    expect(JSON.stringify(lines)).not.toContain("jean.dupont");
    expect(JSON.stringify(lines)).not.toContain(token);
  });

  it("leaves text without a link secret as it is", () => {
    expect(redactLinkSecrets("See https://w.example/billing#invoices, thanks")).toBe("See https://w.example/billing#invoices, thanks");
  });
});
