// The analytics_retention crontab job with a real graphile-worker runner:
// old finished visits whose days are stored go, in batches, and the crontab
// schedules it daily. The rules are tested in test/db/analytics/retention.test.ts.
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

async function runCronJob(task: string, ts: string): Promise<void> {
  const { rows } = await db().root.query<{ id: string }>(
    "select (graphile_worker.add_job($1, json_build_object('_cron', json_build_object('ts', $2::text, 'backfilled', false)))).id",
    [task, ts],
  );
  for (let attempt = 0; attempt < 300; attempt++) {
    const left = await db().root.query("select last_error from graphile_worker._private_jobs where id = $1", [rows[0]!.id]);
    if (left.rowCount === 0) return;
    if (left.rows[0].last_error) throw new Error(`${task} failed: ${left.rows[0].last_error}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${task} did not run`);
}

describe("analytics_retention", () => {
  it("is scheduled daily, after the analytics", () => {
    const items = parseCrontab(readFileSync(path.join(import.meta.dirname, "..", "..", "crontab"), "utf8"));
    const retention = items.find((item) => item.task === "analytics_retention");
    expect(retention?.match).toBeDefined();
    expect(items.some((item) => item.task === "analytics_daily")).toBe(true);
  });

  it("deletes the visits older than 90 days whose days are stored, the recent ones stay", async () => {
    const shop = await createBusiness(db(), { country: "SN" });
    await db().root.query("update app_public.businesses set created_at = now() - interval '150 days' where id = $1", [shop.businessId]);
    const ago = (days: number, minutes = 0) => new Date(Date.now() - days * 86_400_000 + minutes * 60_000).toISOString();
    const ids = await asRoot(
      db(),
      (client) =>
        insertVisits(client, shop, [
          { queueId: shop.queueId, joined: ago(120), cancelled: ago(120, 5) },
          { queueId: shop.queueId, joined: ago(100), called: ago(100, 5), served: ago(100, 9) },
          { queueId: shop.queueId, joined: ago(20), called: ago(20, 5), served: ago(20, 9) },
        ]),
      { commit: true },
    );
    await db().root.query("select app_private.compute_analytics_daily(current_date - 130, current_date - 1)");
    await runCronJob("analytics_retention", new Date().toISOString());
    const left = await db().root.query("select id from app_public.queue_entries where business_id = $1", [shop.businessId]);
    expect(left.rows.map((row) => row.id)).toEqual([ids[2]]);
    const served = await db().root.query("select sum(clients_served)::int as n from app_public.analytics_daily where business_id = $1", [
      shop.businessId,
    ]);
    expect(served.rows[0].n).toBe(2);
  });
});
