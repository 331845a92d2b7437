// The back office's accounts over HTTP (db/admin/tenants*.sql): an admin
// created in the database lists, searches and pages the accounts, reads one
// account's detail, suspends, reactivates and changes a plan; a merchant and
// an anonymous caller have none of these operations in their schema; an
// admin-role token without an admin row (adminHeaders) is refused, coded.
import { beforeAll, describe, expect, it } from "vitest";
import { adminHeaders } from "../helpers/auth.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { createAdmin, createBusiness, createMerchant, join, phone, type TestMerchant } from "../helpers/fixtures.ts";
import { useTestServer } from "../helpers/server.ts";
import { linkCustomer, seedStripePrices, subscription } from "../helpers/stripe-objects.ts";

const db = useTestDatabase();
const server = useTestServer(db);
let headers: Record<string, string>;
let tag: string;
const merchants: TestMerchant[] = [];

beforeAll(async () => {
  await seedStripePrices(db());
  headers = (await createAdmin(db())).headers;
  tag = `t${Date.now().toString(36)}`;
  for (const [name, firstName] of [["anne", "Anne"], ["bruno", "Bruno"], ["chloe", "Chloé"]] as const) {
    merchants.push(await createMerchant(db(), { email: `${name}.${tag}@example.test`, firstName }));
  }
});

const LIST = `query ($search: String, $status: SubscriptionStatus, $plan: String, $first: Int, $after: Cursor, $orderBy: [UserOrderBy!]) {
  adminAccounts(search: $search, status: $status, plan: $plan, first: $first, after: $after, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      rowId email firstName subscriptionStatus createdAt
      subscriptionPlanBySubscriptionPlanId { name }
      businessCount activeBusinessCount smsPartsThisMonth mrrCents lastActivityAt
    }
  }
}`;

const DETAIL = `query ($userId: UUID!) {
  adminAccount(userId: $userId) {
    email subscriptionStatus adminSuspensionReason
    adminBusinesses { nodes { name isActive adminQueueCounts { queues openQueues waiting } } }
    billingStatementsByUserId { totalCount }
    adminPayments { totalCount nodes { number status amountPaidCents } }
    accountEventsByUserId(orderBy: PRIMARY_KEY_ASC) { nodes { eventType actor detail } }
    adminAuditEntries { nodes { action reason before after } }
  }
}`;

const SUSPEND = `mutation ($userId: UUID!, $reason: String!) {
  adminSuspendAccount(input: { userId: $userId, reason: $reason }) { result { subscriptionStatus adminSuspensionReason } }
}`;
const REACTIVATE = `mutation ($userId: UUID!, $reason: String!) {
  adminReactivateAccount(input: { userId: $userId, reason: $reason }) { result { subscriptionStatus } }
}`;
const CHANGE_PLAN = `mutation ($userId: UUID!, $plan: String!, $reason: String!) {
  adminChangeAccountPlan(input: { userId: $userId, plan: $plan, reason: $reason }) {
    result { subscriptionPlanBySubscriptionPlanId { name } }
  }
}`;

interface ListAnswer {
  adminAccounts: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    nodes: Array<Record<string, unknown> & { email: string }>;
  };
}

interface DetailAnswer {
  adminAccount: {
    subscriptionStatus: string;
    adminBusinesses: { nodes: Array<{ name: string; isActive: boolean; adminQueueCounts: Record<string, number> }> };
    accountEventsByUserId: { nodes: Array<Record<string, unknown>> };
    adminAuditEntries: { nodes: Array<Record<string, unknown>> };
  };
}

const codes = (body: { errors?: Array<{ extensions?: { code?: string } }> }) => (body.errors ?? []).map((error) => error.extensions?.code);

