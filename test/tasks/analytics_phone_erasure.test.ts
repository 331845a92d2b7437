// The analytics_phone_erasure crontab job with a real graphile-worker runner:
// hourly, it erases the numbers whose retention has passed. The rules are
// tested in test/db/analytics/privacy.test.ts.
import { parseCrontab } from "graphile-worker";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type WorkerHandle } from "../../lib/worker.ts";
import { asRoot, useTestDatabase } from "../helpers/db.ts";
import { createBusiness } from "../helpers/fixtures.ts";
import { insertVisits } from "../helpers/analytics.ts";

const db = useTestDatabase();
let worker: WorkerHandle;

beforeAll(async () => {
  worker = await startWorker({ connectionString: db().ownerUrl, concurrency: 2, schedule: false });
});
afterAll(async () => {
  await worker.stop();
});

async function runCronJob(ts: string): Promise<void> {
  const { rows } = await db().root.query<{ id: string }>(
    "select (graphile_worker.add_job('analytics_phone_erasure', json_build_object('_cron', json_build_object('ts', $1::text, 'backfilled', false)))).id",
    [ts],
  );
  for (let attempt = 0; attempt < 300; attempt++) {
    const left = await db().root.query("select last_error from graphile_worker._private_jobs where id = $1", [rows[0]!.id]);
    if (left.rowCount === 0) return;
    if (left.rows[0].last_error) throw new Error(`analytics_phone_erasure failed: ${left.rows[0].last_error}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("analytics_phone_erasure did not run");
}

describe("analytics_phone_erasure", () => {
  it("runs every hour", () => {
    const item = parseCrontab(readFileSync(path.join(import.meta.dirname, "..", "..", "crontab"), "utf8")).find(
      (entry) => entry.task === "analytics_phone_erasure",
    );
    expect(item?.match).toBeDefined();
  });

  it("erases the numbers whose business's retention has passed, as of its scheduled hour", async () => {
    const shop = await createBusiness(db());
    await db().root.query("update app_public.businesses set phone_retention_hours = 5 where id = $1", [shop.businessId]);
    const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3600_000).toISOString();
    const ids = await asRoot(
      db(),
      (client) =>
        insertVisits(client, shop, [
          { queueId: shop.queueId, joined: hoursAgo(9), cancelled: hoursAgo(8), phone: "+33611112222" },
          { queueId: shop.queueId, joined: hoursAgo(4), cancelled: hoursAgo(3), phone: "+33611113333" },
        ]),
      { commit: true },
    );
    const phones = async () =>
      (await db().root.query("select id, phone from app_public.queue_entries where business_id = $1 order by joined_at", [shop.businessId])).rows;
    // Scheduled four hours ago: the first visit ended 4 hours before that, not yet 5.
    await runCronJob(hoursAgo(4));
    expect((await phones()).map((row) => row.phone)).toEqual(["+33611112222", "+33611113333"]);
    await runCronJob(new Date().toISOString());
    expect(await phones()).toEqual([
      { id: ids[0], phone: null },
      { id: ids[1], phone: "+33611113333" },
    ]);
  });
});
