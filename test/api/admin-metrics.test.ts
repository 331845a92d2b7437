// The SaaS metrics over GraphQL (db/admin/metrics.sql): an admin's token reads
// them, with figures worked out by hand from a small history; a merchant's and
// an anonymous request find none of the fields in their schema; bad input is a
// coded error.
import { beforeAll, describe, expect, it } from "vitest";
import { adminHeaders, bearer, merchantToken } from "../helpers/auth.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { createAdmin, createMerchant, type TestAdmin, type TestMerchant } from "../helpers/fixtures.ts";
import { useTestServer } from "../helpers/server.ts";

const db = useTestDatabase();
const server = useTestServer(db);

let shop: TestMerchant;
let salon: TestMerchant;
let admin: TestAdmin;

/** The account's subscription becomes this state on `at` (the trigger's row, dated by hand). */
async function change(userId: string, at: string, plan: string, status: string): Promise<void> {
  await db().root.query(
    `insert into app_private.subscriptions (user_id, stripe_subscription_id, stripe_status, plan_id, billing_interval, stripe_created)
     values ($1::uuid, 'sub_' || md5($1::uuid::text), $2::text, (select id from app_public.subscription_plans where name = $3), 'month', $4)
     on conflict (user_id) do update set stripe_status = excluded.stripe_status, plan_id = excluded.plan_id`,
    [userId, status, plan, at],
  );
  await db().root.query(
    "update app_private.subscription_changes set changed_at = $2 where id = (select max(id) from app_private.subscription_changes where user_id = $1)",
    [userId, at],
  );
}

// shop: basic from 2026-01-10 (1900). salon: pro from 2026-02-05 (4900), cancelled 2026-03-12.
// March: start 6800, churned 4900, end 1900; 1 of 2 accounts churned; ARPU 1900.
beforeAll(async () => {
  admin = await createAdmin(db());
  shop = await createMerchant(db());
  salon = await createMerchant(db());
  await db().root.query("update app_public.users set created_at = $2 where id = $1", [shop.userId, "2026-01-01T09:00:00Z"]);
  await db().root.query("update app_public.users set created_at = $2 where id = $1", [salon.userId, "2026-02-01T09:00:00Z"]);
  await change(shop.userId, "2026-01-10T09:00:00Z", "basic", "active");
  await change(salon.userId, "2026-02-05T09:00:00Z", "pro", "active");
  await change(salon.userId, "2026-03-12T09:00:00Z", "pro", "canceled");
});

const METRICS = `query {
  march: adminSaasMetrics(month: "2026-03-01") {
    month mrrCents arrCents payingAccounts arpuCents startMrrCents churnedMrrCents netNewMrrCents
    logoChurnPct revenueChurnPct ltvRevenueChurnPct grossMarginPct ltvCents ltvNote
  }
  adminMrrMovements(fromMonth: "2026-01-01", toMonth: "2026-03-01") { nodes { month newMrrCents churnedMrrCents endMrrCents } }
  adminMrrByPlan(month: "2026-02-01") { nodes { planName payingAccounts mrrCents sharePct } }
  adminTrialConversion(fromMonth: "2026-01-01", toMonth: "2026-02-01") { nodes { cohortMonth accounts converted medianDaysToPaid } }
  adminMrrSeries(months: 3) { nodes { month mrrCents } }
}`;

describe("SaaS metrics over GraphQL", () => {
  it("an admin reads them, with the hand-computed figures", async () => {
    const { status, body } = await server().graphql<Record<string, never>>(METRICS, {}, admin.headers);
    expect(body.errors).toBeUndefined();
    expect(status).toBe(200);
    const data = body.data! as Record<string, unknown>;
    expect(data.march).toEqual({
      month: "2026-03-01",
      mrrCents: "1900",
      arrCents: "22800",
      payingAccounts: 1,
      arpuCents: 1900,
      startMrrCents: "6800",
      churnedMrrCents: "4900",
      netNewMrrCents: "-4900",
      logoChurnPct: 50,
      revenueChurnPct: 72.06,
      // 12 months to March: 4900 ÷ (1900 + 6800) = 56.32 %; LTV 1900 × 0.8 ÷ (4900 ÷ 8700).
      ltvRevenueChurnPct: 56.32,
      grossMarginPct: 80,
      ltvCents: String(Math.round((1900 * 0.8) / (4900 / 8700))),
      ltvNote: null,
    });
    expect(data.adminMrrMovements).toEqual({
      nodes: [
        { month: "2026-01-01", newMrrCents: "1900", churnedMrrCents: "0", endMrrCents: "1900" },
        { month: "2026-02-01", newMrrCents: "4900", churnedMrrCents: "0", endMrrCents: "6800" },
        { month: "2026-03-01", newMrrCents: "0", churnedMrrCents: "4900", endMrrCents: "1900" },
      ],
    });
    expect(data.adminMrrByPlan).toEqual({
      nodes: [
        { planName: "pro", payingAccounts: 1, mrrCents: "4900", sharePct: 72.06 },
        { planName: "basic", payingAccounts: 1, mrrCents: "1900", sharePct: 27.94 },
        { planName: "enterprise", payingAccounts: 0, mrrCents: "0", sharePct: 0 },
      ],
    });
    expect(data.adminTrialConversion).toEqual({
      nodes: [
        { cohortMonth: "2026-01-01", accounts: 1, converted: 1, medianDaysToPaid: 9 },
        { cohortMonth: "2026-02-01", accounts: 1, converted: 1, medianDaysToPaid: 4 },
      ],
    });
    // Today the shop still pays basic: the last three months end at 1900.
    expect((data.adminMrrSeries as { nodes: { mrrCents: string }[] }).nodes.map((n) => n.mrrCents)).toEqual(["1900", "1900", "1900"]);
  });

  it("bad input is a coded error", async () => {
    const backwards = await server().graphql(
      `query { adminMrrMovements(fromMonth: "2026-05-01", toMonth: "2026-04-01") { nodes { month } } }`,
      {},
      admin.headers,
    );
    expect(backwards.body.errors?.[0].extensions).toMatchObject({ code: "INVALID_DATE_RANGE" });
    const tooMany = await server().graphql(`query { adminMrrSeries(months: 61) { nodes { month } } }`, {}, admin.headers);
    expect(tooMany.body.errors?.[0]).toMatchObject({ message: expect.stringContaining("61"), extensions: { code: "INVALID_DATE_RANGE" } });
  });

  it("an admin-role token that names no administrator is refused (FORBIDDEN)", async () => {
    const { body } = await server().graphql(`query { adminSaasMetrics { mrrCents } }`, {}, adminHeaders());
    expect(body.errors?.[0].extensions).toMatchObject({ code: "FORBIDDEN" });
  });

  it.each([
    ["a merchant", () => bearer(merchantToken(shop.userId))],
    ["an anonymous caller", () => ({})],
  ])("%s finds none of them in its schema", async (_who, headers) => {
    for (const field of ["adminSaasMetrics", "adminMrrSeries", "adminMrrMovements", "adminMrrByPlan", "adminTrialConversion"]) {
      const { body } = await server().graphql(`query { ${field} { __typename } }`, {}, headers());
      expect(body.data).toBeUndefined();
      expect(body.errors?.[0].message).toContain(`Cannot query field "${field}"`);
    }
    const { body } = await server().graphql(`query { __type(name: "SaasMetric") { name } }`, {}, headers());
    expect(body.data).toEqual({ __type: null });
  });
});