describe("the admin's list of accounts", () => {
  it("searches (literal, case-insensitive), pages newest first and shows each account's figures", async () => {
    const first = await server().graphql<ListAnswer>(LIST, { search: tag.toUpperCase(), first: 2 }, headers);
    expect(first.body.errors).toBeUndefined();
    const page1 = first.body.data!.adminAccounts;
    expect(page1.totalCount).toBe(3);
    expect(page1.nodes.map((node) => node.email)).toEqual([`chloe.${tag}@example.test`, `bruno.${tag}@example.test`]);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const second = await server().graphql<ListAnswer>(LIST, { search: tag, first: 2, after: page1.pageInfo.endCursor }, headers);
    expect(second.body.data!.adminAccounts.nodes.map((node) => node.email)).toEqual([`anne.${tag}@example.test`]);
    expect(second.body.data!.adminAccounts.pageInfo.hasNextPage).toBe(false);
    expect(page1.nodes[0]).toMatchObject({
      rowId: merchants[2]!.userId,
      subscriptionStatus: "trial",
      subscriptionPlanBySubscriptionPlanId: { name: "basic" },
      businessCount: 0,
      activeBusinessCount: 0,
      smsPartsThisMonth: 0,
      mrrCents: 0,
    });
    // Signing up signs in: the last activity is the registration's sign-in.
    expect(Date.parse(page1.nodes[0]!.lastActivityAt as string)).toBeGreaterThanOrEqual(Date.parse(page1.nodes[0]!.createdAt as string));

    // Keyset cursors (orderBy: the list's own order, made explicit): the same pages, and the
    // next page's SQL filters on (created_at, id) instead of skipping rows.
    const byKey = { search: tag, first: 2, orderBy: ["CREATED_AT_DESC", "PRIMARY_KEY_DESC"] };
    const keyed1 = await server().graphql<ListAnswer>(LIST, byKey, headers);
    const keyed1Page = keyed1.body.data!.adminAccounts;
    expect(keyed1Page.nodes.map((node) => node.email)).toEqual(page1.nodes.map((node) => node.email));
    const keyed2 = await server().graphql<ListAnswer>(LIST, { ...byKey, after: keyed1Page.pageInfo.endCursor }, headers);
    expect(keyed2.body.data!.adminAccounts.nodes.map((node) => node.email)).toEqual([`anne.${tag}@example.test`]);

    // Wildcards are literal: "_" matches no letter, "%" nothing but a "%".
    const wildcard = await server().graphql<ListAnswer>(LIST, { search: `anne_${tag}` }, headers);
    expect(wildcard.body.data!.adminAccounts.totalCount).toBe(0);
    const percent = await server().graphql<ListAnswer>(LIST, { search: `%${tag}` }, headers);
    expect(percent.body.data!.adminAccounts.totalCount).toBe(0);
    // The name too, accents and case folded.
    const byName = await server().graphql<ListAnswer>(LIST, { search: `CHLOÉ ${tag.slice(0, 0)}` }, headers);
    expect(byName.body.data!.adminAccounts.nodes.map((node) => node.email)).toContain(`chloe.${tag}@example.test`);
    // Filters.
    const trials = await server().graphql<ListAnswer>(LIST, { search: tag, status: "trial", plan: "basic" }, headers);
    expect(trials.body.data!.adminAccounts.totalCount).toBe(3);
    const pro = await server().graphql<ListAnswer>(LIST, { search: tag, plan: "pro" }, headers);
    expect(pro.body.data!.adminAccounts.totalCount).toBe(0);
  });

  it("refuses a NUL in the search and a page over the API's maximum, coded", async () => {
    const nul = await server().graphql(LIST, { search: `a\u0000b` }, headers);
    expect(codes(nul.body)).toEqual(["INVALID_TEXT"]);
    const huge = await server().graphql(LIST, { first: 100_000 }, headers);
    expect(codes(huge.body)).toEqual(["PAGE_TOO_LARGE"]);
  });
});

