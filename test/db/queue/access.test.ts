// Who reads and writes the queue engine's tables (db/queue/access.sql):
// anonymous nothing; a merchant reads its own entries and events, without
// the customers' tokens, and writes nothing (changes go through the queue
// functions); the admin role (future back office) reads every tenant's
// entries and events, but never a customer's secret token, and changes
// nothing.
import { describe, expect, it } from "vitest";
import { asAdmin, customerQuery, failure, merchantQuery, useTestDatabase } from "../../helpers/db.ts";
import { createBusiness, join, phone } from "../../helpers/fixtures.ts";

const db = useTestDatabase();

describe("privileges of the request roles", () => {
  const ownerQuery = (userId: string, sql: string, values: unknown[] = []) => merchantQuery(db(), userId, sql, values);

  it("anonymous has no table access; a merchant reads only their own entries, without tokens, and writes nothing", async () => {
    const mine = await createBusiness(db());
    const theirs = await createBusiness(db());
    await join(db(), mine.qrToken, phone(1));
    await join(db(), theirs.qrToken, phone(2));
    for (const table of ["queue_entries", "queue_events"]) {
      expect(await failure(customerQuery(db(), `select * from app_public.${table}`))).toMatchObject({ code: "42501" });
    }
    const own = await ownerQuery(mine.userId, "select queue_id, phone from app_public.queue_entries");
    expect(own).toEqual([{ queue_id: mine.queueId, phone: phone(1) }]);
    const ownEvents = await ownerQuery(mine.userId, "select distinct queue_id from app_public.queue_events");
    expect(ownEvents).toEqual([{ queue_id: mine.queueId }]);
    expect(await failure(ownerQuery(mine.userId, "select entry_token from app_public.queue_entries"))).toMatchObject({
      code: "42501",
    });
    expect(
      await failure(ownerQuery(mine.userId, "update app_public.queue_entries set status = 'served'")),
    ).toMatchObject({ code: "42501" });
    expect(await failure(ownerQuery(mine.userId, "delete from app_public.queue_events"))).toMatchObject({ code: "42501" });
    expect(
      await failure(
        ownerQuery(
          mine.userId,
          "insert into app_public.queue_events (queue_id, business_id, user_id, event_type, actor, waiting_count) values ($1, $2, $3, 'queue_opened', 'system', 0)",
          [mine.queueId, mine.businessId, mine.userId],
        ),
      ),
    ).toMatchObject({ code: "42501" });
  });
});

describe("admin reads of the queue engine's tables", () => {
  it("sees the entries and events of every merchant", async () => {
    const first = await createBusiness(db());
    const second = await createBusiness(db());
    await join(db(), first.qrToken, phone(1));
    await join(db(), second.qrToken, phone(2));
    await asAdmin(db(), async (client) => {
      const entries = await client.query<{ queue_id: string }>(
        "select queue_id from app_public.queue_entries where queue_id = any($1)",
        [[first.queueId, second.queueId]],
      );
      expect(new Set(entries.rows.map((row) => row.queue_id))).toEqual(new Set([first.queueId, second.queueId]));
      const events = await client.query<{ queue_id: string }>(
        "select distinct queue_id from app_public.queue_events where event_type = 'entry_joined' and queue_id = any($1)",
        [[first.queueId, second.queueId]],
      );
      expect(events.rowCount).toBe(2);
    });
  });

  it("cannot read entry tokens", async () => {
    await expect(asAdmin(db(), (client) => client.query("select entry_token from app_public.queue_entries"))).rejects.toThrow(
      /permission denied/,
    );
  });

  it("cannot change entries or events", async () => {
    await expect(
      asAdmin(db(), (client) => client.query("update app_public.queue_entries set client_name = 'x'")),
    ).rejects.toThrow(/permission denied/);
    await expect(asAdmin(db(), (client) => client.query("delete from app_public.queue_events"))).rejects.toThrow(
      /permission denied/,
    );
  });
});
