// The session in SQL (db/core/session.sql): app_public.current_user_id() is
// null for anonymous and reads the user id claim a merchant's token sets.
import { describe, expect, it } from "vitest";
import { asAnonymous, useTestDatabase } from "../../helpers/db.ts";

describe("current_user_id", () => {
  const db = useTestDatabase();

  it("current_user_id() is null for anonymous and reads the JWT claim otherwise", async () => {
    await asAnonymous(db(), async (client) => {
      const anonymous = await client.query("select app_public.current_user_id() as id");
      expect(anonymous.rows[0].id).toBeNull();
      const id = "2f1c8a0e-8c5b-4b7e-9a43-1d1b8f3e7c11";
      await client.query("select set_config('jwt.claims.user_id', $1, true)", [id]);
      const claimed = await client.query("select app_public.current_user_id() as id");
      expect(claimed.rows[0].id).toBe(id);
    });
  });
});
