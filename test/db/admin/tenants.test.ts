// db/admin/tenants.sql and tenants-actions.sql: the back office's accounts —
// the list with its figures and its literal search, one account's detail, and
// suspend / reactivate / change of plan through the billing state machine,
// each audited, each refusal coded.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { withDatabase } from "../../../lib/db/urls.ts";
import { asRole, codeOf, failure, useTestDatabase, type Queryable } from "../../helpers/db.ts";
import { createAdmin, createBusiness, createMerchant, join, phone } from "../../helpers/fixtures.ts";
import { invoice, linkCustomer, seedStripePrices, subscription } from "../../helpers/stripe-objects.ts";

const db = useTestDatabase();
let adminId: string;

beforeAll(async () => {
  await seedStripePrices(db());
  adminId = (await createAdmin(db())).adminId;
});

/** Runs fn as an admin's request does (role, admin_id claim), committed unless it throws. */
async function asAdminOf<T>(id: string | null, fn: (client: Queryable) => Promise<T>): Promise<T> {
  const client = await db().root.connect();
  try {
    await client.query("begin");
    await client.query("set local role waitify_admin");
    if (id) await client.query("select set_config('jwt.claims.admin_id', $1, true)", [id]);
    const result = await fn(client);
    await client.query("commit");
    return result;
  } catch (error) {
    await client.query("rollback");
    throw error;
  } finally {
    client.release();
  }
}

const admin = <T extends pg.QueryResultRow>(sql: string, values: unknown[] = []) =>
  asAdminOf(adminId, async (client) => (await client.query<T>(sql, values)).rows);

