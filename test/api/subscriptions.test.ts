// GraphQL subscriptions over websockets (graphql-ws on /graphql), as the live
// pages use them: a customer follows their own place, a merchant their own
// queues and account; every refusal is coded; a bad token closes the socket
// with 4401; a lost LISTEN connection ends subscriptions with a coded error
// and the next subscription works.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { signToken } from "../../lib/auth/jwt.ts";
import { testJwt } from "../helpers/auth.ts";
import { customerQuery, useTestDatabase } from "../helpers/db.ts";
import { allowManyPlacesPerPhone, createBusiness, createMerchant, join, phone, queueCalls } from "../helpers/fixtures.ts";
import { startTestServer, useTestServer } from "../helpers/server.ts";
import { connect, type TestClient } from "../helpers/subscriptions.ts";

const db = useTestDatabase();
beforeAll(() => allowManyPlacesPerPhone(db()));
const server = useTestServer(db);
const { call, merchantCall, entryByToken } = queueCalls(db);

const ENTRY_CHANGED = `subscription Entry($entryToken: String!) {
  entryChanged(entryToken: $entryToken) { entryToken status ticketNumber position peopleAhead businessName callExpiresAt }
}`;
const QUEUE_CHANGED = `subscription Queue($queueId: UUID!) {
  queueChanged(queueId: $queueId) { event entryId queue { rowId name isQueueActive isQueuePaused } }
}`;
const ACCOUNT_EVENT = `subscription { accountEvent { rowId userId eventType actor } }`;

interface EntryView {
  entryToken: string;
  status: string;
  ticketNumber: number;
  position: number | null;
  peopleAhead: number | null;
  businessName: string;
  callExpiresAt: string | null;
}
interface QueueChange {
  event: string;
  entryId: string | null;
  queue: { rowId: string; name: string; isQueueActive: boolean; isQueuePaused: boolean } | null;
}

const clients: TestClient[] = [];
const open = (options: Parameters<typeof connect>[1] = {}) => {
  const client = connect(server(), options);
  clients.push(client);
  return client;
};
afterEach(async () => {
  for (const client of clients.splice(0)) await client.dispose();
});

