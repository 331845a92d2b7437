// The admin role (future back office) reads every tenant's queue entries and
// events, but never a customer's secret token, and changes nothing.
import { describe, expect, it } from "vitest";
import { asAdmin, useTestDatabase } from "../../helpers/db.ts";
import { createBusiness, join, phone } from "../../helpers/fixtures.ts";

describe("admin reads of the queue engine's tables", () => {
  const db = useTestDatabase();

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
