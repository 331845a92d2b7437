// db/billing/stripe.sql and account.sql: Stripe's objects move the account
// along its states (trial → active → past_due → read_only → suspended →
// active again, cancelled), each failure counted once, the order of the
// deliveries irrelevant, and each state's effects on the queues.
import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { codeOf, failure, merchantQuery, useTestDatabase } from "../../helpers/db.ts";
import { createBusiness, join, phone } from "../../helpers/fixtures.ts";
import { invoice, linkCustomer, seedStripePrices, subscription } from "../../helpers/stripe-objects.ts";

const db = useTestDatabase();
beforeAll(async () => {
  await seedStripePrices(db());
});

/** Applies fetched objects the way the stripe_event task does: actor stripe, one transaction. */
async function apply(kind: "subscription" | "invoice", object: Record<string, unknown>): Promise<void> {
  const client = await db().root.connect();
  try {
    await client.query("begin");
    await client.query("select set_config('waitify.actor', 'stripe', true)");
    await client.query(`select app_private.apply_stripe_${kind}($1)`, [JSON.stringify(object)]);
    await client.query("commit");
  } finally {
    client.release();
  }
}

async function status(userId: string): Promise<string> {
  const { rows } = await db().root.query("select subscription_status from app_public.users where id = $1", [userId]);
  return rows[0].subscription_status;
}

async function feed(userId: string): Promise<{ event_type: string; actor: string; detail: Record<string, unknown> }[]> {
  const { rows } = await db().root.query(
    "select event_type, actor, detail from app_public.account_events where user_id = $1 order by id",
    [userId],
  );
  return rows;
}

