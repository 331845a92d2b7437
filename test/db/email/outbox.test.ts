// The email outbox in SQL (db/email/outbox.sql): enqueue_email records an
// email in the account's language and its send_email job in the caller's
// transaction, once per dedupe key; the worker's claim / mark functions; and
// nobody but the owner reaches any of it. No worker runs here: the jobs stay
// queued (the sending itself: test/tasks/send_email.test.ts).
import { beforeAll, describe, expect, it } from "vitest";
import { asAdmin, asAnonymous, asMerchant, asRoot, codeOf, useTestDatabase } from "../../helpers/db.ts";
import { createBusiness, createMerchant, emailLogs, emailTemplateVars, type TestMerchant } from "../../helpers/fixtures.ts";

const db = useTestDatabase();

async function jobsFor(logIds: string[]) {
  const { rows } = await db().root.query<{ key: string; payload: { email_log_id: string }; max_attempts: number }>(
    `select j.key, j.payload, j.max_attempts
       from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
      where t.identifier = 'send_email' and j.payload->>'email_log_id' = any($1::text[])`,
    [logIds],
  );
  return rows;
}

async function enqueue(userId: string, template: string, vars: Record<string, unknown>, dedupeKey: string | null = null) {
  const { rows } = await db().root.query<{ id: string | null }>("select app_private.enqueue_email($1, $2, $3, $4) as id", [
    userId,
    template,
    JSON.stringify(vars),
    dedupeKey,
  ]);
  return rows[0]!.id;
}

let merchant: TestMerchant;

beforeAll(async () => {
  await db().root.query("update app_public.system_configs set value = 'https://waitify.example' where key = 'public_url'");
  merchant = await createMerchant(db(), { email: "eve@example.test", firstName: "Eve" });
});

describe("enqueue_email", () => {
  it("records the rendered email to the account's address and adds one send_email job keyed by the log", async () => {
    const id = await enqueue(merchant.userId, "invoice_due", emailTemplateVars.invoice_due!, "invoice_due:in_1");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const [log] = await emailLogs(db(), "id = $1", [id]);
    expect(log).toMatchObject({
      user_id: merchant.userId,
      to_address: "eve@example.test",
      template: "invoice_due",
      language: "fr",
      subject: "Votre facture Waitify arrive à échéance le 4 mars 2026",
      status: "pending",
      attempts: 0,
      dedupe_key: "invoice_due:in_1",
    });
    expect(log!.body).toMatch(/^Bonjour Eve,\n\nPetit rappel : votre facture Waitify de 19,00\u00a0€ arrive à échéance le 4 mars 2026\./);
    expect(await jobsFor([id!])).toEqual([{ key: `email:${id}`, payload: { email_log_id: id }, max_attempts: 10 }]);
  });

  it("speaks the language of the account's first active business", async () => {
    const owner = await createMerchant(db(), { firstName: "Sam", plan: "pro" });
    await createBusiness(db(), { merchant: owner, language: "en" });
    const id = await enqueue(owner.userId, "payment_failed", emailTemplateVars.payment_failed!);
    const [log] = await emailLogs(db(), "id = $1", [id]);
    expect(log).toMatchObject({ language: "en", subject: "Your Waitify payment failed" });
    expect(log!.body).toMatch(/^Hello Sam,\n\nThe payment of €19\.00 for your Waitify subscription did not go through\./);
  });

  it("gives {app_url} the stored public URL", async () => {
    // A template using {app_url} is a caller's choice; render it through a scratch template.
    await asRoot(db(), async (client) => {
      await client.query(
        "insert into app_private.email_templates (template, language, subject, body) values ('scratch', 'fr', 'S', '{greeting} {app_url}')",
      );
      const { rows } = await client.query<{ id: string }>("select app_private.enqueue_email($1, 'scratch') as id", [merchant.userId]);
      const body = await client.query("select body from app_private.email_logs where id = $1", [rows[0]!.id]);
      expect(body.rows[0].body).toBe("Bonjour Eve, https://waitify.example");
    });
  });

  it("the same dedupe key never queues a second email nor a second job", async () => {
    const first = await enqueue(merchant.userId, "invoice_unpaid_1d", emailTemplateVars.invoice_unpaid_1d!, "unpaid_1d:in_9");
    const again = await enqueue(merchant.userId, "invoice_unpaid_1d", emailTemplateVars.invoice_unpaid_1d!, "unpaid_1d:in_9");
    expect(first).not.toBeNull();
    expect(again).toBeNull();
    expect(await emailLogs(db(), "dedupe_key = $1", ["unpaid_1d:in_9"])).toHaveLength(1);
    expect(await jobsFor([first!])).toHaveLength(1);
  });

  it("two transactions racing with one key: one email", async () => {
    const key = "race:1";
    const results = await Promise.all(
      [1, 2, 3].map(() => enqueue(merchant.userId, "payment_succeeded", emailTemplateVars.payment_succeeded!, key)),
    );
    expect(results.filter((id) => id !== null)).toHaveLength(1);
    expect(await emailLogs(db(), "dedupe_key = $1", [key])).toHaveLength(1);
  });

  it("without a dedupe key every call sends", async () => {
    const a = await enqueue(merchant.userId, "payment_succeeded", emailTemplateVars.payment_succeeded!);
    const b = await enqueue(merchant.userId, "payment_succeeded", emailTemplateVars.payment_succeeded!);
    expect(a).not.toBe(b);
    expect(await jobsFor([a!, b!])).toHaveLength(2);
  });

  it("a rolled-back caller leaves no email and no job", async () => {
    let id: string | null = null;
    await asRoot(db(), async (client) => {
      const { rows } = await client.query<{ id: string }>("select app_private.enqueue_email($1, $2, $3, 'rolled-back') as id", [
        merchant.userId,
        "account_suspended",
        JSON.stringify(emailTemplateVars.account_suspended),
      ]);
      id = rows[0]!.id;
    });
    expect(id).not.toBeNull();
    expect(await emailLogs(db(), "id = $1", [id])).toEqual([]);
    expect(await jobsFor([id!])).toEqual([]);
    // The key is free again: the email was never queued.
    expect(await enqueue(merchant.userId, "account_suspended", emailTemplateVars.account_suspended!, "rolled-back")).not.toBeNull();
  });

  it("an unknown account queues nothing; a missing var fails the caller", async () => {
    expect(await enqueue("00000000-0000-4000-8000-000000000000", "payment_succeeded", emailTemplateVars.payment_succeeded!)).toBeNull();
    expect(await codeOf(enqueue(merchant.userId, "payment_succeeded", {}))).toBe("P0001");
  });
});