/** Applies a Stripe object as the stripe_event task does (actor stripe). */
async function applyStripe(kind: "subscription" | "invoice", object: Record<string, unknown>): Promise<void> {
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

async function account(userId: string): Promise<{ status: string; plan: string; held: boolean }> {
  const { rows } = await db().root.query(
    `select u.subscription_status as status, p.name as plan,
            exists (select 1 from app_private.admin_suspensions h where h.user_id = u.id) as held
       from app_public.users u join app_public.subscription_plans p on p.id = u.subscription_plan_id where u.id = $1`,
    [userId],
  );
  return rows[0];
}

async function events(userId: string): Promise<{ event_type: string; actor: string; detail: Record<string, unknown> }[]> {
  const { rows } = await db().root.query(
    "select event_type, actor, detail from app_public.account_events where user_id = $1 order by id",
    [userId],
  );
  return rows;
}

async function audit(userId: string): Promise<{ admin_id: string; action: string; before: unknown; after: unknown; reason: string }[]> {
  const { rows } = await db().root.query(
    "select admin_id, action, before, after, reason from app_public.admin_audit_log where target_type = 'account' and target_id = $1 order by id",
    [userId],
  );
  return rows;
}

const suspend = (userId: string, reason = "Fraude signalée par la banque") =>
  admin("select subscription_status from app_public.admin_suspend_account($1, $2)", [userId, reason]);
const reactivate = (userId: string, reason = "Vérification faite") =>
  admin("select subscription_status from app_public.admin_reactivate_account($1, $2)", [userId, reason]);
const changePlan = (userId: string, plan: string, reason = "Geste commercial") =>
  admin("select p.name from app_public.admin_change_account_plan($1, $2, $3) u join app_public.subscription_plans p on p.id = u.subscription_plan_id", [
    userId,
    plan,
    reason,
  ]);

describe("the list of accounts", () => {
  const tag = randomBytes(4).toString("hex");
  const search = (text: string | null, status: string | null = null, plan: string | null = null) =>
    admin<{ email: string }>("select email from app_public.admin_accounts($1, $2, $3)", [text, status, plan]);

  beforeAll(async () => {
    // Created in this order, so newest first is the reverse.
    await createMerchant(db(), { email: `plain-${tag}@example.test`, firstName: "Anne", lastName: "Martin" });
    await createMerchant(db(), { email: `pct%${tag}@example.test`, firstName: "Cent", lastName: "Pour" });
    await createMerchant(db(), { email: `und_${tag}@example.test`, firstName: "Under", lastName: "Score" });
    await createMerchant(db(), { email: `undx${tag}@example.test`, firstName: "Back\\slash", lastName: "Émile" });
    await createMerchant(db(), { email: `pro-${tag}@example.test`, firstName: "Pro", lastName: "Actif", plan: "pro" });
  });

  it("searches email and name as a case-insensitive substring, %, _ and \\ taken literally", async () => {
    expect((await search(tag)).map((row) => row.email)).toEqual([
      `pro-${tag}@example.test`,
      `undx${tag}@example.test`,
      `und_${tag}@example.test`,
      `pct%${tag}@example.test`,
      `plain-${tag}@example.test`,
    ]);
    expect((await search(`%${tag}`)).map((row) => row.email)).toEqual([`pct%${tag}@example.test`]);
    // "_" is no wildcard: undx… does not match "und_".
    expect((await search(`UND_${tag}`)).map((row) => row.email)).toEqual([`und_${tag}@example.test`]);
    expect((await search(`k\\s`)).map((row) => row.email)).toEqual([`undx${tag}@example.test`]);
    // Names, accents and case: "émile" finds "Émile".
    expect((await search(`émile`)).map((row) => row.email)).toContain(`undx${tag}@example.test`);
    expect((await search("anne martin")).map((row) => row.email)).toContain(`plain-${tag}@example.test`);
    expect(await search(`%%${tag}`)).toEqual([]);
    // A NUL cannot be in any account's text: PostgreSQL refuses it (INVALID_TEXT for the API).
    expect(await codeOf(search(`a\u0000${tag}`))).toBe("22021");
  });

  it("filters by status and plan", async () => {
    expect((await search(tag, "active")).map((row) => row.email)).toEqual([`pro-${tag}@example.test`]);
    expect((await search(tag, null, "pro")).map((row) => row.email)).toEqual([`pro-${tag}@example.test`]);
    expect((await search(tag, "trial", "basic")).length).toBe(4);
    expect(await search(tag, "trial", "pro")).toEqual([]);
    expect(await search(tag, null, "no-such-plan")).toEqual([]);
  });

  it("uses the trigram index for a search", async () => {
    const plan = await asAdminOf(adminId, async (client) => {
      await client.query("set local enable_seqscan = off");
      const { rows } = await client.query(
        `explain select u.id from app_public.users u
          where lower((u.email::text || ' ' || coalesce(u.first_name, '') || ' ' || coalesce(u.last_name, '')) collate "und-x-icu") like $1 escape '\\'`,
        ["%martin%"],
      );
      return rows.map((row) => row["QUERY PLAN"]).join("\n");
    });
    expect(plan).toContain("users_search_idx");
  });

  it("gives each account's figures: businesses, SMS this month, MRR, last activity", async () => {
    const business = await createBusiness(db(), { plan: "pro" });
    const userId = business.userId;
    await createBusiness(db(), { merchant: business.merchant });
    const deleted = await createBusiness(db(), { merchant: business.merchant, open: false });
    await db().root.query("update app_public.businesses set is_active = false where id = $1", [deleted.businessId]);
    const sms = async (parts: number, status: string, sentAt: string) =>
      db().root.query(
        `insert into app_public.sms_logs (business_id, user_id, phone, message_type, message_content, status, provider_message_id,
           parts, sent_at, delivered_at, error_code)
         values ($1, $2, '+33612345678', 'confirmation', 'Bonjour', $3, case when $3 in ('sent', 'delivered') then 'msg' end,
           case when $3 in ('sent', 'delivered') then $4::integer end, $5::timestamptz,
           case when $3 = 'delivered' then $5::timestamptz end, case when $3 = 'failed' then 5001 end)`,
        [business.businessId, userId, status, parts, sentAt],
      );
    const thisMonth = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1, 0, 30)).toISOString();
    const lastMonth = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - 1, 15)).toISOString();
    await sms(2, "sent", thisMonth);
    await sms(3, "delivered", thisMonth);
    await sms(1, "failed", thisMonth);
    await sms(7, "sent", lastMonth);
    // A yearly pro subscription, active: MRR = 4900 × yearly_price_months (10) ÷ 12.
    const customer = await linkCustomer(db(), userId);
    await applyStripe("subscription", subscription({ customer, status: "active", plan: "pro", interval: "yearly" }));
    await db().root.query("update app_public.users set last_login = '2020-01-01T00:00:00Z' where id = $1", [userId]);
    await join(db(), business.qrToken, phone(50));

    const figures = async () =>
      (
        await admin(
          `select u.business_count, u.active_business_count, u.sms_parts_this_month, u.mrr_cents, u.last_activity_at
             from (select u.*, app_public.users_business_count(u) as business_count,
                          app_public.users_active_business_count(u) as active_business_count,
                          app_public.users_sms_parts_this_month(u) as sms_parts_this_month,
                          app_public.users_mrr_cents(u) as mrr_cents,
                          app_public.users_last_activity_at(u) as last_activity_at
                     from app_public.admin_accounts($1) u) u`,
          [business.merchant.email],
        )
      )[0];
    const before = await figures();
    expect(before).toMatchObject({ business_count: 3, active_business_count: 2, sms_parts_this_month: 5, mrr_cents: Math.round((4900 * 10) / 12) });
    // A customer joined just now (entry_joined): later than the 2020 sign-in.
    const { rows } = await db().root.query("select max(created_at) as at from app_public.queue_events where user_id = $1", [userId]);
    expect(before.last_activity_at).toEqual(rows[0].at);
    await db().root.query("update app_public.users set last_login = now() + interval '1 hour' where id = $1", [userId]);
    const after = await figures();
    expect(after.last_activity_at.getTime()).toBeGreaterThan(rows[0].at.getTime());
  });

  it("refuses an admin token without a live admin, and merchants", async () => {
    expect(await codeOf(asAdminOf(null, (client) => client.query("select * from app_public.admin_accounts()")))).toBe("WTFRB");
    const disabled = await createAdmin(db());
    await db().root.query("update app_private.admins set disabled_at = now() where id = $1", [disabled.adminId]);
    expect(await codeOf(asAdminOf(disabled.adminId, (client) => client.query("select * from app_public.admin_accounts()")))).toBe("WTFRB");
    const merchant = await createMerchant(db());
    const client = await db().root.connect();
    try {
      await client.query("begin");
      await client.query("set local role waitify_merchant");
      await client.query("select set_config('jwt.claims.user_id', $1, true)", [merchant.userId]);
      expect(await codeOf(client.query("select * from app_public.admin_accounts()"))).toBe("42501");
    } finally {
      await client.query("rollback");
      client.release();
    }
  });
});