describe("the account's states from Stripe's objects", () => {
  it("trial → active on the first paid invoice, through the dunning ladder to suspended, and back on payment", async () => {
    const business = await createBusiness(db(), { plan: "basic" });
    await db().root.query("update app_public.users set subscription_status = 'trial' where id = $1", [business.userId]);
    const customer = await linkCustomer(db(), business.userId);
    const sub = subscription({ customer, status: "active", plan: "pro" });
    const first = invoice({ customer, status: "paid", amountDue: 4900 });
    await apply("subscription", sub);
    await apply("invoice", first);
    expect(await status(business.userId)).toBe("active");
    const plan = await db().root.query(
      "select p.name from app_public.users u join app_public.subscription_plans p on p.id = u.subscription_plan_id where u.id = $1",
      [business.userId],
    );
    expect(plan.rows[0].name).toBe("pro");

    const second = invoice({ customer, status: "open", amountDue: 4900, attemptCount: 1 });
    await apply("invoice", second);
    expect(await status(business.userId)).toBe("past_due");
    // A redelivered failure (same invoice, same attempt) counts once.
    await apply("invoice", second);
    await apply("invoice", { ...second, attempt_count: 2 });
    expect(await status(business.userId)).toBe("read_only");
    const waiting = await join(db(), business.qrToken, phone(1));
    expect(waiting.position).toBe(1);
    await apply("invoice", { ...second, attempt_count: 3 });
    expect(await status(business.userId)).toBe("suspended");

    // Suspended: the open queue is closed (the customer cancelled and told) and joins are refused (4004).
    const queue = await db().root.query("select is_queue_active from app_public.queues where id = $1", [business.queueId]);
    expect(queue.rows[0].is_queue_active).toBe(false);
    const entry = await db().root.query("select status from app_public.queue_entries where queue_id = $1", [business.queueId]);
    expect(entry.rows.map((row) => row.status)).toEqual(["cancelled"]);
    const sms = await db().root.query(
      "select message_type from app_public.sms_logs where queue_entry_id = (select id from app_public.queue_entries where queue_id = $1) order by created_at",
      [business.queueId],
    );
    expect(sms.rows.map((row) => row.message_type)).toEqual(["confirmation", "cancelled"]);
    expect((await failure(join(db(), business.qrToken, phone(2)))).code).toBe("WT404");

    await apply("invoice", { ...second, status: "paid", amount_paid: 4900, attempt_count: 4 });
    expect(await status(business.userId)).toBe("active");

    const events = await feed(business.userId);
    expect(events.filter((event) => event.event_type === "payment_failed").map((event) => event.detail.attempt)).toEqual([
      1, 2, 3,
    ]);
    expect(events.filter((event) => event.event_type === "payment_succeeded")).toHaveLength(2);
    expect(
      events.filter((event) => event.event_type === "status_changed").map((event) => [event.detail.from, event.detail.to]),
    ).toEqual([
      ["trial", "active"],
      ["active", "past_due"],
      ["past_due", "read_only"],
      ["read_only", "suspended"],
      ["suspended", "active"],
    ]);
    expect(events.every((event) => event.actor === "stripe")).toBe(true);
    // Each step emailed once, in the merchant's language, with the invoice's amount.
    const emails = await db().root.query(
      "select template, body from app_private.email_logs where user_id = $1 order by created_at, template",
      [business.userId],
    );
    expect(emails.rows.map((row) => row.template).sort()).toEqual([
      "account_suspended",
      "payment_failed",
      "payment_failed_read_only",
      "payment_succeeded",
      "payment_succeeded",
    ]);
    expect(emails.rows.find((row) => row.template === "payment_failed")!.body).toContain("49,00");
  });

  it("a deleted subscription cancels the account; an older subscription never replaces a newer one", async () => {
    const business = await createBusiness(db(), { plan: "basic" });
    const customer = await linkCustomer(db(), business.userId);
    const old = subscription({ customer, status: "canceled", created: new Date(Date.UTC(2026, 5, 1)) });
    const renewed = subscription({ customer, status: "active", created: new Date(Date.UTC(2026, 10, 1)) });
    await apply("subscription", renewed);
    await apply("subscription", old);
    expect(await status(business.userId)).toBe("active");
    await apply("subscription", { ...renewed, status: "canceled" });
    expect(await status(business.userId)).toBe("cancelled");
  });

  it("the final state is the same whatever the order of the objects", async () => {
    const finals = new Set<string>();
    const orders = [
      ["sub", "failed", "paid"],
      ["paid", "failed", "sub"],
      ["failed", "sub", "paid"],
    ];
    for (const order of orders) {
      const business = await createBusiness(db(), { plan: "basic" });
      const customer = await linkCustomer(db(), business.userId);
      const failing = invoice({ customer, status: "open", attemptCount: 2 });
      const objects: Record<string, ["subscription" | "invoice", Record<string, unknown>]> = {
        sub: ["subscription", subscription({ customer, status: "active" })],
        failed: ["invoice", failing],
        paid: ["invoice", invoice({ customer, status: "paid" })],
      };
      for (const name of order) await apply(...objects[name]!);
      finals.add(await status(business.userId));
    }
    expect([...finals]).toEqual(["read_only"]);
  });

  it("apply_stripe_objects mirrors everything first and moves the account once, whatever the order of the objects", async () => {
    for (const order of [[0, 1, 2], [2, 1, 0], [1, 2, 0]]) {
      const business = await createBusiness(db(), { plan: "basic" });
      const customer = await linkCustomer(db(), business.userId);
      const objects = [
        subscription({ customer, status: "past_due", plan: "pro" }),
        invoice({ customer, status: "paid" }),
        invoice({ customer, status: "open", attemptCount: 2 }),
      ];
      const { rows } = await db().root.query("select app_private.apply_stripe_objects($1) as user_id", [
        JSON.stringify(order.map((index) => objects[index])),
      ]);
      expect(rows[0].user_id).toBe(business.userId);
      const steps = (await feed(business.userId)).filter((event) => event.event_type === "status_changed");
      // Not trial → past_due (the subscription alone) → read_only (its invoice): straight to where Stripe is.
      expect(steps.map((event) => [event.detail.from, event.detail.to])).toEqual([["trial", "read_only"]]);
    }
    const stranger = await db().root.query("select app_private.apply_stripe_objects($1) as user_id", [
      JSON.stringify([invoice({ customer: "cus_nobody_we_know", status: "open", attemptCount: 3 })]),
    ]);
    expect(stranger.rows[0].user_id).toBeNull();
    expect((await failure(db().root.query("select app_private.apply_stripe_objects('[{\"object\": \"charge\"}]')"))).message).toMatch(
      /cannot mirror a Stripe charge object/,
    );
  });

  it("a subscription that never started (incomplete, then expired) changes neither the status nor the plan", async () => {
    const business = await createBusiness(db(), { plan: "basic" });
    const customer = await linkCustomer(db(), business.userId);
    const attempt = subscription({ customer, status: "incomplete", plan: "pro" });
    const first = invoice({ customer, status: "open", attemptCount: 1, amountDue: 4900 });
    await apply("subscription", attempt);
    await apply("invoice", first);
    expect(await status(business.userId)).toBe("trial");
    const unpaid = await db().root.query("select app_private.unpaid_stripe_invoices($1) as id", [customer]);
    expect(unpaid.rows).toEqual([{ id: first.id }]);
    await apply("subscription", { ...attempt, status: "incomplete_expired" });
    await apply("invoice", { ...first, status: "void" });
    expect(await status(business.userId)).toBe("trial");
    const plan = await db().root.query(
      "select p.name from app_public.users u join app_public.subscription_plans p on p.id = u.subscription_plan_id where u.id = $1",
      [business.userId],
    );
    expect(plan.rows[0].name).toBe("basic");
    expect((await db().root.query("select app_private.unpaid_stripe_invoices($1)", [customer])).rowCount).toBe(0);
    const queue = await db().root.query("select is_queue_active from app_public.queues where id = $1", [business.queueId]);
    expect(queue.rows[0].is_queue_active).toBe(true);
  });

  it("unpaid past its due date: past_due after a day, suspended after 30 days, whichever rule is stricter", async () => {
    const business = await createBusiness(db(), { plan: "basic" });
    const customer = await linkCustomer(db(), business.userId);
    await apply("subscription", subscription({ customer, status: "active" }));
    const day = 24 * 3600 * 1000;
    const late = invoice({ customer, status: "open", attemptCount: 0, dueDate: new Date(Date.now() - 2 * day) });
    await apply("invoice", late);
    expect(await status(business.userId)).toBe("past_due");
    await apply("invoice", { ...late, due_date: Math.floor((Date.now() - 31 * day) / 1000) });
    // The due date first seen is kept (Stripe's later objects may move it); an older one counts from the start.
    expect(await status(business.userId)).toBe("past_due");
    const older = invoice({ customer, status: "open", attemptCount: 1, dueDate: new Date(Date.now() - 31 * day) });
    await apply("invoice", older);
    expect(await status(business.userId)).toBe("suspended");
  });
});

