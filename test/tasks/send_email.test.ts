// send_email with a real graphile-worker and the real nodemailer SMTP sender
// against a local SMTP server (test/helpers/fake-smtp.ts): what arrives, what
// is recorded, and how refusals are retried or given up.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SmtpEmailSender } from "../../lib/email/smtp.ts";
import { startWorker, type WorkerHandle } from "../../lib/worker.ts";
import { asRoot, useTestDatabase } from "../helpers/db.ts";
import { startFakeSmtp, type FakeSmtp } from "../helpers/fake-smtp.ts";
import { createMerchant, emailLogs, emailTemplateVars, type EmailLogRow, type TestMerchant } from "../helpers/fixtures.ts";

const db = useTestDatabase();
let smtp: FakeSmtp;
let sender: SmtpEmailSender;
let worker: WorkerHandle;
let merchant: TestMerchant;

beforeAll(async () => {
  smtp = await startFakeSmtp();
  sender = new SmtpEmailSender({ url: smtp.url, from: "Waitify <no-reply@waitify.test>" });
  worker = await startWorker({ connectionString: db().ownerUrl, concurrency: 4, email: sender });
  merchant = await createMerchant(db(), { email: "eve@example.test", firstName: "Ève" });
});

afterAll(async () => {
  await worker?.stop();
  await smtp?.close();
});

beforeEach(() => smtp.reset({ clear: true }));

/** Polls until fn returns a value (not a timing assertion: it only bounds the wait). */
async function eventually<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function settled(id: string): Promise<EmailLogRow> {
  return eventually(async () => {
    const [log] = await emailLogs(db(), "id = $1", [id]);
    return log && log.status !== "pending" ? log : undefined;
  });
}

async function jobCount(id: string): Promise<number> {
  const { rows } = await db().root.query(
    "select count(*)::int as n from graphile_worker._private_jobs where payload->>'email_log_id' = $1",
    [id],
  );
  return rows[0].n;
}

/** Queues an email the way billing and password reset do, committed. */
async function enqueue(template = "payment_failed", key: string | null = null): Promise<string> {
  const { rows } = await db().root.query<{ id: string }>("select app_private.enqueue_email($1, $2, $3, $4) as id", [
    merchant.userId,
    template,
    JSON.stringify(emailTemplateVars[template]),
    key,
  ]);
  return rows[0]!.id;
}

