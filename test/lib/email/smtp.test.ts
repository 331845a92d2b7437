// The SMTP sender (lib/email/smtp.ts): real nodemailer against a real local
// SMTP server (test/helpers/fake-smtp.ts). What arrives (envelope, headers,
// UTF-8 text), and how refusals are classified for the send_email task.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EmailSendError } from "../../../lib/email/sender.ts";
import { classifySmtpError, SmtpEmailSender } from "../../../lib/email/smtp.ts";
import { startFakeSmtp, type FakeSmtp } from "../../helpers/fake-smtp.ts";

let smtp: FakeSmtp;
let sender: SmtpEmailSender;

beforeAll(async () => {
  smtp = await startFakeSmtp({ auth: { user: "mailer@waitify.test", pass: "p@ss:w/rd" } });
  sender = new SmtpEmailSender({ url: smtp.url, from: "Waitify <no-reply@waitify.test>" });
});

afterAll(async () => {
  sender?.close();
  await smtp?.close();
});

beforeEach(() => smtp.reset({ clear: true }));

async function refusal(promise: Promise<unknown>): Promise<EmailSendError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(EmailSendError);
    return error as EmailSendError;
  }
  throw new Error("expected the send to fail");
}

describe("delivery", () => {
  it("delivers subject, sender, recipient and body, logged in with the URL's percent-encoded credentials", async () => {
    const receipt = await sender.send({
      to: "eve@example.test",
      subject: "Réinitialisation de votre mot de passe",
      text: "Bonjour Ève,\n\nÀ bientôt : l'équipe déjà prête, ça marche — 19,00 €.\n\nL'équipe Waitify",
    });
    const [message] = await smtp.waitForMessages(1);
    expect(message).toMatchObject({
      mailFrom: "no-reply@waitify.test",
      rcptTo: ["eve@example.test"],
      from: "Waitify <no-reply@waitify.test>",
      to: "eve@example.test",
      subject: "Réinitialisation de votre mot de passe",
      text: "Bonjour Ève,\n\nÀ bientôt : l'équipe déjà prête, ça marche — 19,00 €.\n\nL'équipe Waitify",
      user: "mailer@waitify.test",
    });
    expect(message!.headers["content-type"]).toMatch(/^text\/plain; charset=utf-8/i);
    // The receipt names the message the server got.
    expect(receipt.messageId).toBe(message!.messageId);
    expect(receipt.response).toMatchObject({ provider: "smtp", response: expect.stringMatching(/^250 /) });
  });

  it("sends an HTML alternative when given one", async () => {
    await sender.send({ to: "eve@example.test", subject: "Hi", text: "Plain é", html: "<p>Riche é</p>" });
    const [message] = await smtp.waitForMessages(1);
    expect(message).toMatchObject({ text: "Plain é", html: "<p>Riche é</p>" });
  });

  it("a long line with accents survives quoted-printable folding", async () => {
    const text = "Votre période d'essai gratuite se termine bientôt ; ".repeat(8).trim();
    await sender.send({ to: "eve@example.test", subject: "Essai", text });
    const [message] = await smtp.waitForMessages(1);
    expect(message!.text).toBe(text);
    expect(message!.raw.split("\r\n").every((line) => line.length <= 998)).toBe(true);
  });
});

describe("refusals", () => {
  it("a recipient refused with 550 is a permanent failure", async () => {
    smtp.refuseRecipient("nobody@example.test");
    const error = await refusal(sender.send({ to: "nobody@example.test", subject: "x", text: "x" }));
    expect(error).toMatchObject({ permanent: true, code: "EENVELOPE", responseCode: 550 });
    expect(error.summary()).toMatch(/^EENVELOPE 550: /);
    expect(smtp.messages).toHaveLength(0);
  });

  it("a 451 (try again later) is transient", async () => {
    smtp.failNext(1);
    const error = await refusal(sender.send({ to: "eve@example.test", subject: "x", text: "x" }));
    expect(error).toMatchObject({ permanent: false, responseCode: 451 });
    // The next attempt passes.
    await sender.send({ to: "eve@example.test", subject: "x", text: "x" });
    expect(smtp.messages).toHaveLength(1);
  });

  it("no server listening is transient", async () => {
    const closed = await startFakeSmtp();
    await closed.close();
    const offline = new SmtpEmailSender({ url: closed.url, from: "no-reply@waitify.test" });
    const error = await refusal(offline.send({ to: "eve@example.test", subject: "x", text: "x" }));
    expect(error.permanent).toBe(false);
    expect(error.code).toMatch(/^E[A-Z]+$/);
  });

  it("wrong credentials (535) are transient: the operator fixes them, the email goes out then", async () => {
    const wrong = new SmtpEmailSender({ url: smtp.url.replace("p%40ss", "nope"), from: "no-reply@waitify.test" });
    const error = await refusal(wrong.send({ to: "eve@example.test", subject: "x", text: "x" }));
    expect(error).toMatchObject({ permanent: false, code: "EAUTH", responseCode: 535 });
  });
});

describe("classifySmtpError", () => {
  it.each([
    [{ code: "EENVELOPE", responseCode: 550 }, true],
    [{ code: "EENVELOPE", responseCode: 553 }, true],
    [{ code: "EMESSAGE", responseCode: 554 }, true],
    [{ code: "EENVELOPE" }, true],
    [{ code: "EPROTOCOL", responseCode: 503 }, false],
    [{ code: "EENVELOPE", responseCode: 452 }, false],
    [{ code: "EMESSAGE", responseCode: 421 }, false],
    [{ code: "EAUTH", responseCode: 535 }, false],
    [{ code: "ECONNECTION" }, false],
    [{ code: "ETIMEDOUT" }, false],
    [new Error("anything else"), false],
  ])("%o → permanent: %s", (error, permanent) => {
    expect(classifySmtpError(error).permanent).toBe(permanent);
  });
});
