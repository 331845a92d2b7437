// The billing crontab jobs with a real graphile-worker runner: billing_daily
// (statuses that move with time, reminders once) and monthly_statements (the
// month before the scheduled time, idempotent). Jobs are added as the
// crontab adds them, with the `_cron` payload; the SQL they run is tested in
// test/db/billing/.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type WorkerHandle } from "../../lib/worker.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { createBusiness } from "../helpers/fixtures.ts";
import { invoice, linkCustomer, seedStripePrices, subscription } from "../helpers/stripe-objects.ts";

const db = useTestDatabase();
let worker: WorkerHandle;
beforeAll(async () => {
  await seedStripePrices(db());
  worker = await startWorker({ connectionString: db().ownerUrl, concurrency: 2 });
});
afterAll(async () => {
  await worker.stop();
});

async function runCronJob(task: string, ts: string): Promise<void> {
  const { rows } = await db().root.query<{ id: string }>(
    "select (graphile_worker.add_job($1, json_build_object('_cron', json_build_object('ts', $2::text, 'backfilled', false)))).id",
    [task, ts],
  );
  for (let attempt = 0; attempt < 300; attempt++) {
    const left = await db().root.query(
      "select last_error from graphile_worker._private_jobs where id = $1",
      [rows[0]!.id],
    );
    if (left.rowCount === 0) return;
    if (left.rows[0].last_error) throw new Error(`${task} failed: ${left.rows[0].last_error}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${task} did not run`);
}

describe("billing crontab jobs", () => {
  it("billing_daily sends each due reminder once and suspends an invoice 30 days past due", async () => {
    const shop = await createBusiness(db(), { plan: "basic" });
    const customer = await linkCustomer(db(), shop.userId);
    await db().root.query("select app_private.apply_stripe_subscription($1)", [
      JSON.stringify(subscription({ customer, status: "active", plan: "basic" })),
    ]);
    const now = Date.now();
    const day = 24 * 3600 * 1000;
    await db().root.query("select app_private.apply_stripe_invoice($1)", [
      JSON.stringify(invoice({ customer, status: "open", dueDate: new Date(now - 8 * day) })),
    ]);
    expect((await db().root.query("select subscription_status from app_public.users where id = $1", [shop.userId])).rows[0]
      .subscription_status).toBe("past_due");

    const today = new Date(now).toISOString();
    await runCronJob("billing_daily", today);
    await runCronJob("billing_daily", today);
    const reminders = await db().root.query(
      "select kind from app_private.billing_reminders where user_id = $1 order by kind",
      [shop.userId],
    );
    expect(reminders.rows.map((row) => row.kind)).toEqual(["unpaid_1d", "unpaid_7d"]);

    // 23 days later (a backfilled or late run): suspended, and the J+30 reminder once.
    await runCronJob("billing_daily", new Date(now + 23 * day).toISOString());
    const after = await db().root.query(
      "select kind from app_private.billing_reminders where user_id = $1 order by kind",
      [shop.userId],
    );
    expect(after.rows.map((row) => row.kind)).toEqual(["suspended_30d", "unpaid_1d", "unpaid_7d"]);
    const suspended = await db().root.query("select subscription_status from app_public.users where id = $1", [shop.userId]);
    expect(suspended.rows[0].subscription_status).toBe("suspended");
    const feed = await db().root.query(
      "select count(*)::int as n from app_public.account_events where user_id = $1 and event_type = 'reminder_sent'",
      [shop.userId],
    );
    expect(feed.rows[0].n).toBe(3);
    const emails = await db().root.query("select template from app_private.email_logs where user_id = $1 order by template", [
      shop.userId,
    ]);
    expect(emails.rows.map((row) => row.template)).toEqual(["account_suspended", "invoice_unpaid_1d", "invoice_unpaid_7d"]);
  });

  it("billing_daily ends a trial without a paying subscription (read-only), once billing is set up", async () => {
    const expired = await createBusiness(db(), { plan: "basic" });
    const subscribed = await createBusiness(db(), { plan: "basic" });
    for (const shop of [expired, subscribed]) {
      await db().root.query(
        "update app_public.users set subscription_status = 'trial', trial_ends_at = now() - interval '1 day' where id = $1",
        [shop.userId],
      );
    }
    const customer = await linkCustomer(db(), subscribed.userId);
    await db().root.query("select app_private.mirror_stripe_subscription($1)", [
      JSON.stringify(subscription({ customer, status: "trialing", plan: "basic" })),
    ]);
    await runCronJob("billing_daily", new Date().toISOString());
    const statuses = await db().root.query<{ id: string; subscription_status: string }>(
      "select id, subscription_status from app_public.users where id = any($1)",
      [[expired.userId, subscribed.userId]],
    );
    const statusOf = (id: string) => statuses.rows.find((row) => row.id === id)!.subscription_status;
    expect(statusOf(expired.userId)).toBe("read_only");
    expect(statusOf(subscribed.userId)).toBe("trial");
    // Without billing set up (no prices), nothing ends: the embedded default runs as it always did.
    await db().root.query("delete from app_private.stripe_prices");
    const another = await createBusiness(db(), { plan: "basic" });
    await db().root.query(
      "update app_public.users set subscription_status = 'trial', trial_ends_at = now() - interval '1 day' where id = $1",
      [another.userId],
    );
    await runCronJob("billing_daily", new Date().toISOString());
    const unchanged = await db().root.query("select subscription_status from app_public.users where id = $1", [another.userId]);
    expect(unchanged.rows[0].subscription_status).toBe("trial");
    await seedStripePrices(db());
  });

  it("monthly_statements on the 1st writes the month just ended, once", async () => {
    const shop = await createBusiness(db(), { plan: "basic" });
    const customer = await linkCustomer(db(), shop.userId);
    await db().root.query("select app_private.apply_stripe_subscription($1)", [
      JSON.stringify(subscription({ customer, status: "active", plan: "basic", created: new Date(Date.UTC(2026, 9, 1)) })),
    ]);
    await runCronJob("monthly_statements", "2026-12-01T03:30:00.000Z");
    await runCronJob("monthly_statements", "2026-12-01T03:30:00.000Z");
    const { rows } = await db().root.query(
      "select to_char(period_start, 'YYYY-MM-DD') as month, total_cents from app_public.billing_statements where user_id = $1",
      [shop.userId],
    );
    expect(rows).toEqual([{ month: "2026-11-01", total_cents: 1900 }]);
  });
});