describe("entryChanged", () => {
  it("sends the customer's own view at once, then after every change in their queue", async () => {
    const q = await createBusiness(db(), { name: "Boulangerie Live" });
    const alice = await join(db(), q.qrToken, phone(1));
    const bob = await join(db(), q.qrToken, phone(2));
    const sub = open().subscribe<{ entryChanged: EntryView }>(ENTRY_CHANGED, { entryToken: bob.entry_token });

    // The current view first (the subscription listens from then on).
    expect((await sub.nextData()).entryChanged).toMatchObject({
      entryToken: bob.entry_token,
      status: "waiting",
      position: 2,
      peopleAhead: 1,
      businessName: "Boulangerie Live",
    });
    // Someone joins behind: that changes nothing for Bob, and nothing is sent;
    // Alice is called: Bob moves up (the next message is that one).
    await join(db(), q.qrToken, phone(3));
    await call(q.userId, q.queueId);
    expect((await sub.nextData()).entryChanged).toMatchObject({ entryToken: bob.entry_token, position: 1, peopleAhead: 0 });
    await merchantCall(q.userId, "mark_served", (await entryByToken(alice.entry_token)).id);
    expect((await sub.nextData()).entryChanged).toMatchObject({ position: 1 });
    // Bob's turn.
    await call(q.userId, q.queueId);
    const called = (await sub.nextData()).entryChanged;
    expect(called).toMatchObject({ entryToken: bob.entry_token, status: "called", position: null });
    expect(called.callExpiresAt).not.toBeNull();
    expect(sub.pending()).toEqual([]);
  });

  it("shows only the token's own place, and nothing of another queue", async () => {
    const q = await createBusiness(db());
    const other = await createBusiness(db());
    const alice = await join(db(), q.qrToken, phone(1), "Alice");
    const carol = await join(db(), other.qrToken, phone(3), "Carol");
    const aliceSub = open().subscribe<{ entryChanged: EntryView }>(ENTRY_CHANGED, { entryToken: alice.entry_token });
    const carolSub = open().subscribe<{ entryChanged: EntryView }>(ENTRY_CHANGED, { entryToken: carol.entry_token });
    await aliceSub.nextData();
    await carolSub.nextData();

    // Bob joins Alice's queue, Alice is called, then Bob cancels: Alice hears
    // of the call and of the cancellation, as her own view only.
    const bob = await join(db(), q.qrToken, phone(2), "Bob");
    await call(q.userId, q.queueId);
    await customerQuery(db(), "select app_public.cancel_entry($1)", [bob.entry_token]);
    // Then Carol's queue changes: the first thing Carol hears is that change.
    const dave = await join(db(), other.qrToken, phone(4));
    await customerQuery(db(), "select app_public.cancel_entry($1)", [dave.entry_token]);

    const aliceViews = [(await aliceSub.nextData()).entryChanged, (await aliceSub.nextData()).entryChanged];
    expect(aliceViews.map((view) => view.entryToken)).toEqual([alice.entry_token, alice.entry_token]);
    expect(aliceViews.map((view) => view.status)).toEqual(["called", "called"]);
    expect(JSON.stringify(aliceViews)).not.toContain(bob.entry_token);
    const carolView = (await carolSub.nextData()).entryChanged;
    expect(carolView).toMatchObject({ entryToken: carol.entry_token, position: 1 });
    expect(carolSub.pending()).toEqual([]);
  });

  it("an unknown token is refused with entryStatus's code", async () => {
    const sub = open().subscribe(ENTRY_CHANGED, { entryToken: "x".repeat(32) });
    expect(await sub.next()).toMatchObject({ kind: "errors", codes: ["NOT_FOUND"], messages: ["Inscription introuvable."] });
    expect(await sub.next()).toEqual({ kind: "complete" });
    const http = await server().graphql(`query { entryStatus(entryToken: "${"x".repeat(32)}") { status } }`);
    expect(http.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });
});

describe("errors", () => {
  it("are coded like HTTP's, never PostgreSQL's text: a NUL byte is INVALID_TEXT", async () => {
    // A NUL byte cannot be a PostgreSQL text: the database refuses the parameter.
    const sub = open().subscribe(ENTRY_CHANGED, { entryToken: "abc\u0000def" });
    const received = await sub.next();
    expect(received).toMatchObject({ kind: "errors", codes: ["INVALID_TEXT"] });
    expect(JSON.stringify(received)).not.toMatch(/0x00|UTF8|for encoding/i);
  });
});

describe("queueChanged", () => {
  it("tells the owner each change with the queue re-read, after a first 'subscribed' message", async () => {
    const q = await createBusiness(db(), { queueName: "Caisse 1" });
    const sub = open({ token: q.merchant.token }).subscribe<{ queueChanged: QueueChange }>(QUEUE_CHANGED, { queueId: q.queueId });
    expect((await sub.nextData()).queueChanged).toEqual({
      event: "subscribed",
      entryId: null,
      queue: { rowId: q.queueId, name: "Caisse 1", isQueueActive: true, isQueuePaused: false },
    });

    const alice = await join(db(), q.qrToken, phone(1));
    const aliceId = (await entryByToken(alice.entry_token)).id;
    expect((await sub.nextData()).queueChanged).toMatchObject({ event: "entry_joined", entryId: aliceId });
    // Through the API, as the counter screen calls.
    const called = await server().graphql(
      `mutation($queueId: UUID!) { callNext(input: { queueId: $queueId }) { result { rowId } } }`,
      { queueId: q.queueId },
      q.merchant.headers,
    );
    expect(called.body.errors).toBeUndefined();
    expect((await sub.nextData()).queueChanged).toMatchObject({ event: "entry_called", entryId: aliceId });
    await merchantCall(q.userId, "pause_queue", q.queueId);
    expect((await sub.nextData()).queueChanged).toMatchObject({ event: "queue_paused", entryId: null, queue: { isQueuePaused: true } });
    await server().graphql(
      `mutation($id: UUID!) { updateQueueByRowId(input: { rowId: $id, queuePatch: { name: "Caisse 2" } }) { queue { name } } }`,
      { id: q.queueId },
      q.merchant.headers,
    );
    expect((await sub.nextData()).queueChanged).toMatchObject({ event: "queue_updated", queue: { name: "Caisse 2" } });
    expect(sub.pending()).toEqual([]);
  });

  it("the admin may follow any queue", async () => {
    const q = await createBusiness(db());
    const adminToken = signToken({ role: "waitify_admin", user_id: null, sub: null }, testJwt);
    const sub = open({ token: adminToken }).subscribe<{ queueChanged: QueueChange }>(QUEUE_CHANGED, { queueId: q.queueId });
    expect((await sub.nextData()).queueChanged).toMatchObject({ event: "subscribed", queue: { rowId: q.queueId } });
    await join(db(), q.qrToken, phone(1));
    expect((await sub.nextData()).queueChanged).toMatchObject({ event: "entry_joined" });
  });

  it("refuses another merchant with callNext's code, and anonymous with UNAUTHENTICATED", async () => {
    const q = await createBusiness(db());
    const intruder = await createMerchant(db());
    const theirs = open({ token: intruder.token }).subscribe(QUEUE_CHANGED, { queueId: q.queueId });
    expect(await theirs.next()).toMatchObject({ kind: "errors", codes: ["NOT_FOUND"], messages: ["File d'attente introuvable."] });
    // Refused at subscribe time: the subscription is over, nothing was LISTENed for it.
    expect(await theirs.next()).toEqual({ kind: "complete" });
    const callNext = await server().graphql(
      `mutation($queueId: UUID!) { callNext(input: { queueId: $queueId }) { result { rowId } } }`,
      { queueId: q.queueId },
      intruder.headers,
    );
    expect(callNext.body.errors?.map((error) => error.extensions?.code)).toEqual(["NOT_FOUND"]);

    const anonymous = open().subscribe(QUEUE_CHANGED, { queueId: q.queueId });
    expect(await anonymous.next()).toMatchObject({ kind: "errors", codes: ["UNAUTHENTICATED"] });
  });
});

describe("accountEvent", () => {
  it("delivers the merchant's own account events as they are inserted, nobody else's", async () => {
    const me = await createMerchant(db());
    const someoneElse = await createMerchant(db());
    const sub = open({ token: me.token }).subscribe<{ accountEvent: { rowId: string; userId: string; eventType: string; actor: string } }>(
      ACCOUNT_EVENT,
    );
    const insert = async (userId: string) =>
      (
        await db().root.query<{ id: string }>(
          "insert into app_public.account_events (user_id, event_type, actor) values ($1, 'reminder_sent', 'system') returning id",
          [userId],
        )
      ).rows[0]!.id;
    // No first message here: insert until the subscription, once listening, hears one.
    const mine: string[] = [];
    let first: { rowId: string; userId: string; eventType: string; actor: string } | undefined;
    for (let attempt = 0; attempt < 50 && !first; attempt++) {
      mine.push(await insert(me.userId));
      first = await sub.nextData(100).then((data) => data.accountEvent, () => undefined);
    }
    expect(first).toMatchObject({ userId: me.userId, eventType: "reminder_sent", actor: "system" });
    expect(mine).toContain(first!.rowId);

    // Listening now: someone else's event is not heard, mine is, with its id.
    await insert(someoneElse.userId);
    const last = await insert(me.userId);
    const rest: string[] = [];
    for (;;) {
      const event = (await sub.nextData()).accountEvent;
      expect(event.userId).toBe(me.userId);
      rest.push(event.rowId);
      if (event.rowId === last) break;
    }
    expect([...mine, last]).toEqual(expect.arrayContaining(rest));
  });

  it("is not offered to anonymous: UNAUTHENTICATED", async () => {
    const sub = open().subscribe(ACCOUNT_EVENT);
    expect(await sub.next()).toMatchObject({ kind: "errors", codes: ["UNAUTHENTICATED"] });
  });
});

describe("authentication of the socket", () => {
  it("closes the socket with 4401 UNAUTHENTICATED for a bad, tampered or expired token — never anonymous", async () => {
    const q = await createBusiness(db());
    const entry = await join(db(), q.qrToken, phone(1));
    const expired = signToken({ role: "waitify_merchant", user_id: q.userId, sub: q.userId }, { ...testJwt, expiresIn: "-10s" });
    const tampered = q.merchant.token.slice(0, -4) + "AAAA";
    for (const authorization of ["Bearer not-a-jwt", `Bearer ${tampered}`, `Bearer ${expired}`, q.merchant.token, 42]) {
      const client = open({ authorization });
      const sub = client.subscribe(ENTRY_CHANGED, { entryToken: entry.entry_token });
      expect(await client.closed).toEqual({ code: 4401, reason: "UNAUTHENTICATED" });
      expect(await sub.next()).toMatchObject({ kind: "closed", code: 4401 });
    }
  });

  it("closes a socket with 4401 when the token it was opened with expires", async () => {
    const q = await createBusiness(db());
    const shortLived = signToken({ role: "waitify_merchant", user_id: q.userId, sub: q.userId }, { ...testJwt, expiresIn: "2s" });
    const client = open({ token: shortLived });
    const sub = client.subscribe<{ queueChanged: QueueChange }>(QUEUE_CHANGED, { queueId: q.queueId });
    expect((await sub.nextData()).queueChanged.event).toBe("subscribed");
    const opened = Date.now();
    expect(await client.closed).toEqual({ code: 4401, reason: "UNAUTHENTICATED" });
    // jsonwebtoken's exp is in whole seconds: between 1 and 2 s after the subscription.
    expect(Date.now() - opened).toBeLessThan(3_000);
  });

  it("treats no token as anonymous, and a merchant's token as that merchant", async () => {
    const q = await createBusiness(db());
    const entry = await join(db(), q.qrToken, phone(1));
    const anonymous = open().subscribe<{ entryChanged: EntryView }>(ENTRY_CHANGED, { entryToken: entry.entry_token });
    expect((await anonymous.nextData()).entryChanged.entryToken).toBe(entry.entry_token);
    const merchant = open({ token: q.merchant.token }).subscribe<{ queueChanged: QueueChange }>(QUEUE_CHANGED, { queueId: q.queueId });
    expect((await merchant.nextData()).queueChanged.event).toBe("subscribed");
  });

  it("answers only /graphql's upgrades", async () => {
    const { default: WebSocket } = await import("ws");
    const socket = new WebSocket(`${server().url.replace(/^http/, "ws")}/e/whatever`, "graphql-transport-ws");
    const outcome = await new Promise<string>((resolve) => {
      socket.once("open", () => resolve("open"));
      socket.once("error", () => resolve("refused"));
    });
    expect(outcome).toBe("refused");
  });
});

describe("the LISTEN connection", () => {
  const listenBackends = async () =>
    (
      await db().root.query<{ pid: number }>(
        "select pid from pg_stat_activity where datname = $1 and application_name = 'waitify-listen'",
        [db().name],
      )
    ).rows.map((row) => row.pid);

  it("is one for the whole process; when it drops, subscriptions end with SUBSCRIPTION_INTERRUPTED and new ones work", async () => {
    const q = await createBusiness(db());
    const entry = await join(db(), q.qrToken, phone(1));
    const merchant = open({ token: q.merchant.token });
    const queueSub = merchant.subscribe<{ queueChanged: QueueChange }>(QUEUE_CHANGED, { queueId: q.queueId });
    const entrySub = open().subscribe<{ entryChanged: EntryView }>(ENTRY_CHANGED, { entryToken: entry.entry_token });
    await queueSub.nextData();
    await entrySub.nextData();
    // Two roles, two sockets, one LISTEN connection.
    const [pid, ...others] = await listenBackends();
    expect(others).toEqual([]);

    await db().root.query("select pg_terminate_backend($1)", [pid]);
    for (const sub of [queueSub, entrySub]) {
      expect(await sub.next()).toMatchObject({
        kind: "errors",
        codes: ["SUBSCRIPTION_INTERRUPTED"],
        messages: ["La connexion temps réel a été interrompue : abonnez-vous de nouveau."],
      });
    }

    // The socket is still open: subscribing again works, on a new connection.
    const again = merchant.subscribe<{ queueChanged: QueueChange }>(QUEUE_CHANGED, { queueId: q.queueId });
    expect((await again.nextData()).queueChanged.event).toBe("subscribed");
    const [newPid, ...more] = await listenBackends();
    expect(more).toEqual([]);
    expect(newPid).not.toBe(pid);
    await join(db(), q.qrToken, phone(2));
    expect((await again.nextData()).queueChanged.event).toBe("entry_joined");
    expect([...queueSub.pending(), ...entrySub.pending()]).toEqual([]);
  });
});

describe("shutdown", () => {
  it("closes open websockets (1001) and their subscriptions when the server closes, without waiting for the clients", async () => {
    const listeners = async () =>
      (
        await db().root.query<{ n: number }>(
          "select count(*)::int as n from pg_stat_activity where datname = $1 and application_name = 'waitify-listen'",
          [db().name],
        )
      ).rows[0]!.n;
    const own = await startTestServer(db());
    const q = await createBusiness(db());
    const client = connect(own, { token: q.merchant.token });
    clients.push(client);
    const sub = client.subscribe<{ queueChanged: QueueChange }>(QUEUE_CHANGED, { queueId: q.queueId });
    await sub.nextData();
    expect(own.http.realtime.connections()).toBe(1);
    // The file's other server may hold one too.
    const before = await listeners();
    const started = performance.now();
    await own.close();
    // The client answered the close handshake: no wait for the 2 s cut-off.
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(await client.closed).toMatchObject({ code: 1001 });
    // And its LISTEN connection is gone with it (the backend exits just after the client).
    await expect.poll(listeners, { timeout: 5_000 }).toBe(before - 1);
  });
});
