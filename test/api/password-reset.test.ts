// Password reset end to end over HTTP: the GraphQL mutations of the anonymous
// API, a real worker, the real SMTP sender and a local SMTP server. Request →
// email with the link → reset → sign in with the new password; the token
// works once and for an hour; an unknown address gets the same answer and no
// email.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SmtpEmailSender } from "../../lib/email/smtp.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { startFakeSmtp, type FakeSmtp, type ReceivedEmail } from "../helpers/fake-smtp.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const db = useTestDatabase();
let smtp: FakeSmtp;
let server: TestServer;

beforeAll(async () => {
  smtp = await startFakeSmtp();
  server = await startTestServer(db(), {
    worker: true,
    email: new SmtpEmailSender({ url: smtp.url, from: "Waitify <no-reply@waitify.test>" }),
  });
  await db().root.query("update app_public.system_configs set value = 'https://app.waitify.example' where key = 'public_url'");
});

afterAll(async () => {
  await server?.close();
  await smtp?.close();
});

const REGISTER = `mutation ($email: String!, $password: String!) {
  register(input: { email: $email, password: $password, firstName: "Eve" }) { jwtToken }
}`;
const AUTHENTICATE = `mutation ($email: String!, $password: String!) {
  authenticate(input: { email: $email, password: $password }) { jwtToken }
}`;
const REQUEST = `mutation ($email: String!) { requestPasswordReset(input: { email: $email }) { clientMutationId } }`;
const RESET = `mutation ($token: String!, $password: String!) {
  resetPassword(input: { token: $token, newPassword: $password }) { clientMutationId }
}`;

async function register(email: string, password: string): Promise<void> {
  const { body } = await server.graphql(REGISTER, { email, password });
  expect(body.errors).toBeUndefined();
}

/** The next email to this address, once the worker has sent it. */
async function emailTo(address: string, alreadySeen: number): Promise<ReceivedEmail> {
  const messages = await smtp.waitForMessages(alreadySeen + 1);
  const message = messages.slice(alreadySeen).find((candidate) => candidate.rcptTo.includes(address));
  if (!message) throw new Error(`no email to ${address}`);
  return message;
}

function tokenIn(email: ReceivedEmail): string {
  const match = /^https:\/\/app\.waitify\.example\/reset-password#token=([A-Za-z0-9_-]{43})$/m.exec(email.text);
  if (!match) throw new Error(`no reset link in:\n${email.text}`);
  return match[1]!;
}

async function idle(): Promise<void> {
  const deadline = Date.now() + 15_000;
  while ((await db().root.query("select 1 from graphile_worker._private_jobs")).rowCount! > 0) {
    if (Date.now() > deadline) throw new Error("jobs still pending");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("password reset over HTTP", () => {
  it("request → email with the link → reset → the new password signs in, the old one does not; the link works once", async () => {
    await register("eve@example.test", "old password");
    const seen = smtp.messages.length;
    const requested = await server.graphql(REQUEST, { email: "Eve@Example.test" });
    expect(requested).toEqual({ status: 200, body: { data: { requestPasswordReset: { clientMutationId: null } } } });

    const email = await emailTo("eve@example.test", seen);
    expect(email.subject).toBe("Réinitialisation de votre mot de passe Waitify");
    expect(email.from).toBe("Waitify <no-reply@waitify.test>");
    expect(email.text).toMatch(/^Bonjour Eve,\n\nVous avez demandé à réinitialiser le mot de passe/);
    const token = tokenIn(email);

    const done = await server.graphql(RESET, { token, password: "new password" });
    expect(done.body).toEqual({ data: { resetPassword: { clientMutationId: null } } });

    const fresh = await server.graphql<{ authenticate: { jwtToken: string } }>(AUTHENTICATE, {
      email: "eve@example.test",
      password: "new password",
    });
    expect(fresh.body.errors).toBeUndefined();
    expect(fresh.body.data!.authenticate.jwtToken).toMatch(/^ey/);
    const stale = await server.graphql(AUTHENTICATE, { email: "eve@example.test", password: "old password" });
    expect(stale.body.errors?.[0]?.extensions?.code).toBe("INVALID_CREDENTIALS");

    const again = await server.graphql(RESET, { token, password: "third password" });
    expect(again.body.errors?.[0]).toMatchObject({
      message: "Ce lien de réinitialisation est invalide ou a expiré : demandez-en un nouveau.",
      extensions: { code: "INVALID_RESET_TOKEN" },
    });
    expect((await server.graphql(AUTHENTICATE, { email: "eve@example.test", password: "third password" })).body.errors).toBeDefined();
  });

  it("an expired link is refused", async () => {
    await register("hugo@example.test", "hugo's password");
    const seen = smtp.messages.length;
    await server.graphql(REQUEST, { email: "hugo@example.test" });
    const token = tokenIn(await emailTo("hugo@example.test", seen));
    // An hour and a minute later.
    await db().root.query(
      `update app_private.password_reset_tokens t
          set created_at = t.created_at - interval '61 minutes', expires_at = t.expires_at - interval '61 minutes'
         from app_public.users u where u.id = t.user_id and u.email = 'hugo@example.test'`,
    );
    const late = await server.graphql(RESET, { token, password: "too late now" });
    expect(late.body.errors?.[0]?.extensions?.code).toBe("INVALID_RESET_TOKEN");
    const still = await server.graphql(AUTHENTICATE, { email: "hugo@example.test", password: "hugo's password" });
    expect(still.body.errors).toBeUndefined();
  });

  it("an unknown address gets the same answer and no email", async () => {
    await idle();
    const seen = smtp.messages.length;
    const unknown = await server.graphql(REQUEST, { email: "nobody@example.test" });
    const known = await server.graphql(REQUEST, { email: "hugo@example.test" });
    expect(unknown).toEqual(known);
    await smtp.waitForMessages(seen + 1);
    await idle();
    expect(smtp.messages.slice(seen).map((message) => message.rcptTo)).toEqual([["hugo@example.test"]]);
  });

  it("bad input gets coded errors", async () => {
    const malformed = await server.graphql(REQUEST, { email: "not an address" });
    expect(malformed.body.errors?.[0]?.extensions?.code).toBe("VALIDATION");
    const garbage = await server.graphql(RESET, { token: "not-a-token-at-all-but-long-enough", password: "whatever you like" });
    expect(garbage.body.errors?.[0]?.extensions?.code).toBe("INVALID_RESET_TOKEN");
  });
});