describe("the worker's functions", () => {
  it("claim counts attempts while pending; sent: no more claims, the link secret redacted", async () => {
    const id = await enqueue(merchant.userId, "password_reset", emailTemplateVars.password_reset!);
    const claim = async () =>
      (await db().root.query<{ id: string; attempts: number; body: string }>("select * from app_private.email_claim($1)", [id])).rows;
    const first = await claim();
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ id, attempts: 1 });
    expect(first[0]!.body).toContain("#token=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG");
    await db().root.query("select app_private.email_mark_failed($1, '451 try later', false)", [id]);
    expect((await emailLogs(db(), "id = $1", [id]))[0]).toMatchObject({ status: "pending", error: "451 try later" });
    expect((await claim())[0]).toMatchObject({ attempts: 2 });
    await db().root.query("select app_private.email_mark_sent($1, '<m1@waitify>')", [id]);
    const [log] = await emailLogs(db(), "id = $1", [id]);
    expect(log).toMatchObject({ status: "sent", provider_message_id: "<m1@waitify>", attempts: 2 });
    expect(log!.sent_at).toBeInstanceOf(Date);
    expect(log!.body).toContain("/reset-password#token=…");
    expect(log!.body).not.toContain("abcdefghijklmnop");
    expect(await claim()).toEqual([]);
    // A late failure report changes nothing once sent.
    await db().root.query("select app_private.email_mark_failed($1, 'late', true)", [id]);
    expect((await emailLogs(db(), "id = $1", [id]))[0]).toMatchObject({ status: "sent", error: "451 try later" });
  });

  it("a final failure fails the log, keeps the reason and redacts the secret", async () => {
    const id = await enqueue(merchant.userId, "password_reset", emailTemplateVars.password_reset!);
    await db().root.query("select * from app_private.email_claim($1)", [id]);
    await db().root.query("select app_private.email_mark_failed($1, $2, true)", [id, "EENVELOPE 550: mailbox unavailable"]);
    const [log] = await emailLogs(db(), "id = $1", [id]);
    expect(log).toMatchObject({ status: "failed", error: "EENVELOPE 550: mailbox unavailable", provider_message_id: null });
    expect(log!.body).toContain("#token=…");
    expect((await db().root.query("select * from app_private.email_claim($1)", [id])).rows).toEqual([]);
  });
});

describe("out of every request role's reach", () => {
  it("no request role reads the logs or templates, nor runs the outbox functions", async () => {
    const statements = [
      "select * from app_private.email_logs",
      "select * from app_private.email_templates",
      `select app_private.enqueue_email('${merchant.userId}', 'payment_succeeded', '{"amount_cents": 1, "link": "x"}')`,
      "select * from app_private.email_claim(gen_random_uuid())",
      "select app_private.email_mark_sent(gen_random_uuid(), 'x')",
      "select app_private.render_email('password_reset', 'fr', '{}')",
    ];
    for (const sql of statements) {
      expect(await asAnonymous(db(), (client) => codeOf(client.query(sql))), sql).toBe("42501");
      expect(await asMerchant(db(), merchant.userId, (client) => codeOf(client.query(sql))), sql).toBe("42501");
      expect(await asAdmin(db(), (client) => codeOf(client.query(sql))), sql).toBe("42501");
    }
  });
});
