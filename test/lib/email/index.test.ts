// The choice of email sender from the configuration (lib/email/index.ts) and
// the email variables' validation (lib/config.ts).
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../lib/config.ts";
import { createEmailSender } from "../../../lib/email/index.ts";
import { SmtpEmailSender } from "../../../lib/email/smtp.ts";

describe("email configuration", () => {
  it("defaults to the log sender and a Waitify sender address", () => {
    const config = loadConfig({});
    expect(config.EMAIL_PROVIDER).toBe("log");
    expect(config.EMAIL_FROM).toBe("Waitify <no-reply@waitify.local>");
    expect(createEmailSender(config).provider).toBe("log");
  });

  it("EMAIL_PROVIDER=smtp needs SMTP_URL, with a clear message that never echoes a secret", () => {
    expect(() => loadConfig({ EMAIL_PROVIDER: "smtp" })).toThrowError(ConfigError);
    expect(() => loadConfig({ EMAIL_PROVIDER: "smtp" })).toThrowError(/SMTP_URL: is required when EMAIL_PROVIDER=smtp/);
    expect(() => loadConfig({ EMAIL_PROVIDER: "sendgrid" })).toThrowError(/EMAIL_PROVIDER: must be one of log, smtp/);
    try {
      loadConfig({ EMAIL_PROVIDER: "smtp", SMTP_URL: "http://user:s3cret@mail.example" });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toMatch(/SMTP_URL: must be an smtp:\/\/ or smtps:\/\/ URL/);
      expect((error as Error).message).not.toContain("s3cret");
    }
  });

  it("builds the SMTP sender from smtp:// and smtps:// URLs", () => {
    for (const url of ["smtp://user:pass@mail.example:587", "smtps://user:p%40ss@mail.example:465", "smtp://mail.example"]) {
      const sender = createEmailSender(loadConfig({ EMAIL_PROVIDER: "smtp", SMTP_URL: url }));
      expect(sender).toBeInstanceOf(SmtpEmailSender);
      sender.close?.();
    }
  });

  it("validates SMTP_URL and EMAIL_FROM", () => {
    for (const bad of ["mail.example:587", "smtp://", "smtp:// mail.example", "smtp://mail.example/path"]) {
      expect(() => loadConfig({ SMTP_URL: bad }), bad).toThrowError(/SMTP_URL/);
    }
    expect(loadConfig({ SMTP_URL: "smtp://mail.example:25?requireTLS=true" }).SMTP_URL).toBe(
      "smtp://mail.example:25?requireTLS=true",
    );
    for (const good of ["no-reply@waitify.fr", "Waitify <no-reply@waitify.fr>", "L'équipe Waitify <bonjour@waitify.fr>"]) {
      expect(loadConfig({ EMAIL_FROM: good }).EMAIL_FROM).toBe(good);
    }
    for (const bad of ["waitify", "Waitify <no-reply>", "a@b.fr\r\nBcc: x@y.fr", "<a@b.fr> <c@d.fr>"]) {
      expect(() => loadConfig({ EMAIL_FROM: bad }), bad).toThrowError(/EMAIL_FROM/);
    }
  });
});