describe("a queued email is sent through SMTP", () => {
  it("arrives with its subject, sender, recipient and accented body; the log records the Message-ID", async () => {
    const id = await enqueue("payment_failed");
    const log = await settled(id);
    expect(smtp.messages).toHaveLength(1);
    const [message] = smtp.messages;
    expect(message).toMatchObject({
      rcptTo: ["eve@example.test"],
      from: "Waitify <no-reply@waitify.test>",
      subject: "Échec du paiement de votre abonnement Waitify",
    });
    expect(message!.text).toMatch(/^Bonjour Ève,\n\nLe paiement de 19,00\u00a0€ pour votre abonnement Waitify n'a pas abouti\./);
    expect(message!.text).toContain("\n\nhttps://pay.example/in_1\n\n");
    expect(log).toMatchObject({ status: "sent", attempts: 1, provider_message_id: message!.messageId, error: null });
    // The job completes (deleted), it is not rescheduled.
    await eventually(async () => (await jobCount(id)) === 0, 5_000);
  });

  it("a rolled-back caller sends nothing", async () => {
    await asRoot(db(), (client) =>
      client.query("select app_private.enqueue_email($1, 'payment_succeeded', $2)", [
        merchant.userId,
        JSON.stringify(emailTemplateVars.payment_succeeded),
      ]),
    );
    const id = await enqueue("payment_succeeded");
    await settled(id);
    expect(smtp.messages.map((message) => message.subject)).toEqual(["Paiement reçu : merci !"]);
  });
});

describe("never twice", () => {
  it("the same job run again after the send sends nothing", async () => {
    const id = await enqueue();
    await settled(id);
    await db().root.query("select graphile_worker.add_job('send_email', json_build_object('email_log_id', $1::uuid), job_key := 'again')", [id]);
    await eventually(async () => (await jobCount(id)) === 0);
    expect(smtp.messages).toHaveLength(1);
    expect((await emailLogs(db(), "id = $1", [id]))[0]).toMatchObject({ status: "sent", attempts: 1 });
  });

  it("duplicate jobs running at the same time send once: the claim's row lock serialises them", async () => {
    smtp.delay(300);
    const id = await asRoot(db(), async (client) => {
      const { rows } = await client.query<{ id: string }>("select app_private.enqueue_email($1, 'invoice_due', $2) as id", [
        merchant.userId,
        JSON.stringify(emailTemplateVars.invoice_due),
      ]);
      await client.query(
        `select graphile_worker.add_job('send_email', json_build_object('email_log_id', $1::uuid), job_key := 'dup:' || n)
           from generate_series(1, 2) n`,
        [rows[0]!.id],
      );
      return rows[0]!.id;
    }, { commit: true });
    const log = await settled(id);
    await eventually(async () => (await jobCount(id)) === 0);
    expect(smtp.messages).toHaveLength(1);
    expect(log).toMatchObject({ status: "sent", attempts: 1 });
  });
});

describe("failures", () => {
  it("a transient refusal (451) fails the job; graphile-worker retries it with backoff: one email", async () => {
    smtp.failNext(1);
    const id = await enqueue("invoice_unpaid_1d");
    // Attempt 1: refused, the log keeps the reason and stays pending.
    const failed = await eventually(async () => {
      const [log] = await emailLogs(db(), "id = $1", [id]);
      return log?.error ? log : undefined;
    });
    expect(failed).toMatchObject({ status: "pending", attempts: 1 });
    expect(failed.error).toMatch(/^EENVELOPE 451: /);
    // Attempt 2 (about e¹ ≈ 2.7 s later) goes through.
    const log = await settled(id);
    expect(log).toMatchObject({ status: "sent", attempts: 2 });
    expect(smtp.refusals).toEqual([{ address: "eve@example.test", code: 451 }]);
    expect(smtp.messages).toHaveLength(1);
  });

  it("a permanent refusal (550, recipient rejected) fails the log at once, without retry", async () => {
    smtp.refuseRecipient("eve@example.test");
    const id = await enqueue("account_suspended");
    const log = await settled(id);
    expect(log).toMatchObject({ status: "failed", attempts: 1 });
    expect(log.error).toMatch(/^EENVELOPE 550: .*Mailbox does not exist/);
    expect(smtp.refusals).toHaveLength(1);
    await eventually(async () => (await jobCount(id)) === 0, 5_000);
    expect(smtp.messages).toHaveLength(0);
  });

  it("after the last attempt the log is failed", async () => {
    await db().root.query("update app_public.system_configs set value = '1' where key = 'email_max_attempts'");
    try {
      smtp.failNext(1, { code: 421, message: "4.7.0 Service not available" });
      const id = await enqueue("trial_ending");
      const log = await settled(id);
      expect(log).toMatchObject({ status: "failed", attempts: 1 });
      expect(log.error).toMatch(/421/);
      await eventually(async () => (await jobCount(id)) === 0, 5_000);
      expect(smtp.messages).toHaveLength(0);
    } finally {
      await db().root.query("update app_public.system_configs set value = '10' where key = 'email_max_attempts'");
    }
  });

  it("a malformed payload fails the job with a clear message and sends nothing", async () => {
    const { rows } = await db().root.query<{ id: string }>(
      "select id from graphile_worker.add_job('send_email', '{\"email_log_id\": \"nope\"}'::json)",
    );
    const failed = await eventually(async () => {
      const job = await db().root.query<{ last_error: string | null }>(
        "select last_error from graphile_worker._private_jobs where id = $1",
        [rows[0]!.id],
      );
      return job.rows[0]?.last_error ? job.rows[0] : undefined;
    });
    expect(failed.last_error).toBe("send_email: payload must be { email_log_id: uuid } (email_log_id: Invalid GUID)");
    expect(smtp.messages).toHaveLength(0);
    await db().root.query("delete from graphile_worker._private_jobs where id = $1", [rows[0]!.id]);
  });
});