describe("the cost of a page", () => {
  // PostgreSQL's own count of calls of users_mrr_cents (track_functions), once
  // every backend has reported its statistics.
  async function mrrCalls(): Promise<number> {
    await db().root.query("select pg_stat_force_next_flush()");
    const { rows } = await db().root.query<{ calls: number }>(
      "select coalesce(sum(calls), 0)::int as calls from pg_stat_user_functions where schemaname = 'app_public' and funcname = 'users_mrr_cents'",
    );
    return rows[0]!.calls;
  }

  it("a page deep in the list computes the figures of its own rows only (keyset by default), unlike offset", async () => {
    const many = `m${Date.now().toString(36)}`;
    await db().root.query(
      `insert into app_public.users (email, subscription_plan_id, trial_ends_at)
       select format('%s-%s@example.test', $1::text, g), (select id from app_public.subscription_plans where name = 'basic'), now()
         from generate_series(1, 40) g`,
      [many],
    );
    await db().root.query(`alter database ${db().name} set track_functions = 'pl'`);
    // A new server: its connections start with track_functions on.
    const { startTestServer } = await import("../helpers/server.ts");
    const counted = await startTestServer(db());
    try {
      const page = `query ($after: Cursor, $offset: Int) {
        adminAccounts(search: "${many}", first: 5, after: $after, offset: $offset) { pageInfo { endCursor } nodes { email mrrCents } }
      }`;
      let after: string | null = null;
      for (let i = 0; i < 6; i++) {
        const answer: { body: { data?: ListAnswer } } = await counted.graphql<ListAnswer>(page, { after }, headers);
        after = answer.body.data!.adminAccounts.pageInfo.endCursor;
      }
      // Polls: an idle backend reports its counts up to 10 s later (PGSTAT_IDLE_INTERVAL).
      const settle = async (expected: (n: number) => boolean) => {
        for (let i = 0; i < 150; i++) {
          const n = await mrrCalls();
          if (expected(n)) return n;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return mrrCalls();
      };
      const base = await settle((n) => n >= 30);
      expect(base).toBe(30);
      const deep = await counted.graphql<ListAnswer>(page, { after }, headers);
      expect(deep.body.data!.adminAccounts.nodes).toHaveLength(5);
      expect(await settle((n) => n >= base + 5)).toBe(base + 5);
      // offset numbers the rows: the 30 skipped are computed too.
      await counted.graphql<ListAnswer>(page, { offset: 30 }, headers);
      expect(await settle((n) => n >= base + 5 + 35)).toBe(base + 5 + 35);
    } finally {
      await counted.close();
      await db().root.query(`alter database ${db().name} reset track_functions`);
    }
  }, 90_000);
});

describe("one account, suspended and reactivated by an admin", () => {
  it("shows the detail; suspend closes the queues and is audited; a second suspension is refused; reactivate returns to the trial", async () => {
    const business = await createBusiness(db(), { plan: "basic", name: "Pharmacie du Port" });
    await db().root.query("update app_public.users set subscription_status = 'trial' where id = $1", [business.userId]);
    await join(db(), business.qrToken, phone(1));

    const unknown = await server().graphql(DETAIL, { userId: "00000000-0000-4000-8000-000000000000" }, headers);
    expect(codes(unknown.body)).toEqual(["NOT_FOUND"]);

    const before = await server().graphql<DetailAnswer>(DETAIL, { userId: business.userId }, headers);
    expect(before.body.errors).toBeUndefined();
    expect(before.body.data!.adminAccount.adminBusinesses.nodes).toEqual([
      { name: "Pharmacie du Port", isActive: true, adminQueueCounts: { queues: 1, openQueues: 1, waiting: 1 } },
    ]);

    const tooShort = await server().graphql(SUSPEND, { userId: business.userId, reason: "no" }, headers);
    expect(codes(tooShort.body)).toEqual(["VALIDATION"]);
    const suspended = await server().graphql(SUSPEND, { userId: business.userId, reason: "Plainte de clients" }, headers);
    expect(suspended.body).toEqual({
      data: { adminSuspendAccount: { result: { subscriptionStatus: "suspended", adminSuspensionReason: "Plainte de clients" } } },
    });
    const again = await server().graphql(SUSPEND, { userId: business.userId, reason: "Plainte de clients" }, headers);
    expect(codes(again.body)).toEqual(["ACCOUNT_ALREADY_SUSPENDED"]);

    const after = await server().graphql<DetailAnswer>(DETAIL, { userId: business.userId }, headers);
    const detail = after.body.data!.adminAccount;
    expect(detail.subscriptionStatus).toBe("suspended");
    expect(detail.adminBusinesses.nodes[0]!.adminQueueCounts).toEqual({ queues: 1, openQueues: 0, waiting: 0 });
    expect(detail.accountEventsByUserId.nodes.at(-1)).toEqual({
      eventType: "status_changed",
      actor: "admin",
      detail: { from: "trial", to: "suspended", reason: "Plainte de clients" },
    });
    expect(detail.adminAuditEntries.nodes).toEqual([
      {
        action: "suspend_account",
        reason: "Plainte de clients",
        before: { status: "trial", plan: "basic", suspendedByAdmin: false },
        after: { status: "suspended", plan: "basic", suspendedByAdmin: true },
      },
    ]);

    const reactivated = await server().graphql(REACTIVATE, { userId: business.userId, reason: "Plainte classée" }, headers);
    expect(reactivated.body).toEqual({ data: { adminReactivateAccount: { result: { subscriptionStatus: "trial" } } } });
    const notSuspended = await server().graphql(REACTIVATE, { userId: business.userId, reason: "Plainte classée" }, headers);
    expect(codes(notSuspended.body)).toEqual(["ACCOUNT_NOT_SUSPENDED"]);
  });

  it("two admins suspending the same account at once: one suspension, one ACCOUNT_ALREADY_SUSPENDED, one event", async () => {
    const merchant = await createMerchant(db());
    const other = (await createAdmin(db())).headers;
    const answers = await Promise.all(
      [headers, other].map((who, i) => server().graphql(SUSPEND, { userId: merchant.userId, reason: `Raison ${i}` }, who)),
    );
    const outcomes = answers.map((answer) => (answer.body.errors ? codes(answer.body)[0] : "ok")).sort();
    expect(outcomes).toEqual(["ACCOUNT_ALREADY_SUSPENDED", "ok"]);
    const { rows } = await db().root.query(
      "select count(*)::int as n from app_public.account_events where user_id = $1 and event_type = 'status_changed'",
      [merchant.userId],
    );
    expect(rows[0].n).toBe(1);
    const audit = await db().root.query("select count(*)::int as n from app_public.admin_audit_log where target_id = $1", [merchant.userId]);
    expect(audit.rows[0].n).toBe(1);
  });
});

describe("the admin's change of plan", () => {
  it("respects the business limit, refuses a Stripe-billed account, moves the others", async () => {
    const business = await createBusiness(db(), { plan: "pro" });
    await createBusiness(db(), { merchant: business.merchant });
    const limit = await server().graphql(CHANGE_PLAN, { userId: business.userId, plan: "basic", reason: "Demande du client" }, headers);
    expect(codes(limit.body)).toEqual(["PLAN_LIMIT"]);
    const moved = await server().graphql(CHANGE_PLAN, { userId: business.userId, plan: "enterprise", reason: "Demande du client" }, headers);
    expect(moved.body).toEqual({
      data: { adminChangeAccountPlan: { result: { subscriptionPlanBySubscriptionPlanId: { name: "enterprise" } } } },
    });

    const paying = await createMerchant(db());
    const customer = await linkCustomer(db(), paying.userId);
    await db().root.query("select app_private.apply_stripe_subscription($1)", [
      JSON.stringify(subscription({ customer, status: "active", plan: "basic" })),
    ]);
    const stripe = await server().graphql(CHANGE_PLAN, { userId: paying.userId, plan: "pro", reason: "Demande du client" }, headers);
    expect(codes(stripe.body)).toEqual(["PLAN_MANAGED_BY_STRIPE"]);
  });
});

describe("who may", () => {
  it("a merchant and an anonymous caller have no admin operation; an admin token without an admin row is refused", async () => {
    const merchant = await createMerchant(db());
    for (const who of [merchant.headers, {}]) {
      for (const [query, variables] of [
        [LIST, {}],
        [DETAIL, { userId: merchant.userId }],
        [SUSPEND, { userId: merchant.userId, reason: "Je me suspends" }],
        [REACTIVATE, { userId: merchant.userId, reason: "Je me réactive" }],
        [CHANGE_PLAN, { userId: merchant.userId, plan: "enterprise", reason: "Je me fais un cadeau" }],
      ] as const) {
        const answer = await server().graphql(query, variables, who);
        expect(codes(answer.body)).toContain("GRAPHQL_VALIDATION_FAILED");
      }
    }
    const noRow = adminHeaders();
    expect(codes((await server().graphql(SUSPEND, { userId: merchant.userId, reason: "Sans compte admin" }, noRow)).body)).toEqual(["FORBIDDEN"]);
    expect(codes((await server().graphql(CHANGE_PLAN, { userId: merchant.userId, plan: "pro", reason: "Sans compte" }, noRow)).body)).toEqual([
      "FORBIDDEN",
    ]);
    expect(codes((await server().graphql(LIST, {}, noRow)).body)).toEqual(["FORBIDDEN"]);
    const { rows } = await db().root.query("select subscription_status, subscription_plan_id from app_public.users where id = $1", [merchant.userId]);
    expect(rows[0].subscription_status).toBe("trial");
    const audit = await db().root.query("select count(*)::int as n from app_public.admin_audit_log where target_id = $1", [merchant.userId]);
    expect(audit.rows[0].n).toBe(0);
  });
});
