// Queues in SQL (db/identity/queues.sql): the queue each business is born
// with and any queue added later take their service time from the business
// type; regenerate_qr_token gives a queue a new unguessable token.
import { describe, expect, it } from "vitest";
import { asMerchant, useTestDatabase } from "../../helpers/db.ts";
import { createMerchant } from "../../helpers/fixtures.ts";

const db = useTestDatabase();

describe("businesses and their queues", () => {
  it("are created with one queue whose service time comes from the business type", async () => {
    const merchant = await createMerchant(db());
    const { rows } = await db().root.query(
      "insert into app_public.businesses (user_id, name, business_type) values ($1, 'Coiffure', 'hairdresser') returning id",
      [merchant.userId],
    );
    const queues = await db().root.query(
      "select user_id, average_service_time, max_queue_size, client_timeout_minutes, auto_advance_enabled, is_queue_active, qr_code_token from app_public.queues where business_id = $1",
      [rows[0].id],
    );
    expect(queues.rows).toHaveLength(1);
    expect(queues.rows[0]).toMatchObject({
      user_id: merchant.userId,
      average_service_time: 2700,
      max_queue_size: 50,
      client_timeout_minutes: 5,
      auto_advance_enabled: true,
      is_queue_active: false,
    });
    // 192 random bits, URL-safe.
    expect(queues.rows[0].qr_code_token).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it("a queue created later defaults its service time from the business type", async () => {
    const merchant = await createMerchant(db());
    await asMerchant(db(), merchant.userId, async (c) => {
      const business = await c.query("insert into app_public.businesses (name, business_type) values ('Pharma', 'pharmacy') returning id");
      const queue = await c.query("insert into app_public.queues (business_id, name) values ($1, 'Ordonnances') returning average_service_time, user_id", [
        business.rows[0].id,
      ]);
      expect(queue.rows[0]).toEqual({ average_service_time: 180, user_id: merchant.userId });
    });
  });

  it("regenerate_qr_token replaces the token with a new unguessable one", async () => {
    const merchant = await createMerchant(db());
    const { rows } = await db().root.query(
      "insert into app_public.businesses (user_id, name) values ($1, 'QR') returning (select 1)",
      [merchant.userId],
    );
    expect(rows).toHaveLength(1);
    const before = await db().root.query("select id, qr_code_token from app_public.queues where user_id = $1", [merchant.userId]);
    const after = await asMerchant(db(), merchant.userId, (c) =>
      c.query("select qr_code_token from app_public.regenerate_qr_token($1)", [before.rows[0].id]),
    );
    expect(after.rows[0].qr_code_token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(after.rows[0].qr_code_token).not.toBe(before.rows[0].qr_code_token);
  });
});
