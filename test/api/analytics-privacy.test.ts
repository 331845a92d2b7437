// Retention and privacy end to end, over real HTTP with a real worker: a day
// of queue activity through the API (joins, calls, served, missed, a
// cancellation; SMS sent by the worker), moved 100 days into the past; the
// daily figures stored; then forgetCustomer, the phone erasure and the
// retention jobs — the numbers are gone, the visits too, the analytics read
// the same, and another merchant sees none of it.
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../helpers/db.ts";
import { createBusiness, createMerchant, type BusinessFixture } from "../helpers/fixtures.ts";
import { useTestServer } from "../helpers/server.ts";

const db = useTestDatabase();
const server = useTestServer(db, { worker: true, schedule: false });

const JOIN = `mutation($qrToken: String!, $phone: String!, $name: String) {
  joinQueue(input: { qrToken: $qrToken, phone: $phone, clientName: $name }) { result { entryToken } }
}`;
const CALL = `mutation($queueId: UUID!) { callNext(input: { queueId: $queueId }) { result { rowId } } }`;
const entryOp = (name: string) => `mutation($entryId: UUID!) { ${name}(input: { entryId: $entryId }) { result { status } } }`;
const CANCEL = `mutation($entryToken: String!) { cancelEntry(input: { entryToken: $entryToken }) { result { status } } }`;
const FORGET = `mutation($phone: String!) { forgetCustomer(input: { phone: $phone }) { erasure { entriesErased smsLogsErased visitsInProgress createdAt } } }`;
const DAILY = `query($id: UUID!, $day: Date!) {
  businessAnalyticsDaily(businessId: $id, from: $day, to: $day) {
    nodes { date clientsRegistered clientsServed clientsMissed clientsCancelled averageWaitMinutes peakQueueSize smsMessages smsParts abandonmentRate }
  }
}`;

let shop: BusinessFixture;
let day: string;
const customers = ["06 11 22 33 01", "06 11 22 33 02", "06 11 22 33 03"];

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  const merchant = await createMerchant(db(), { plan: "enterprise" });
  shop = await createBusiness(db(), { merchant, name: "Boulangerie du Marché" });
  const as = merchant.headers;
  const tokens: string[] = [];
  for (const [i, phone] of customers.entries()) {
    const joined = await server().graphql<{ joinQueue: { result: { entryToken: string } } }>(JOIN, {
      qrToken: shop.qrToken,
      phone,
      name: i === 0 ? "Camille" : null,
    });
    tokens.push(joined.body.data!.joinQueue.result.entryToken);
  }
  const first = await server().graphql<{ callNext: { result: { rowId: string } } }>(CALL, { queueId: shop.queueId }, as);
  await server().graphql(entryOp("markServed"), { entryId: first.body.data!.callNext.result.rowId }, as);
  const second = await server().graphql<{ callNext: { result: { rowId: string } } }>(CALL, { queueId: shop.queueId }, as);
  await server().graphql(entryOp("markMissed"), { entryId: second.body.data!.callNext.result.rowId }, as);
  await server().graphql(CANCEL, { entryToken: tokens[2] });
  // The worker sends every SMS (log sender).
  await waitFor(
    async () =>
      (await db().root.query("select count(*)::int as n from app_public.sms_logs where business_id = $1 and status = 'pending'", [shop.businessId]))
        .rows[0].n === 0,
    "the SMS to be sent",
  );
  // The whole day moves 100 days back, as if it were that old.
  const shift = "interval '100 days'";
  await db().root.query(`update app_public.businesses set created_at = created_at - interval '200 days' where id = $1`, [shop.businessId]);
  await db().root.query(
    `update app_public.queue_entries set joined_at = joined_at - ${shift}, called_at = called_at - ${shift}, served_at = served_at - ${shift},
       missed_at = missed_at - ${shift}, cancelled_at = cancelled_at - ${shift} where business_id = $1`,
    [shop.businessId],
  );
  await db().root.query(`update app_public.queue_events set created_at = created_at - ${shift} where business_id = $1`, [shop.businessId]);
  await db().root.query(
    `update app_public.sms_logs set created_at = created_at - ${shift}, sent_at = sent_at - ${shift}, delivered_at = delivered_at - ${shift}
      where business_id = $1`,
    [shop.businessId],
  );
  const { rows } = await db().root.query<{ day: string }>(
    "select to_char((min(joined_at) at time zone 'Europe/Paris')::date, 'YYYY-MM-DD') as day from app_public.queue_entries where business_id = $1",
    [shop.businessId],
  );
  day = rows[0]!.day;
  await db().root.query("select app_private.compute_analytics_daily($1::date - 1, $1::date + 1)", [day]);
});