describe("one account's detail", () => {
  it("NOT_FOUND for an unknown account; the account with its payments, queue counts and audit entries", async () => {
    expect(await codeOf(admin("select * from app_public.admin_account(gen_random_uuid())"))).toBe("WTNFD");
    const business = await createBusiness(db(), { plan: "pro" });
    await join(db(), business.qrToken, phone(1));
    await join(db(), business.qrToken, phone(2));
    const customer = await linkCustomer(db(), business.userId);
    await applyStripe("subscription", subscription({ customer, status: "active", plan: "pro" }));
    await applyStripe("invoice", invoice({ customer, status: "paid", amountDue: 4900, number: "WAIT-0001" }));
    await applyStripe("invoice", invoice({ customer, status: "draft", amountDue: 4900, number: "WAIT-DRAFT" }));
    await suspend(business.userId);

    const [detail] = await admin(
      `select u.email, (select jsonb_agg(p.number) from app_public.users_admin_payments(u) p) as payments,
              (select jsonb_agg(to_jsonb(app_public.businesses_admin_queue_counts(b))) from app_public.users_admin_businesses(u) b) as queues,
              (select jsonb_agg(a.action) from app_public.users_admin_audit_entries(u) a) as audit,
              app_public.users_admin_suspension_reason(u) as reason
         from app_public.admin_account($1) u`,
      [business.userId],
    );
    expect(detail.email).toBe(business.merchant.email);
    expect(detail.payments).toEqual(["WAIT-0001"]);
    // Suspended: its queue closed, the two waiting customers cancelled.
    expect(detail.queues).toEqual([{ queues: 1, open_queues: 0, waiting: 0 }]);
    expect(detail.audit).toEqual(["suspend_account"]);
    expect(detail.reason).toBe("Fraude signalée par la banque");
    await reactivate(business.userId);
    const [counts] = await admin(
      `select to_jsonb(app_public.businesses_admin_queue_counts(b)) as c from app_public.businesses b where b.id = $1`,
      [business.businessId],
    );
    expect(counts.c).toEqual({ queues: 1, open_queues: 0, waiting: 0 });
  });

  it("counts the queues, the open ones and the customers waiting", async () => {
    const business = await createBusiness(db(), { plan: "pro" });
    await db().root.query("insert into app_public.queues (business_id, user_id, name) values ($1, $2, 'Caisse 2')", [
      business.businessId,
      business.userId,
    ]);
    await join(db(), business.qrToken, phone(3));
    const [counts] = await admin(
      `select to_jsonb(app_public.businesses_admin_queue_counts(b)) as c from app_public.businesses b where b.id = $1`,
      [business.businessId],
    );
    expect(counts.c).toEqual({ queues: 2, open_queues: 1, waiting: 1 });
  });
});

