// Realtime in SQL (db/realtime/notify.sql): every queue event, every change of a
// queue's settings and every account event is NOTIFYed on its channel, with a
// payload of ids only, and only once the transaction that made it commits.
import { afterEach, describe, expect, it } from "vitest";
import { asAnonymous, merchantQuery, useTestDatabase } from "../../helpers/db.ts";
import { createBusiness, join, phone, queueCalls } from "../../helpers/fixtures.ts";
import { listenTo, type Listener } from "../../helpers/notifications.ts";

describe("realtime (SQL): notifications", () => {
  const db = useTestDatabase();
  const { call, merchantCall, entryByToken } = queueCalls(db);
  const listeners: Listener[] = [];
  const listen = async (...channels: string[]) => {
    const listener = await listenTo(db(), channels);
    listeners.push(listener);
    return listener;
  };
  afterEach(async () => {
    for (const listener of listeners.splice(0)) await listener.close();
  });

  it("a join is heard only once it commits, and a rolled-back join never", async () => {
    const q = await createBusiness(db());
    const channel = `waitify:queue:${q.queueId}`;
    const listener = await listen(channel);

    // Rolled back: nothing, even after later commits have arrived.
    await asAnonymous(db(), (client) => client.query("select app_public.join_queue($1, $2)", [q.qrToken, phone(1)]));
    expect(await listener.drain()).toEqual([]);

    // Open transaction: nothing yet; committed: exactly the join.
    const client = await db().root.connect();
    try {
      await client.query("begin");
      await client.query("set local role waitify_anonymous");
      const { rows } = await client.query<{ entry_token: string }>("select entry_token from app_public.join_queue($1, $2)", [
        q.qrToken,
        phone(2),
      ]);
      expect(await listener.drain()).toEqual([]);
      await client.query("commit");
      const entry = await entryByToken(rows[0]!.entry_token);
      expect(await listener.drain()).toEqual([{ channel, payload: { event: "entry_joined", entryId: entry.id } }]);
    } finally {
      client.release();
    }
  });

  it("names channels waitify:queue:<id> and waitify:account:<id>, well under PostgreSQL's 63 bytes", async () => {
    const q = await createBusiness(db());
    const { rows } = await db().root.query<{ queue: string; account: string }>(
      "select app_hidden.channel_name('queue', $1) as queue, app_hidden.channel_name('account', $2) as account",
      [q.queueId, q.userId],
    );
    expect(rows[0]).toEqual({ queue: `waitify:queue:${q.queueId}`, account: `waitify:account:${q.userId}` });
    expect(Buffer.byteLength(rows[0]!.queue)).toBeLessThan(60);
    expect(Buffer.byteLength(rows[0]!.account)).toBeLessThan(60);
  });

  it("tells the queue's channel of every event with its entry id, and nobody else's queue", async () => {
    const q = await createBusiness(db());
    const other = await createBusiness(db());
    const channel = `waitify:queue:${q.queueId}`;
    const listener = await listen(channel);

    const alice = await join(db(), q.qrToken, phone(1));
    const bob = await join(db(), q.qrToken, phone(2));
    await join(db(), other.qrToken, phone(3));
    const aliceId = (await entryByToken(alice.entry_token)).id;
    const bobId = (await entryByToken(bob.entry_token)).id;
    await call(q.userId, q.queueId);
    await merchantCall(q.userId, "mark_served", aliceId);
    await merchantCall(q.userId, "pause_queue", q.queueId);
    await merchantCall(q.userId, "resume_queue", q.queueId);
    await merchantCall(q.userId, "close_queue", q.queueId);

    const events = (await listener.drain()).map((n) => {
      expect(n.channel).toBe(channel);
      return n.payload;
    });
    // Opening, pausing, resuming and closing flip the queue's flags too, but
    // their queue event is the one notification: no "queue_updated" twin.
    expect(events).toEqual([
      { event: "entry_joined", entryId: aliceId },
      { event: "entry_joined", entryId: bobId },
      { event: "entry_called", entryId: aliceId },
      { event: "entry_served", entryId: aliceId },
      { event: "queue_paused", entryId: null },
      { event: "queue_resumed", entryId: null },
      { event: "entry_cancelled", entryId: bobId },
      { event: "queue_closed", entryId: null },
    ]);
  });

  it("tells the queue's channel when its settings or its QR token change", async () => {
    const q = await createBusiness(db());
    const listener = await listen(`waitify:queue:${q.queueId}`);
    await merchantQuery(db(), q.userId, "update app_public.queues set name = 'Caisse 2', max_queue_size = 20 where id = $1", [
      q.queueId,
    ]);
    await merchantCall(q.userId, "regenerate_qr_token", q.queueId);
    // An update that changes nothing is not news.
    await merchantQuery(db(), q.userId, "update app_public.queues set name = 'Caisse 2' where id = $1", [q.queueId]);
    expect((await listener.drain()).map((n) => n.payload)).toEqual([
      { event: "queue_updated", entryId: null },
      { event: "queue_updated", entryId: null },
    ]);
  });

  it("tells the account's channel of each account event with its id only", async () => {
    const q = await createBusiness(db());
    const other = await createBusiness(db());
    const channel = `waitify:account:${q.userId}`;
    const listener = await listen(channel);
    const insert = (userId: string) =>
      db().root.query<{ id: string }>(
        "insert into app_public.account_events (user_id, event_type, actor) values ($1, 'reminder_sent', 'system') returning id",
        [userId],
      );
    const mine = (await insert(q.userId)).rows[0]!.id;
    await insert(other.userId);
    // A status change writes its account event through billing's trigger: heard as well.
    await db().root.query("update app_public.users set subscription_status = 'past_due' where id = $1", [q.userId]);
    const { rows } = await db().root.query<{ id: string }>(
      "select max(id) as id from app_public.account_events where user_id = $1 and event_type = 'status_changed'",
      [q.userId],
    );
    expect(await listener.drain()).toEqual([
      { channel, payload: { id: Number(mine) } },
      { channel, payload: { id: Number(rows[0]!.id) } },
    ]);
  });
});
