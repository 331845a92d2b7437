// send_sms with a real graphile-worker and the real AWS SDK client against a
// local SNS endpoint (test/helpers/fake-sns.ts): what reaches SNS, what is
// recorded, and how failures are retried or given up.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SnsSmsSender } from "../../lib/sms/sns.ts";
import { startWorker, type WorkerHandle } from "../../lib/worker.ts";
import { asRoot, useTestDatabase } from "../helpers/db.ts";
import { snsErrors, startFakeSns, type FakeSns } from "../helpers/fake-sns.ts";
import { createBusiness, joinDirect, smsLogs, type BusinessFixture, type SmsLogRow } from "../helpers/fixtures.ts";

const db = useTestDatabase();
let fake: FakeSns;
let sender: SnsSmsSender;
let worker: WorkerHandle;
let business: BusinessFixture;

beforeAll(async () => {
  fake = await startFakeSns();
  sender = new SnsSmsSender({
    region: "eu-west-3",
    endpoint: fake.url,
    credentials: { accessKeyId: "AKIATESTTESTTEST", secretAccessKey: "test-secret" },
  });
  worker = await startWorker({ connectionString: db().ownerUrl, concurrency: 4, sms: sender });
  await db().root.query("update app_public.system_configs set value = 'https://waitify.example' where key = 'public_url'");
  business = await createBusiness(db(), { name: "Boulangerie Paul" });
});

afterAll(async () => {
  await worker?.stop();
  sender?.destroy();
  await fake?.close();
});

beforeEach(() => fake.reset({ clear: true }));

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

async function settledLog(entryId: string, type = "confirmation"): Promise<SmsLogRow> {
  return eventually(async () => {
    const [log] = await smsLogs(db(), "queue_entry_id = $1 and message_type = $2", [entryId, type]);
    return log && log.status !== "pending" ? log : undefined;
  });
}

async function jobCount(logId: string): Promise<number> {
  const { rows } = await db().root.query(
    "select count(*)::int as n from graphile_worker._private_jobs where payload->>'sms_log_id' = $1",
    [logId],
  );
  return rows[0].n;
}

describe("a committed change is texted through SNS", () => {
  it("Publish with the E.164 number, Transactional type and the recorded text; the log records the send", async () => {
    const entry = await asRoot(db(), (client) => joinDirect(client, business), { commit: true });
    const log = await settledLog(entry.id);
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request).toMatchObject({
      phoneNumber: entry.phone,
      message: `Votre place #1 chez Boulangerie Paul est confirmée, temps d'attente: 0min. Suivi: https://waitify.example/e/${entry.entryToken}`,
      attributes: { "AWS.SNS.SMS.SMSType": { dataType: "String", stringValue: "Transactional" } },
      signed: true,
    });
    expect(request!.attributes).not.toHaveProperty("AWS.SNS.SMS.SenderID");
    expect(log).toMatchObject({
      status: "sent",
      provider_message_id: request!.messageId,
      parts: 1,
      cost_cents: 3,
      attempts: 1,
      error_code: null,
    });
    const counters = await db().root.query(
      "select sms_sent_count, last_sms_sent_at is not null as stamped from app_public.queue_entries where id = $1",
      [entry.id],
    );
    expect(counters.rows[0]).toEqual({ sms_sent_count: 1, stamped: true });
    // The job completes (deleted), it is not rescheduled for a retry.
    await eventually(async () => (await jobCount(log.id)) === 0, 5_000);
  });

  it("a rolled-back join is never texted", async () => {
    const client = await db().root.connect();
    let ghost: string | undefined;
    try {
      await client.query("begin");
      ghost = (await joinDirect(client, business)).phone;
      await client.query("rollback");
    } finally {
      client.release();
    }
    // A later committed join is texted; the rolled-back one never was.
    const entry = await asRoot(db(), (c) => joinDirect(c, business), { commit: true });
    await settledLog(entry.id);
    expect(fake.requests.map((request) => request.phoneNumber)).toEqual([entry.phone]);
    expect(fake.requests.map((request) => request.phoneNumber)).not.toContain(ghost);
  });
});

