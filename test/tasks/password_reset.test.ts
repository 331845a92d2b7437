// password_reset with a real graphile-worker: the job a request adds becomes,
// for an account, a token and an email (sent here through a recording
// sender); for an unknown address, nothing; a malformed payload is dropped.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmailMessage, EmailSender } from "../../lib/email/sender.ts";
import { startWorker, type WorkerHandle } from "../../lib/worker.ts";
import { asAnonymous, useTestDatabase } from "../helpers/db.ts";
import { createMerchant, emailLogs } from "../helpers/fixtures.ts";

const db = useTestDatabase();
const sent: EmailMessage[] = [];
const recorder: EmailSender = {
  provider: "log",
  async send(message) {
    sent.push(message);
    return { messageId: `<${sent.length}@test>`, response: {} };
  },
};
let worker: WorkerHandle;

beforeAll(async () => {
  worker = await startWorker({ connectionString: db().ownerUrl, concurrency: 2, email: recorder });
});

afterAll(async () => {
  await worker?.stop();
});

async function eventually<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const pendingJobs = async () =>
  (await db().root.query<{ n: number }>("select count(*)::int as n from graphile_worker._private_jobs")).rows[0]!.n;

const request = (email: string) =>
  asAnonymous(db(), (client) => client.query("select app_public.request_password_reset($1)", [email]), { commit: true });

describe("the password_reset task", () => {
  it("for an account: a token and its email, sent", async () => {
    await createMerchant(db(), { email: "eve@example.test" });
    await request("eve@example.test");
    const [log] = await eventually(async () => {
      const logs = await emailLogs(db(), "to_address = 'eve@example.test' and status = 'sent'");
      return logs.length ? logs : undefined;
    });
    expect(log).toMatchObject({ template: "password_reset", provider_message_id: "<1@test>" });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ to: "eve@example.test", subject: "Réinitialisation de votre mot de passe Waitify" });
    expect(sent[0]!.text).toMatch(/\/reset-password#token=[A-Za-z0-9_-]{43}\n/);
  });

  it("for an unknown address: the job completes and nothing is sent", async () => {
    const before = sent.length;
    await request("nobody@example.test");
    await eventually(async () => (await pendingJobs()) === 0);
    expect(sent).toHaveLength(before);
    expect(await emailLogs(db(), "to_address = 'nobody@example.test'")).toEqual([]);
  });

  it("a malformed payload is dropped, not retried", async () => {
    await db().root.query("select graphile_worker.add_job('password_reset', '{\"email\": 42}'::json)");
    await eventually(async () => (await pendingJobs()) === 0);
  });
});