describe("concurrency", () => {
  it("a webhook's objects and the merchant's own change of subscription wait for each other instead of deadlocking", async () => {
    const business = await createBusiness(db(), { plan: "basic" });
    const customer = await linkCustomer(db(), business.userId);
    const sub = subscription({ customer, status: "active", plan: "pro" });
    await apply("subscription", sub);
    const webhook = await db().root.connect();
    const merchant = await db().root.connect();
    try {
      // The stripe_event task, half-way: an invoice mirrored, the subscription still to come.
      await webhook.query("begin");
      await webhook.query("select app_private.mirror_stripe_invoice($1)", [
        JSON.stringify(invoice({ customer, status: "open", attemptCount: 1 })),
      ]);
      // Meanwhile the merchant schedules the cancellation (apply_own_subscription applies Stripe's answer).
      const pid = (await merchant.query("select pg_backend_pid() as pid")).rows[0].pid as number;
      await merchant.query("begin");
      const cancelling = merchant.query("select app_private.apply_stripe_subscription($1)", [
        JSON.stringify({ ...sub, cancel_at_period_end: true }),
      ]);
      cancelling.catch(() => {});
      for (let attempt = 0; attempt < 100; attempt++) {
        const waiting = await db().root.query("select wait_event_type from pg_stat_activity where pid = $1", [pid]);
        if (waiting.rows[0]?.wait_event_type === "Lock") break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await webhook.query("select app_private.mirror_stripe_subscription($1)", [JSON.stringify(sub)]);
      await webhook.query("select app_private.refresh_account_status($1)", [business.userId]);
      await webhook.query("commit");
      expect(await codeOf(cancelling)).toBe("ok");
      await merchant.query("commit");
    } finally {
      await webhook.query("rollback").catch(() => {});
      await merchant.query("rollback").catch(() => {});
      webhook.release();
      merchant.release();
    }
    const mirror = await db().root.query("select cancel_at_period_end from app_private.subscriptions where user_id = $1", [business.userId]);
    expect(mirror.rows).toEqual([{ cancel_at_period_end: true }]);
    expect(await status(business.userId)).toBe("past_due");
  });
});

describe("read-only: the open queue keeps running, settings are refused", () => {
  it("serves the customers already there, refuses settings, new queues and opening", async () => {
    const business = await createBusiness(db(), { plan: "pro" });
    const closed = await createBusiness(db(), { merchant: business.merchant, open: false });
    await join(db(), business.qrToken, phone(1));
    await join(db(), business.qrToken, phone(2));
    await db().root.query("update app_public.users set subscription_status = 'read_only' where id = $1", [business.userId]);
    const call = (sql: string, values: unknown[]) => merchantQuery(db(), business.userId, sql, values);

    const called = await call("select (app_public.call_next($1)).id", [business.queueId]);
    expect(await codeOf(call("select app_public.mark_served($1)", [called[0]!.id]))).toBe("ok");
    expect(await codeOf(call("select app_public.pause_queue($1)", [business.queueId]))).toBe("ok");
    expect(await codeOf(call("select app_public.resume_queue($1)", [business.queueId]))).toBe("ok");
    expect(await codeOf(join(db(), business.qrToken, phone(3)))).toBe("ok");

    const refusal = await failure(call("update app_public.businesses set name = 'New name' where id = $1", [business.businessId]));
    expect(refusal).toEqual({
      code: "WTROA",
      message:
        "Votre compte est en lecture seule après un paiement refusé : réglez votre facture pour modifier vos réglages ou ouvrir une file.",
    });
    expect(await codeOf(call("update app_public.queues set max_queue_size = 10 where id = $1", [business.queueId]))).toBe(
      "WTROA",
    );
    expect(await codeOf(call("select app_public.regenerate_qr_token($1)", [business.queueId]))).toBe("WTROA");
    expect(await codeOf(call("select app_public.open_queue($1)", [closed.queueId]))).toBe("WTROA");
    expect(
      await codeOf(call("insert into app_public.businesses (name, business_type) values ('Another', 'bakery')", [])),
    ).toBe("WTROA");
    expect(await codeOf(call("insert into app_public.queues (business_id, name) values ($1, 'Desk 2')", [business.businessId]))).toBe(
      "WTROA",
    );
    expect(await codeOf(call("select app_public.close_queue($1)", [business.queueId]))).toBe("ok");
    const names = await db().root.query("select name from app_public.businesses where id = $1", [business.businessId]);
    expect(names.rows[0].name).not.toBe("New name");
  });
});

describe("the webhook's event log", () => {
  it("puts a customer's events in one queue, always the same, among at most 64", async () => {
    // One queue per customer would make every job fetch slower with each customer (bench/README.md).
    const events = Array.from({ length: 400 }, (_, i) => ({
      id: `evt_test_queue_${i}`,
      type: "invoice.paid",
      created: 1_764_547_200,
      data: { object: { id: `in_queue_${i}`, object: "invoice", customer: `cus_queue_${i % 200}` } },
    }));
    await db().root.query("select app_private.record_stripe_event(e) from jsonb_array_elements($1::jsonb) e", [JSON.stringify(events)]);
    const { rows } = await db().root.query<{ customer: string; queues: number }>(
      `select e.payload #>> '{data,object,customer}' as customer, count(distinct j.queue_name)::int as queues
         from app_private.stripe_events e join graphile_worker.jobs j on j.key = 'stripe_event:' || e.id
        where e.id like 'evt_test_queue_%' group by 1`,
    );
    expect(rows).toHaveLength(200);
    expect(rows.every((row) => row.queues === 1)).toBe(true);
    const { rows: queues } = await db().root.query<{ n: number }>(
      "select count(distinct queue_name)::int as n from graphile_worker.jobs where key like 'stripe_event:evt_test_queue_%'",
    );
    expect(queues[0]!.n).toBeGreaterThan(16);
    expect(queues[0]!.n).toBeLessThanOrEqual(64);
    await db().root.query("delete from graphile_worker._private_jobs where key like 'stripe_event:evt_test_queue_%'");
    await db().root.query("delete from app_private.stripe_events where id like 'evt_test_queue_%'");
  });

  it("stores an event once and enqueues one job per account queue; a request role is refused", async () => {
    const authenticator = new pg.Client({ connectionString: db().authUrl });
    await authenticator.connect();
    try {
      const event = {
        id: "evt_test_once",
        type: "invoice.paid",
        created: 1_764_547_200,
        data: { object: { id: "in_x", object: "invoice", customer: "cus_abc" } },
      };
      const first = await authenticator.query("select app_private.record_stripe_event($1) as stored", [JSON.stringify(event)]);
      const again = await authenticator.query("select app_private.record_stripe_event($1) as stored", [JSON.stringify(event)]);
      expect([first.rows[0].stored, again.rows[0].stored]).toEqual([true, false]);
      const ignored = { ...event, id: "evt_test_ignored", type: "customer.created" };
      await authenticator.query("select app_private.record_stripe_event($1)", [JSON.stringify(ignored)]);
      const jobs = await db().root.query(
        "select key, queue_name from graphile_worker.jobs where task_identifier = 'stripe_event' order by key",
      );
      expect(jobs.rows).toEqual([{ key: "stripe_event:evt_test_once", queue_name: expect.stringMatching(/^stripe:\d+$/) }]);
      const log = await db().root.query("select id, outcome from app_private.stripe_events order by id");
      expect(log.rows).toEqual([
        { id: "evt_test_ignored", outcome: "ignored" },
        { id: "evt_test_once", outcome: null },
      ]);
      await authenticator.query("begin");
      await authenticator.query("set local role waitify_anonymous");
      expect(await codeOf(authenticator.query("select app_private.record_stripe_event($1)", [JSON.stringify(event)]))).toBe(
        "42501",
      );
      await authenticator.query("rollback");
    } finally {
      await authenticator.end();
    }
  });
});
