// SMS spend protection over GraphQL, with a real worker sending through a
// recording sender: the merchant sets and reads a business's daily cap
// (smsDailyCapOverride, smsDailyCap, smsPartsToday; out of bounds is a coded
// VALIDATION error); a customer whose messages are capped gets no SMS at all
// yet their status page still says "your turn"; the merchant's feed gets one
// sms_cap_reached event; a number already in three queues is refused with
// TOO_MANY_QUEUES.
import { describe, expect, it } from "vitest";
import type { SmsMessage, SmsReceipt, SmsSender } from "../../lib/sms/sender.ts";
import { ENTRY_STATUS_QUERY, describeEntry, type EntryStatus } from "../../web/status-view.js";
import { useTestDatabase } from "../helpers/db.ts";
import { createBusiness, phone } from "../helpers/fixtures.ts";
import { useTestServer } from "../helpers/server.ts";
import { eventually } from "../helpers/stripe-flow.ts";

class RecordingSender implements SmsSender {
  readonly provider = "log" as const;
  readonly sent: SmsMessage[] = [];
  async send(message: SmsMessage): Promise<SmsReceipt> {
    this.sent.push(message);
    return { messageId: `rec-${this.sent.length}`, response: {} };
  }
}

const db = useTestDatabase();
const sender = new RecordingSender();
const server = useTestServer(db, { worker: true, sms: sender });

const JOIN = `mutation Join($qrToken: String!, $phone: String!) {
  joinQueue(input: { qrToken: $qrToken, phone: $phone }) { result { entryToken status } }
}`;
const CALL_NEXT = `mutation CallNext($queueId: UUID!) { callNext(input: { queueId: $queueId }) { result { rowId phone } } }`;
const SERVED = `mutation Served($entryId: UUID!) { markServed(input: { entryId: $entryId }) { result { status } } }`;
const SET_CAP = `mutation SetCap($id: UUID!, $cap: Int) {
  updateBusinessByRowId(input: { rowId: $id, businessPatch: { smsDailyCapOverride: $cap } }) {
    business { smsDailyCapOverride smsDailyCap smsPartsToday }
  }
}`;
const CAP = `query Cap($id: UUID!) { businessByRowId(rowId: $id) { smsDailyCapOverride smsDailyCap smsPartsToday } }`;
const EVENTS = `query { allAccountEvents { nodes { eventType actor detail } } }`;

interface CapView {
  smsDailyCapOverride: number | null;
  smsDailyCap: number;
  smsPartsToday: number;
}

async function ok<T>(query: string, variables: Record<string, unknown>, headers?: Record<string, string>): Promise<T> {
  const { body } = await server().graphql<T>(query, variables, headers);
  expect(body.errors).toBeUndefined();
  return body.data!;
}

async function join(qrToken: string, phoneNumber: string): Promise<string> {
  return (await ok<{ joinQueue: { result: { entryToken: string } } }>(JOIN, { qrToken, phone: phoneNumber })).joinQueue.result.entryToken;
}

async function smsStatuses(businessId: string, phoneNumber: string): Promise<string[]> {
  const { rows } = await db().root.query<{ status: string }>(
    "select status from app_public.sms_logs where business_id = $1 and phone = $2 order by created_at",
    [businessId, phoneNumber],
  );
  return rows.map((row) => row.status);
}

describe("SMS spend protection over GraphQL", () => {
  it("the merchant sets the cap within bounds and reads it; beyond the cap a customer gets no SMS, but the status page still says it is their turn", async () => {
    const shop = await createBusiness(db(), { plan: "basic", name: "Boulangerie Paul" });
    const as = shop.merchant.headers;
    expect((await ok<{ businessByRowId: CapView }>(CAP, { id: shop.businessId }, as)).businessByRowId).toEqual({
      smsDailyCapOverride: null,
      smsDailyCap: 300,
      smsPartsToday: 0,
    });
    const refused = await server().graphql(SET_CAP, { id: shop.businessId, cap: 5000 }, as);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("VALIDATION");
    expect(refused.body.errors?.[0]?.message).toBe(
      "Le plafond quotidien de SMS doit être compris entre 1 et 1000 parts (le quota mensuel de votre forfait).",
    );
    const set = await ok<{ updateBusinessByRowId: { business: CapView } }>(SET_CAP, { id: shop.businessId, cap: 1 }, as);
    expect(set.updateBusinessByRowId.business).toEqual({ smsDailyCapOverride: 1, smsDailyCap: 1, smsPartsToday: 0 });

    // Alice's confirmation takes the day's one part; everything for Bob is capped.
    const alice = phone(1);
    const bob = phone(2);
    await join(shop.qrToken, alice);
    const bobToken = await join(shop.qrToken, bob);
    const first = await ok<{ callNext: { result: { rowId: string } } }>(CALL_NEXT, { queueId: shop.queueId }, as);
    await ok(SERVED, { entryId: first.callNext.result.rowId }, as);
    const second = await ok<{ callNext: { result: { phone: string } } }>(CALL_NEXT, { queueId: shop.queueId }, as);
    expect(second.callNext.result.phone).toBe(bob);

    await eventually(async () => sender.sent.some((message) => message.phone === alice), "Alice's confirmation sent");
    expect(await smsStatuses(shop.businessId, alice)).toEqual(["sent", "capped"]);
    expect(await smsStatuses(shop.businessId, bob)).toEqual(["capped", "capped"]);
    // Let the worker settle whatever else it might (wrongly) send.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sender.sent.map((message) => message.phone)).toEqual([alice]);

    // The status page's own query and texts: Bob is told it is his turn.
    const { body } = await server().graphql<{ entryStatus: EntryStatus }>(ENTRY_STATUS_QUERY, { t: bobToken });
    expect(body.errors).toBeUndefined();
    expect(body.data!.entryStatus.status).toBe("called");
    const view = describeEntry(body.data!.entryStatus, "fr");
    expect([view.tone, view.headline]).toEqual(["called", "C'est votre tour !"]);

    expect((await ok<{ businessByRowId: CapView }>(CAP, { id: shop.businessId }, as)).businessByRowId.smsPartsToday).toBe(1);
    const events = await ok<{ allAccountEvents: { nodes: Array<{ eventType: string; detail: Record<string, unknown> }> } }>(EVENTS, {}, as);
    expect(events.allAccountEvents.nodes.filter((event) => event.eventType === "sms_cap_reached")).toEqual([
      { eventType: "sms_cap_reached", actor: "system", detail: expect.objectContaining({ businessId: shop.businessId, capParts: 1 }) },
    ]);
  });

  it("a number already waiting in three queues cannot join a fourth: TOO_MANY_QUEUES", async () => {
    const shops = await Promise.all(
      (["fr", "fr", "fr", "en"] as const).map((language, i) => createBusiness(db(), { name: `Shop ${i}`, language })),
    );
    for (const shop of shops.slice(0, 3)) await join(shop.qrToken, phone(50));
    const { status, body } = await server().graphql(JOIN, { qrToken: shops[3]!.qrToken, phone: phone(50) });
    expect(status).toBe(200);
    expect(body.errors?.map((error) => [error.extensions?.code, error.message])).toEqual([
      ["TOO_MANY_QUEUES", "This phone number already holds a place in 3 queue(s), the most allowed: leave one before joining another."],
    ]);
  });
});