describe("failures", () => {
  it("an endpoint failing twice then succeeding sends exactly one message (SDK retries within the attempt)", async () => {
    fake.failNext(2, snsErrors.throttled);
    const entry = await asRoot(db(), (client) => joinDirect(client, business), { commit: true });
    const log = await settledLog(entry.id);
    expect(fake.requests.map((request) => request.error ?? "accepted")).toEqual(["Throttled", "Throttled", "accepted"]);
    expect(fake.published()).toHaveLength(1);
    expect(log).toMatchObject({ status: "sent", attempts: 1, provider_message_id: fake.published()[0]!.messageId });
  });

  it("an outage longer than the SDK's retries fails the job; graphile-worker retries it with backoff: one message", async () => {
    fake.failNext(3, snsErrors.internal);
    const entry = await asRoot(db(), (client) => joinDirect(client, business), { commit: true });
    // Attempt 1: three 500s, the job fails and the log keeps the answer.
    const failed = await eventually(async () => {
      const [log] = await smsLogs(db(), "queue_entry_id = $1", [entry.id]);
      return log && log.provider_response ? log : undefined;
    });
    expect(failed).toMatchObject({ status: "pending", attempts: 1, error_code: null });
    expect(failed.provider_response).toMatchObject({ error: "InternalError", httpStatus: 500, permanent: false });
    // Attempt 2 (about e¹ ≈ 2.7 s later) succeeds.
    const log = await settledLog(entry.id);
    expect(log).toMatchObject({ status: "sent", attempts: 2 });
    expect(fake.published()).toHaveLength(1);
    expect(fake.requests).toHaveLength(4);
  });

  it("a permanent refusal (opted-out number) is failed at once with 5001, without retry", async () => {
    const entry = await asRoot(db(), async (client) => {
      const entry = await joinDirect(client, business);
      fake.refuseNumber(entry.phone, snsErrors.optedOut);
      return entry;
    }, { commit: true });
    const log = await settledLog(entry.id);
    expect(log).toMatchObject({ status: "failed", error_code: 5001, attempts: 1 });
    expect(log.provider_response).toMatchObject({ error: "OptedOut", httpStatus: 400, permanent: true });
    expect(fake.requests).toHaveLength(1);
    // The job completes (deleted), it is not rescheduled for a retry.
    await eventually(async () => (await jobCount(log.id)) === 0, 5_000);
  });

  it("an invalid number (InvalidParameter) is failed at once too", async () => {
    const entry = await asRoot(db(), async (client) => {
      const entry = await joinDirect(client, business);
      fake.refuseNumber(entry.phone, snsErrors.invalidParameter);
      return entry;
    }, { commit: true });
    const log = await settledLog(entry.id);
    expect(log).toMatchObject({ status: "failed", error_code: 5001 });
    expect(fake.requests).toHaveLength(1);
  });

  it("after the last attempt the log is failed with 5001", async () => {
    await db().root.query("update app_public.system_configs set value = '1' where key = 'sms_max_attempts'");
    try {
      fake.failNext(3, snsErrors.unavailable);
      const entry = await asRoot(db(), (client) => joinDirect(client, business), { commit: true });
      const log = await settledLog(entry.id);
      expect(log).toMatchObject({ status: "failed", error_code: 5001, attempts: 1 });
      expect(log.provider_response).toMatchObject({ error: "ServiceUnavailable", maxAttempts: 1 });
      expect(fake.published()).toHaveLength(0);
      // The job completes (deleted), it is not rescheduled for a retry.
    await eventually(async () => (await jobCount(log.id)) === 0, 5_000);
    } finally {
      await db().root.query("update app_public.system_configs set value = '6' where key = 'sms_max_attempts'");
    }
  });
});

describe("a malformed payload", () => {
  it("fails the job with a clear message (kept for a retry, like any failure) and publishes nothing", async () => {
    const { rows } = await db().root.query<{ id: string }>(
      "select id from graphile_worker.add_job('send_sms', '{\"sms_log_id\": \"not-a-uuid\"}'::json)",
    );
    const failed = await eventually(async () => {
      const job = await db().root.query<{ attempts: number; last_error: string | null }>(
        "select attempts, last_error from graphile_worker._private_jobs where id = $1",
        [rows[0]!.id],
      );
      return job.rows[0]?.last_error ? job.rows[0] : undefined;
    });
    expect(failed.attempts).toBe(1);
    expect(failed.last_error).toBe("send_sms: payload must be { sms_log_id: uuid } (sms_log_id: Invalid GUID)");
    expect(fake.requests).toHaveLength(0);
    await db().root.query("delete from graphile_worker._private_jobs where id = $1", [rows[0]!.id]);
  });
});

describe("never twice", () => {
  it("the same job run again after the send publishes nothing", async () => {
    const entry = await asRoot(db(), (client) => joinDirect(client, business), { commit: true });
    const log = await settledLog(entry.id);
    await db().root.query("select graphile_worker.add_job('send_sms', json_build_object('sms_log_id', $1::uuid), job_key := 'again')", [
      log.id,
    ]);
    await eventually(async () => (await jobCount(log.id)) === 0);
    expect(fake.requests).toHaveLength(1);
    expect((await smsLogs(db(), "id = $1", [log.id]))[0]).toMatchObject({ status: "sent", attempts: 1 });
  });

  it("duplicate jobs running at the same time publish once: the claim's row lock serialises them", async () => {
    fake.delay(300);
    // Three jobs for one log, committed together so that they start together.
    const entry = await asRoot(db(), async (client) => {
      const entry = await joinDirect(client, business);
      await client.query(
        `select graphile_worker.add_job('send_sms', json_build_object('sms_log_id', l.id), job_key := 'dup:' || n)
           from app_public.sms_logs l, generate_series(1, 2) n where l.queue_entry_id = $1`,
        [entry.id],
      );
      return entry;
    }, { commit: true });
    const log = await settledLog(entry.id);
    await eventually(async () => (await jobCount(log.id)) === 0);
    expect(fake.requests).toHaveLength(1);
    expect(log).toMatchObject({ status: "sent", attempts: 1 });
  });
});

describe("over the business's daily cap", () => {
  it("a capped message has no job, and a job made for it anyway publishes nothing and leaves it capped", async () => {
    const capped = await createBusiness(db(), { name: "Plafond" });
    await db().root.query("update app_public.businesses set sms_daily_cap_override = 1 where id = $1", [capped.businessId]);
    const [sent, over] = await asRoot(db(), async (client) => [await joinDirect(client, capped), await joinDirect(client, capped)], {
      commit: true,
    });
    await settledLog(sent!.id);
    const [log] = await smsLogs(db(), "queue_entry_id = $1", [over!.id]);
    expect(log).toMatchObject({ status: "capped", parts: 1, cost_cents: 0, attempts: 0 });
    expect(await jobCount(log!.id)).toBe(0);
    await db().root.query("select graphile_worker.add_job('send_sms', json_build_object('sms_log_id', $1::uuid), job_key := 'capped')", [
      log!.id,
    ]);
    await eventually(async () => (await jobCount(log!.id)) === 0);
    expect(fake.requests.map((request) => request.phoneNumber)).toEqual([sent!.phone]);
    expect((await smsLogs(db(), "id = $1", [log!.id]))[0]).toMatchObject({ status: "capped", attempts: 0, provider_message_id: null });
  });
});
