// Timestamps in SQL (db/core/timestamps.sql): the trigger function every
// table's _100_timestamps trigger runs moves updated_at forward.
import { describe, expect, it } from "vitest";
import { asRoot, useTestDatabase } from "../../helpers/db.ts";

describe("tg__set_updated_at", () => {
  const db = useTestDatabase();

  it("the updated_at trigger function moves updated_at forward", async () => {
    await asRoot(db(), async (client) => {
      await client.query("create temp table things (id int, updated_at timestamptz not null default now())");
      await client.query(
        "create trigger _100_timestamps before update on things for each row execute function app_private.tg__set_updated_at()",
      );
      await client.query("insert into things values (1, '2000-01-01')");
      const updated = await client.query("update things set id = 2 returning updated_at > '2001-01-01' as moved");
      expect(updated.rows[0].moved).toBe(true);
    });
  });
});