describe("suspend and reactivate: the billing state machine", () => {
  it("suspends an active account: queues closed, customers told, event by the admin, audit with before/after", async () => {
    const business = await createBusiness(db(), { plan: "pro" });
    const entry = await join(db(), business.qrToken, phone(10));
    const customer = await linkCustomer(db(), business.userId);
    await applyStripe("subscription", subscription({ customer, status: "active", plan: "pro" }));
    expect((await account(business.userId)).status).toBe("active");

    expect(await suspend(business.userId, "  Fraude signalée par la banque  ")).toEqual([{ subscription_status: "suspended" }]);
    expect(await account(business.userId)).toEqual({ status: "suspended", plan: "pro", held: true });
    const { rows: queue } = await db().root.query("select is_queue_active from app_public.queues where id = $1", [business.queueId]);
    expect(queue[0].is_queue_active).toBe(false);
    const { rows: entries } = await db().root.query("select status from app_public.queue_entries where entry_token = $1", [entry.entry_token]);
    expect(entries[0].status).toBe("cancelled");
    const { rows: told } = await db().root.query(
      "select count(*)::int as n from app_public.sms_logs where user_id = $1 and message_type = 'cancelled'",
      [business.userId],
    );
    expect(told[0].n).toBe(1);
    expect((await events(business.userId)).at(-1)).toEqual({
      event_type: "status_changed",
      actor: "admin",
      detail: { from: "active", to: "suspended", reason: "Fraude signalée par la banque" },
    });
    expect(await audit(business.userId)).toEqual([
      {
        admin_id: adminId,
        action: "suspend_account",
        before: { status: "active", plan: "pro", suspendedByAdmin: false },
        after: { status: "suspended", plan: "pro", suspendedByAdmin: true },
        reason: "Fraude signalée par la banque",
      },
    ]);
    // Customers cannot join a suspended account's business (4004), even once the queue is reopened by the system.
    await db().root.query("update app_public.queues set is_queue_active = true where id = $1", [business.queueId]);
    expect(await codeOf(join(db(), business.qrToken, phone(11)))).toBe("WT404");
    await db().root.query("update app_public.queues set is_queue_active = false where id = $1", [business.queueId]);

    // The merchant may change nothing, and is told who suspended the account (ACCOUNT_SUSPENDED, WTSUS).
    const refused = await failure(
      asRole(db(), "waitify_merchant", (client) => client.query("update app_public.businesses set name = 'Autre' where id = $1", [business.businessId]), {
        userId: business.userId,
      }),
    );
    expect(refused).toMatchObject({ code: "WTSUS", message: expect.stringContaining("équipe Waitify") });

    // Stripe's next word (a paid invoice) does not lift the admin's suspension.
    await applyStripe("invoice", invoice({ customer, status: "paid", amountDue: 4900 }));
    expect((await account(business.userId)).status).toBe("suspended");

    // Reactivated: back to what the subscription implies (active), the hold gone.
    expect(await reactivate(business.userId)).toEqual([{ subscription_status: "active" }]);
    expect(await account(business.userId)).toEqual({ status: "active", plan: "pro", held: false });
    expect((await events(business.userId)).at(-1)).toEqual({
      event_type: "status_changed",
      actor: "admin",
      detail: { from: "suspended", to: "active", reason: "Vérification faite" },
    });
    expect((await audit(business.userId)).map((row) => [row.action, row.before, row.after])).toEqual([
      ["suspend_account", { status: "active", plan: "pro", suspendedByAdmin: false }, { status: "suspended", plan: "pro", suspendedByAdmin: true }],
      ["reactivate_account", { status: "suspended", plan: "pro", suspendedByAdmin: true }, { status: "active", plan: "pro", suspendedByAdmin: false }],
    ]);
    // The suspension's own rule is the webhook's again: a later event recomputes normally.
    await applyStripe("subscription", subscription({ customer, status: "past_due", plan: "pro" }));
    expect((await account(business.userId)).status).toBe("past_due");
  });

  it("reactivates a never-subscribed account to its trial while it runs, to read-only once it ended", async () => {
    const running = await createMerchant(db());
    await suspend(running.userId);
    expect(await reactivate(running.userId)).toEqual([{ subscription_status: "trial" }]);

    const ended = await createMerchant(db());
    await db().root.query("update app_public.users set trial_ends_at = now() - interval '1 day' where id = $1", [ended.userId]);
    await suspend(ended.userId);
    expect(await reactivate(ended.userId)).toEqual([{ subscription_status: "read_only" }]);
    expect((await events(ended.userId)).map((row) => [row.detail.from, row.detail.to, row.actor])).toEqual([
      ["trial", "suspended", "admin"],
      ["suspended", "read_only", "admin"],
    ]);
  });

  it("reactivates to Stripe's trial when the subscription is trialing, to the trial when it never started", async () => {
    const merchant = await createMerchant(db());
    const customer = await linkCustomer(db(), merchant.userId);
    await applyStripe("subscription", subscription({ customer, status: "trialing", plan: "basic" }));
    await suspend(merchant.userId);
    expect(await reactivate(merchant.userId)).toEqual([{ subscription_status: "trial" }]);

    // A checkout whose first payment failed (incomplete) decides nothing: the trial, as never subscribed.
    const started = await createMerchant(db());
    const its = await linkCustomer(db(), started.userId);
    await applyStripe("subscription", subscription({ customer: its, status: "incomplete", plan: "pro" }));
    await suspend(started.userId);
    expect(await reactivate(started.userId)).toEqual([{ subscription_status: "trial" }]);
  });

  it("refuses, coded: already suspended (by an admin or by the dunning), not suspended, unpaid, unknown, bad reason, no live admin", async () => {
    const merchant = await createMerchant(db());
    expect(await codeOf(reactivate(merchant.userId))).toBe("WTNSU");
    await suspend(merchant.userId);
    expect(await codeOf(suspend(merchant.userId))).toBe("WTASU");

    // Suspended by the dunning (three failed attempts): suspending is refused,
    // reactivating too (ACCOUNT_UNPAID), and nothing changes.
    const unpaid = await createMerchant(db());
    const customer = await linkCustomer(db(), unpaid.userId);
    await applyStripe("subscription", subscription({ customer, status: "active", plan: "basic" }));
    await applyStripe("invoice", invoice({ customer, status: "open", amountDue: 1900, attemptCount: 3 }));
    expect((await account(unpaid.userId)).status).toBe("suspended");
    expect(await codeOf(suspend(unpaid.userId))).toBe("WTASU");
    const before = await events(unpaid.userId);
    expect(await failure(reactivate(unpaid.userId))).toMatchObject({ code: "WTUNP", message: expect.stringContaining("factures impayées") });
    expect(await account(unpaid.userId)).toEqual({ status: "suspended", plan: "basic", held: false });
    expect(await events(unpaid.userId)).toEqual(before);
    expect(await audit(unpaid.userId)).toEqual([]);

    expect(await codeOf(suspend("00000000-0000-4000-8000-000000000000"))).toBe("WTNFD");
    expect(await codeOf(reactivate("00000000-0000-4000-8000-000000000000"))).toBe("WTNFD");
    const other = await createMerchant(db());
    expect(await codeOf(suspend(other.userId, "no"))).toBe("WTVAL");
    expect(await codeOf(suspend(other.userId, "   ab   "))).toBe("WTVAL");
    expect(await codeOf(suspend(other.userId, "x".repeat(501)))).toBe("WTVAL");
    expect(await codeOf(admin("select app_public.admin_suspend_account($1, null)", [other.userId]))).toBe("WTVAL");
    expect(await codeOf(asAdminOf(null, (client) => client.query("select app_public.admin_suspend_account($1, 'Une raison')", [other.userId])))).toBe(
      "WTFRB",
    );
    expect((await account(other.userId)).status).toBe("trial");
    expect(await audit(other.userId)).toEqual([]);
  });

  it("two admins suspending the same account at once: one suspension, one ACCOUNT_ALREADY_SUSPENDED, one event, one audit row", async () => {
    const business = await createBusiness(db(), { plan: "pro" });
    const second = (await createAdmin(db())).adminId;
    const clients = [adminId, second].map(() => new pg.Client({ connectionString: withDatabase(db().rootUrl, db().name) }));
    await Promise.all(clients.map((client) => client.connect()));
    const gate = await db().root.connect();
    try {
      // Both calls wait behind a lock on the account row, then contend at once.
      await gate.query("begin");
      await gate.query("select 1 from app_public.users where id = $1 for update", [business.userId]);
      const calls = clients.map(async (client, i) => {
        await client.query("set role waitify_admin");
        await client.query("select set_config('jwt.claims.admin_id', $1, false)", [[adminId, second][i]]);
        try {
          await client.query("select app_public.admin_suspend_account($1, $2)", [business.userId, `Raison ${i}`]);
          return "ok";
        } catch (error) {
          return (error as { code: string }).code;
        }
      });
      const pids = clients.map((client) => (client as unknown as { processID: number }).processID);
      for (let attempt = 0; ; attempt++) {
        const { rows } = await gate.query<{ n: number }>(
          "select count(*)::int as n from pg_stat_activity where pid = any($1) and wait_event_type = 'Lock'",
          [pids],
        );
        if (rows[0]!.n === pids.length) break;
        if (attempt > 500) throw new Error("the calls did not reach the lock");
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await gate.query("commit");
      expect((await Promise.all(calls)).sort()).toEqual(["WTASU", "ok"]);
    } finally {
      gate.release();
      await Promise.all(clients.map((client) => client.end()));
    }
    expect((await events(business.userId)).filter((row) => row.detail.to === "suspended")).toHaveLength(1);
    expect(await audit(business.userId)).toHaveLength(1);
    const { rows } = await db().root.query("select count(*)::int as n from app_public.queue_events where user_id = $1 and event_type = 'queue_closed'", [
      business.userId,
    ]);
    expect(rows[0].n).toBe(1);
  });
});

describe("change of plan by an admin", () => {
  it("moves an account without a Stripe subscription, within the business limit, audited", async () => {
    const business = await createBusiness(db(), { plan: "pro" });
    await createBusiness(db(), { merchant: business.merchant });
    // Two active businesses: basic (1) is refused with the existing coded error.
    expect(await failure(changePlan(business.userId, "basic"))).toMatchObject({ code: "WTPLN", message: expect.stringContaining("« basic »") });
    expect(await changePlan(business.userId, "enterprise")).toEqual([{ name: "enterprise" }]);
    expect(await account(business.userId)).toMatchObject({ plan: "enterprise" });
    expect((await events(business.userId)).at(-1)).toEqual({
      event_type: "plan_changed",
      actor: "admin",
      detail: { from: "pro", to: "enterprise", reason: "Geste commercial" },
    });
    expect((await audit(business.userId)).map((row) => [row.action, row.before, row.after, row.reason])).toEqual([
      [
        "change_plan",
        { status: "active", plan: "pro", suspendedByAdmin: false },
        { status: "active", plan: "enterprise", suspendedByAdmin: false },
        "Geste commercial",
      ],
    ]);
    // The same plan again: nothing changes, nothing is recorded.
    expect(await changePlan(business.userId, "enterprise")).toEqual([{ name: "enterprise" }]);
    expect(await audit(business.userId)).toHaveLength(1);
    expect(await codeOf(changePlan(business.userId, "platinum"))).toBe("WTNFD");
    expect(await codeOf(changePlan("00000000-0000-4000-8000-000000000000", "pro"))).toBe("WTNFD");
    expect(await codeOf(changePlan(business.userId, "pro", ""))).toBe("WTVAL");
  });

  it("refuses an account with a live Stripe subscription (PLAN_MANAGED_BY_STRIPE), not one whose subscription ended", async () => {
    const merchant = await createMerchant(db());
    const customer = await linkCustomer(db(), merchant.userId);
    const sub = subscription({ customer, status: "active", plan: "basic" });
    await applyStripe("subscription", sub);
    expect(await codeOf(changePlan(merchant.userId, "pro"))).toBe("WTPMS");
    expect(await account(merchant.userId)).toMatchObject({ plan: "basic" });
    await applyStripe("subscription", { ...sub, status: "canceled", canceled_at: Math.floor(Date.now() / 1000) });
    expect((await account(merchant.userId)).status).toBe("cancelled");
    expect(await changePlan(merchant.userId, "pro")).toEqual([{ name: "pro" }]);
  });
});