describe("after forgetCustomer, the phone erasure and the retention jobs", () => {
  it("the numbers and the visits are gone, the analytics unchanged, another merchant sees none of it", async () => {
    const as = shop.merchant.headers;
    const before = await server().graphql<{ businessAnalyticsDaily: { nodes: Record<string, unknown>[] } }>(DAILY, { id: shop.businessId, day }, as);
    expect(before.body.data!.businessAnalyticsDaily.nodes).toEqual([
      expect.objectContaining({ date: day, clientsRegistered: 3, clientsServed: 1, clientsMissed: 1, clientsCancelled: 1, peakQueueSize: 3 }),
    ]);
    const smsBefore = before.body.data!.businessAnalyticsDaily.nodes[0]!.smsMessages as number;
    expect(smsBefore).toBeGreaterThanOrEqual(6);

    const forgotten = await server().graphql<{ forgetCustomer: { erasure: Record<string, unknown> } }>(FORGET, { phone: customers[0] }, as);
    expect(forgotten.body.errors).toBeUndefined();
    expect(forgotten.body.data!.forgetCustomer.erasure).toMatchObject({ entriesErased: 1, visitsInProgress: 0 });
    expect(forgotten.body.data!.forgetCustomer.erasure.smsLogsErased).toBeGreaterThanOrEqual(2);

    await db().root.query("select app_private.erase_expired_phones()");
    const numbers = await db().root.query(
      `select (select count(*) from app_public.queue_entries where business_id = $1 and (phone is not null or client_name is not null))::int as entries,
              (select count(*) from app_public.sms_logs where business_id = $1 and phone is not null)::int as sms`,
      [shop.businessId],
    );
    expect(numbers.rows[0]).toEqual({ entries: 0, sms: 0 });

    const deleted = await db().root.query("select * from app_private.run_analytics_retention()");
    expect(deleted.rows[0].entries_deleted).toBe(3);
    const left = await db().root.query("select count(*)::int as n from app_public.queue_entries where business_id = $1", [shop.businessId]);
    expect(left.rows[0].n).toBe(0);

    const after = await server().graphql(DAILY, { id: shop.businessId, day }, as);
    expect(after.body).toEqual(before.body);

    // Another merchant: nothing of it, whatever the way in.
    const stranger = await createMerchant(db());
    const theirs = await server().graphql(DAILY, { id: shop.businessId, day }, stranger.headers);
    expect(theirs.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const history = await server().graphql<{ analyticsDailyHistory: { nodes: unknown[] } }>(
      `query($day: Date!) { analyticsDailyHistory(from: $day, to: $day) { nodes { businessId } } }`,
      { day },
      stranger.headers,
    );
    expect(history.body.data!.analyticsDailyHistory.nodes).toEqual([]);
    const csv = await fetch(`${server().url}/businesses/${shop.businessId}/analytics/export.csv?from=${day}&to=${day}`, { headers: stranger.headers });
    expect(csv.status).toBe(404);
    const audit = await server().graphql<{ allCustomerErasures: { totalCount: number } }>(
      `query { allCustomerErasures { totalCount } }`,
      {},
      stranger.headers,
    );
    expect(audit.body.data?.allCustomerErasures.totalCount ?? 0).toBe(0);
    const ownAudit = await server().graphql<{ allCustomerErasures: { totalCount: number } }>(`query { allCustomerErasures { totalCount } }`, {}, as);
    expect(ownAudit.body.data!.allCustomerErasures.totalCount).toBe(1);
  });
});
