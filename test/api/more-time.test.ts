// "I need 5 more minutes" over the API, as the pages use it: the customer's
// requestMoreTime (anonymous, with the entry token) reaches the merchant live
// (queueChanged: entry_more_time_requested, and moreTimeRequestedAt on the
// entry, read through GraphQL) and the customer's own live view (entryChanged);
// a second request is refused with MORE_TIME_ALREADY_USED, in the business's
// language. The SQL rules: test/db/queue/more-time.test.ts.
import { afterEach, describe, expect, it } from "vitest";
import { useTestDatabase } from "../helpers/db.ts";
import { createBusiness, createMerchant, join, phone, queueCalls } from "../helpers/fixtures.ts";
import { useTestServer } from "../helpers/server.ts";
import { connect, type TestClient } from "../helpers/subscriptions.ts";

const db = useTestDatabase();
const server = useTestServer(db);
const { call } = queueCalls(db);

const REQUEST_MORE_TIME = `mutation More($t: String!) {
  requestMoreTime(input: { entryToken: $t }) { result { status callExpiresAt moreTimeRequested canRequestMoreTime } }
}`;
const ENTRY_CHANGED = `subscription Entry($t: String!) {
  entryChanged(entryToken: $t) { status callExpiresAt moreTimeRequested canRequestMoreTime }
}`;
const QUEUE_CHANGED = `subscription Queue($queueId: UUID!) { queueChanged(queueId: $queueId) { event entryId } }`;
const ENTRIES = `query Entries($queueId: UUID!) {
  queueByRowId(rowId: $queueId) { entries { nodes { rowId status calledAt moreTimeRequestedAt } } }
}`;

interface View {
  status: string;
  callExpiresAt: string | null;
  moreTimeRequested: boolean;
  canRequestMoreTime: boolean;
}
interface Entries {
  queueByRowId: { entries: { nodes: { rowId: string; status: string; calledAt: string; moreTimeRequestedAt: string | null }[] } } | null;
}

const clients: TestClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.dispose();
});

describe("requestMoreTime over the API", () => {
  it("the merchant hears it live and reads when it was asked; the customer's live view says it; twice is refused", async () => {
    const q = await createBusiness(db(), { language: "en", clientTimeoutMinutes: 2 });
    const customer = await join(db(), q.qrToken, phone(1));
    const called = await call(q.userId, q.queueId);

    const merchant = connect(server(), { token: q.merchant.token });
    const anonymous = connect(server());
    clients.push(merchant, anonymous);
    const queueFeed = merchant.subscribe<{ queueChanged: { event: string; entryId: string | null } }>(QUEUE_CHANGED, {
      queueId: q.queueId,
    });
    const entryFeed = anonymous.subscribe<{ entryChanged: View }>(ENTRY_CHANGED, { t: customer.entry_token });
    expect((await queueFeed.nextData()).queueChanged.event).toBe("subscribed");
    const before = (await entryFeed.nextData()).entryChanged;
    expect(before).toMatchObject({ status: "called", moreTimeRequested: false, canRequestMoreTime: true });

    const asked = await server().graphql<{ requestMoreTime: { result: View } }>(REQUEST_MORE_TIME, { t: customer.entry_token });
    expect(asked.body.errors).toBeUndefined();
    const result = asked.body.data!.requestMoreTime.result;
    expect(result).toMatchObject({ status: "called", moreTimeRequested: true, canRequestMoreTime: false });
    expect(Date.parse(result.callExpiresAt!) - Date.parse(before.callExpiresAt!)).toBe(5 * 60_000);

    expect((await queueFeed.nextData()).queueChanged).toEqual({ event: "entry_more_time_requested", entryId: called.id });
    expect((await entryFeed.nextData()).entryChanged).toEqual(result);

    const entries = await server().graphql<Entries>(ENTRIES, { queueId: q.queueId }, q.merchant.headers);
    expect(entries.body.errors).toBeUndefined();
    const [row] = entries.body.data!.queueByRowId!.entries.nodes;
    expect(row!.rowId).toBe(called.id);
    expect(Date.parse(row!.moreTimeRequestedAt!)).toBeGreaterThanOrEqual(Date.parse(row!.calledAt));
    // Nobody else reads it.
    const stranger = await createMerchant(db());
    const theirs = await server().graphql<Entries>(ENTRIES, { queueId: q.queueId }, stranger.headers);
    expect(theirs.body.data?.queueByRowId ?? null).toBeNull();

    const again = await server().graphql(REQUEST_MORE_TIME, { t: customer.entry_token });
    expect(again.body.errors).toEqual([
      expect.objectContaining({
        message: "You have already asked for 5 more minutes: this can only be done once.",
        extensions: { code: "MORE_TIME_ALREADY_USED" },
      }),
    ]);
    expect(queueFeed.pending()).toEqual([]);
  });

  it("is for customers holding a token: not called → INVALID_TRANSITION; unknown token → NOT_FOUND", async () => {
    const q = await createBusiness(db());
    const customer = await join(db(), q.qrToken, phone(2));
    const early = await server().graphql(REQUEST_MORE_TIME, { t: customer.entry_token });
    expect(early.body.errors?.[0]?.extensions?.code).toBe("INVALID_TRANSITION");
    const unknown = await server().graphql(REQUEST_MORE_TIME, { t: "u".repeat(32) });
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });
});
