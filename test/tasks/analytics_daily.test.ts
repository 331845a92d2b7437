// The analytics_daily crontab job with a real graphile-worker runner: the job
// as the crontab adds it (the `_cron` payload) stores the days that are over
// among the three UTC dates up to its time, a backfilled run does an older
// day, and running it again writes nothing. The figures themselves are tested
// in test/db/analytics/daily.test.ts.
import { parseCrontab } from "graphile-worker";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type WorkerHandle } from "../../lib/worker.ts";
import { asRoot, useTestDatabase } from "../helpers/db.ts";
import { createBusiness, type BusinessFixture } from "../helpers/fixtures.ts";
import { insertVisits } from "../helpers/analytics.ts";

const db = useTestDatabase();
let worker: WorkerHandle;
let shop: BusinessFixture;

beforeAll(async () => {
  shop = await createBusiness(db(), { country: "SN" });
  await db().root.query("update app_public.businesses set created_at = '2026-01-01T00:00:00Z' where id = $1", [shop.businessId]);
  await asRoot(
    db(),
    (client) =>
      insertVisits(client, shop, [
        { queueId: shop.queueId, joined: "2026-03-10T09:00:00Z", called: "2026-03-10T09:05:00Z", served: "2026-03-10T09:09:00Z" },
        { queueId: shop.queueId, joined: "2026-03-12T09:00:00Z", called: "2026-03-12T09:05:00Z", served: "2026-03-12T09:09:00Z" },
      ]),
    { commit: true },
  );
  worker = await startWorker({ connectionString: db().ownerUrl, concurrency: 2, schedule: false });
});
afterAll(async () => {
  await worker.stop();
});

async function runCronJob(ts: string): Promise<void> {
  const { rows } = await db().root.query<{ id: string }>(
    "select (graphile_worker.add_job('analytics_daily', json_build_object('_cron', json_build_object('ts', $1::text, 'backfilled', true)))).id",
    [ts],
  );
  for (let attempt = 0; attempt < 300; attempt++) {
    const left = await db().root.query("select last_error from graphile_worker._private_jobs where id = $1", [rows[0]!.id]);
    if (left.rowCount === 0) return;
    if (left.rows[0].last_error) throw new Error(`analytics_daily failed: ${left.rows[0].last_error}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("analytics_daily did not run");
}

const storedDays = async () =>
  (
    await db().root.query<{ date: string; clients_served: number; updated_at: Date }>(
      "select to_char(date, 'YYYY-MM-DD') as date, clients_served, updated_at from app_public.analytics_daily where business_id = $1 order by date",
      [shop.businessId],
    )
  ).rows;

describe("analytics_daily", () => {
  it("is scheduled daily in the crontab, with a backfill", () => {
    const crontab = readFileSync(path.join(import.meta.dirname, "..", "..", "crontab"), "utf8");
    const item = parseCrontab(crontab).find((entry) => entry.task === "analytics_daily");
    expect(item).toBeDefined();
    expect(item!.options.backfillPeriod).toBeGreaterThanOrEqual(24 * 3600 * 1000);
  });

  it("stores the three days up to its scheduled date, and the same again writes nothing", async () => {
    await runCronJob("2026-03-12T01:30:00Z");
    // The 10th, 11th (empty) and 12th: all over long ago.
    const first = await storedDays();
    expect(first.map((row) => [row.date, row.clients_served])).toEqual([
      ["2026-03-10", 1],
      ["2026-03-11", 0],
      ["2026-03-12", 1],
    ]);
    await runCronJob("2026-03-12T01:30:00Z");
    expect(await storedDays()).toEqual(first);
    // A run for an earlier date (the crontab's backfill) fills the days before.
    await runCronJob("2026-03-09T01:30:00Z");
    expect((await storedDays()).map((row) => row.date)).toEqual(["2026-03-07", "2026-03-08", "2026-03-09", "2026-03-10", "2026-03-11", "2026-03-12"]);
  });

  it("today is never stored, even by a run scheduled for today", async () => {
    await runCronJob(new Date().toISOString());
    const today = (await db().root.query("select (now() at time zone 'Africa/Dakar')::date::text as d")).rows[0].d;
    expect((await storedDays()).map((row) => row.date)).not.toContain(today);
  });
});
