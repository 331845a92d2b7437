// The queue over HTTP, as the QR page and the counter screen use it: GraphQL
// names, Bearer sessions for the merchant, coded errors in `extensions`, a
// customer seeing only their own place, and concurrent joins.
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../helpers/db.ts";
import { createBusiness, createMerchant, phone } from "../helpers/fixtures.ts";
import { useTestServer, type GraphQLErrorBody } from "../helpers/server.ts";

const db = useTestDatabase();
const server = useTestServer(db);

const ENTRY_FIELDS = `entryToken status ticketNumber position peopleAhead estimatedWaitMinutes clientName
  businessName queueName language joinedAt calledAt callExpiresAt`;
const JOIN = `mutation Join($qrToken: String!, $phone: String!, $clientName: String) {
  joinQueue(input: { qrToken: $qrToken, phone: $phone, clientName: $clientName }) { result { ${ENTRY_FIELDS} } }
}`;
const STATUS = `query Status($entryToken: String!) { entryStatus(entryToken: $entryToken) { ${ENTRY_FIELDS} } }`;
const CANCEL = `mutation Cancel($entryToken: String!) { cancelEntry(input: { entryToken: $entryToken }) { result { status } } }`;
const QUEUE_STATUS = `query QueueStatus($qrToken: String!) {
  queueStatus(qrToken: $qrToken) { businessName queueName isOpen isPaused isFull canJoin waitingCount maxQueueSize estimatedWaitMinutes }
}`;
const queueOp = (name: string) => `mutation Op($queueId: UUID!) {
  ${name}(input: { queueId: $queueId }) { result { rowId isQueueActive isQueuePaused } }
}`;
const CALL_NEXT = `mutation CallNext($queueId: UUID!) {
  callNext(input: { queueId: $queueId }) { result { rowId phone clientName status ticketNumber calledAt } }
}`;
const entryOp = (name: string) => `mutation Op($entryId: UUID!) {
  ${name}(input: { entryId: $entryId }) { result { rowId status servedAt actualServiceTime missedAt } }
}`;
const WAITING = `query Waiting($queueId: UUID!) {
  queueByRowId(rowId: $queueId) {
    entries(condition: { status: "waiting" }, orderBy: JOINED_SEQ_ASC) { nodes { phone ticketNumber quotedWaitMinutes } }
    events(orderBy: ROW_ID_ASC) { nodes { eventType actor waitingCount } }
  }
}`;

interface Entry {
  entryToken: string;
  status: string;
  ticketNumber: number;
  position: number | null;
  estimatedWaitMinutes: number | null;
  [key: string]: unknown;
}

function codes(errors: GraphQLErrorBody[] | undefined) {
  return (errors ?? []).map((error) => ({ code: error.extensions?.code, number: error.extensions?.number }));
}

describe("queue over HTTP", () => {
  const join = async (qrToken: string, phoneNumber: string, clientName?: string) => {
    const { body } = await server().graphql<{ joinQueue: { result: Entry } }>(JOIN, { qrToken, phone: phoneNumber, clientName });
    return body;
  };

  it("runs a day: open, joins, positions, calls, serve, miss, cancel, pause, close — with the exact error codes", async () => {
    const merchant = await createMerchant(db());
    const q = await createBusiness(db(), { merchant, open: false, averageServiceTime: 180, name: "Pharmacie du Port" });
    const as = merchant.headers;

    // Closed until the merchant opens it.
    expect(codes((await join(q.qrToken, phone(1))).errors)).toEqual([{ code: "QUEUE_CLOSED", number: 4001 }]);
    const opened = await server().graphql<{ openQueue: { result: { isQueueActive: boolean } } }>(
      queueOp("openQueue"),
      { queueId: q.queueId },
      as,
    );
    expect(opened.body.errors).toBeUndefined();
    expect(opened.body.data!.openQueue.result.isQueueActive).toBe(true);

    // Three customers scan the QR code.
    const alice = (await join(q.qrToken, "06 12 34 56 78", "Alice")).data!.joinQueue.result;
    const bob = (await join(q.qrToken, "+33 6 98 76 54 32", "Bob")).data!.joinQueue.result;
    const carol = (await join(q.qrToken, "07 81 23 45 67")).data!.joinQueue.result;
    expect(alice).toMatchObject({ status: "waiting", position: 1, estimatedWaitMinutes: 0, ticketNumber: 1, businessName: "Pharmacie du Port" });
    expect(bob).toMatchObject({ position: 2, estimatedWaitMinutes: 3, ticketNumber: 2 });
    expect(carol).toMatchObject({ position: 3, estimatedWaitMinutes: 6, ticketNumber: 3 });
    expect(codes((await join(q.qrToken, "0612345678")).errors)).toEqual([{ code: "ALREADY_IN_QUEUE", number: 4003 }]);
    expect(codes((await join(q.qrToken, "06 12")).errors)).toEqual([{ code: "INVALID_PHONE", number: undefined }]);

    const publicStatus = await server().graphql<{ queueStatus: Record<string, unknown> }>(QUEUE_STATUS, { qrToken: q.qrToken });
    expect(publicStatus.body.data!.queueStatus).toEqual({
      businessName: "Pharmacie du Port",
      queueName: "Principale",
      isOpen: true,
      isPaused: false,
      isFull: false,
      canJoin: true,
      waitingCount: 3,
      maxQueueSize: 50,
      estimatedWaitMinutes: 9,
    });

    // The counter calls Alice; Bob moves up.
    const first = await server().graphql<{ callNext: { result: { rowId: string; phone: string; status: string } } }>(
      CALL_NEXT,
      { queueId: q.queueId },
      as,
    );
    expect(first.body.data!.callNext.result).toMatchObject({ phone: "+33612345678", status: "called", clientName: "Alice" });
    const aliceNow = await server().graphql<{ entryStatus: Entry }>(STATUS, { entryToken: alice.entryToken });
    expect(aliceNow.body.data!.entryStatus).toMatchObject({ status: "called", position: null });
    expect(aliceNow.body.data!.entryStatus.callExpiresAt).not.toBeNull();
    const bobNow = await server().graphql<{ entryStatus: Entry }>(STATUS, { entryToken: bob.entryToken });
    expect(bobNow.body.data!.entryStatus).toMatchObject({ status: "waiting", position: 1, estimatedWaitMinutes: 0 });

    // Serving a customer who was not called is not a transition.
    const waitingList = await server().graphql<{
      queueByRowId: { entries: { nodes: Array<{ phone: string }> }; events: { nodes: unknown[] } };
    }>(WAITING, { queueId: q.queueId }, as);
    expect(waitingList.body.errors).toBeUndefined();
    expect(waitingList.body.data!.queueByRowId.entries.nodes.map((n) => n.phone)).toEqual(["+33698765432", "+33781234567"]);
    const bobId = await db().root.query<{ id: string }>("select id from app_public.queue_entries where entry_token = $1", [
      bob.entryToken,
    ]);
    expect(codes((await server().graphql(entryOp("markServed"), { entryId: bobId.rows[0]!.id }, as)).body.errors)).toEqual([
      { code: "INVALID_TRANSITION", number: undefined },
    ]);

    const served = await server().graphql<{ markServed: { result: { status: string; actualServiceTime: number } } }>(
      entryOp("markServed"),
      { entryId: first.body.data!.callNext.result.rowId },
      as,
    );
    expect(served.body.data!.markServed.result).toMatchObject({ status: "served" });

    // Bob is called and does not come; Carol gives up.
    const second = await server().graphql<{ callNext: { result: { rowId: string } } }>(CALL_NEXT, { queueId: q.queueId }, as);
    const missed = await server().graphql<{ markMissed: { result: { status: string } } }>(
      entryOp("markMissed"),
      { entryId: second.body.data!.callNext.result.rowId },
      as,
    );
    expect(missed.body.data!.markMissed.result.status).toBe("missed");
    const cancelled = await server().graphql<{ cancelEntry: { result: { status: string } } }>(CANCEL, {
      entryToken: carol.entryToken,
    });
    expect(cancelled.body.data!.cancelEntry.result.status).toBe("cancelled");
    expect(codes((await server().graphql(CANCEL, { entryToken: carol.entryToken })).body.errors)).toEqual([
      { code: "INVALID_TRANSITION", number: undefined },
    ]);
    const none = await server().graphql<{ callNext: { result: null } }>(CALL_NEXT, { queueId: q.queueId }, as);
    expect(none.body.data!.callNext.result).toBeNull();

    // Pause: no joins, no calls, places kept.
    const dave = (await join(q.qrToken, phone(4))).data!.joinQueue.result;
    await server().graphql(queueOp("pauseQueue"), { queueId: q.queueId }, as);
    expect(codes((await join(q.qrToken, phone(5))).errors)).toEqual([{ code: "QUEUE_PAUSED", number: 4001 }]);
    expect(codes((await server().graphql(CALL_NEXT, { queueId: q.queueId }, as)).body.errors)).toEqual([
      { code: "QUEUE_PAUSED", number: 4001 },
    ]);
    expect((await server().graphql<{ entryStatus: Entry }>(STATUS, { entryToken: dave.entryToken })).body.data!.entryStatus).toMatchObject({
      status: "waiting",
      position: 1,
    });
    await server().graphql(queueOp("resumeQueue"), { queueId: q.queueId }, as);

    // Close: Dave is cancelled, nobody joins.
    const closed = await server().graphql<{ closeQueue: { result: { isQueueActive: boolean } } }>(
      queueOp("closeQueue"),
      { queueId: q.queueId },
      as,
    );
    expect(closed.body.data!.closeQueue.result.isQueueActive).toBe(false);
    expect((await server().graphql<{ entryStatus: Entry }>(STATUS, { entryToken: dave.entryToken })).body.data!.entryStatus.status).toBe(
      "cancelled",
    );
    const after = await join(q.qrToken, phone(6));
    expect(codes(after.errors)).toEqual([{ code: "QUEUE_CLOSED", number: 4001 }]);
    expect(after.errors![0]!.message).toBe("La file d'attente est fermée.");

    const log = await server().graphql<{ queueByRowId: { events: { nodes: Array<{ eventType: string }> } } }>(
      WAITING,
      { queueId: q.queueId },
      as,
    );
    expect(log.body.data!.queueByRowId.events.nodes.map((e) => e.eventType)).toEqual([
      "queue_opened",
      "entry_joined",
      "entry_joined",
      "entry_joined",
      "entry_called",
      "entry_served",
      "entry_called",
      "entry_missed",
      "entry_cancelled",
      "entry_joined",
      "queue_paused",
      "queue_resumed",
      "entry_cancelled",
      "queue_closed",
    ]);
  });

  it("QUEUE_FULL (4002) and BUSINESS_SUSPENDED (4004), in English for an English business", async () => {
    const q = await createBusiness(db(), { maxQueueSize: 1, language: "en" });
    expect((await join(q.qrToken, phone(1))).errors).toBeUndefined();
    const full = await join(q.qrToken, phone(2));
    expect(codes(full.errors)).toEqual([{ code: "QUEUE_FULL", number: 4002 }]);
    expect(full.errors![0]!.message).toBe("The queue is full.");
    await db().root.query("update app_public.users set subscription_status = 'suspended' where id = $1", [q.userId]);
    expect(codes((await join(q.qrToken, phone(2))).errors)).toEqual([{ code: "BUSINESS_SUSPENDED", number: 4004 }]);
    expect(codes((await server().graphql(QUEUE_STATUS, { qrToken: "nope-nope-nope-nope-nope" })).body.errors)).toEqual([
      { code: "NOT_FOUND", number: undefined },
    ]);
  });

  it("a customer's token shows their own place only; merchants see their own entries, never tokens", async () => {
    const q = await createBusiness(db());
    const other = await createBusiness(db());
    const mine = (await join(q.qrToken, phone(1))).data!.joinQueue.result;
    await join(q.qrToken, phone(2));
    await join(other.qrToken, phone(3));

    // The customer type has no phone at all, and the entry view is only the caller's.
    const status = await server().graphql<{ entryStatus: Record<string, unknown> }>(
      `query($t: String!) { entryStatus(entryToken: $t) { phone } }`,
      { t: mine.entryToken },
    );
    expect(status.body.errors?.[0]?.message).toMatch(/Cannot query field "phone"/);
    const unknown = await server().graphql(STATUS, { entryToken: "x".repeat(32) });
    expect(codes(unknown.body.errors)).toEqual([{ code: "NOT_FOUND", number: undefined }]);

    // Anonymous: no table reads, no counter operations in its schema.
    const anonymousRead = await server().graphql(`{ allQueueEntries { nodes { phone } } }`);
    expect(anonymousRead.body.errors?.[0]?.message).toMatch(/Cannot query field "allQueueEntries"/);
    const anonymousCall = await server().graphql(CALL_NEXT, { queueId: q.queueId });
    expect(anonymousCall.body.errors?.[0]?.message).toMatch(/Cannot query field "callNext"/);

    // The merchant reads their own entries (all columns but the token).
    const own = await server().graphql<{ allQueueEntries: { nodes: Array<{ phone: string; queueId: string }> } }>(
      `{ allQueueEntries(orderBy: JOINED_SEQ_ASC) { nodes { phone queueId } } }`,
      {},
      q.merchant.headers,
    );
    expect(own.body.errors).toBeUndefined();
    expect(own.body.data!.allQueueEntries.nodes).toEqual([
      { phone: phone(1), queueId: q.queueId },
      { phone: phone(2), queueId: q.queueId },
    ]);
    const token = await server().graphql(`{ allQueueEntries { nodes { entryToken } } }`, {}, q.merchant.headers);
    expect(token.body.errors?.[0]?.message).toMatch(/Cannot query field "entryToken"/);
    // Someone else's queue is not found.
    expect(codes((await server().graphql(CALL_NEXT, { queueId: other.queueId }, q.merchant.headers)).body.errors)).toEqual([
      { code: "NOT_FOUND", number: undefined },
    ]);
  });

  it("80 concurrent joinQueue requests on a queue of 50: exactly 50 in, 30 QUEUE_FULL", async () => {
    const q = await createBusiness(db(), { maxQueueSize: 50 });
    const results = await Promise.all(Array.from({ length: 80 }, (_, i) => join(q.qrToken, phone(1000 + i))));
    const admitted = results.filter((r) => !r.errors);
    expect(admitted).toHaveLength(50);
    expect(results.filter((r) => r.errors).flatMap((r) => codes(r.errors))).toEqual(
      Array(30).fill({ code: "QUEUE_FULL", number: 4002 }),
    );
    expect(admitted.map((r) => r.data!.joinQueue.result.position).sort((a, b) => a! - b!)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
  });
});
