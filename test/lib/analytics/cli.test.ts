// npm run analytics:rebuild (lib/analytics/cli.ts) as an operator runs it,
// against a test database: it migrates first, recomputes the days of the
// range that are over, writes nothing the second time, and refuses bad dates
// with a coded error and a non-zero exit before computing anything.
import { spawn } from "node:child_process";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { asRoot, useTestDatabase } from "../../helpers/db.ts";
import { createBusiness, type BusinessFixture } from "../../helpers/fixtures.ts";
import { insertVisits } from "../../helpers/analytics.ts";

const db = useTestDatabase();
const root = path.join(import.meta.dirname, "..", "..", "..");
let shop: BusinessFixture;

function rebuild(...args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(root, "node_modules", ".bin", "node"), ["lib/analytics/cli.ts", "rebuild", ...args], {
      cwd: root,
      env: { ...process.env, NODE_ENV: "test", DATABASE_URL: db().ownerUrl, AUTH_DATABASE_URL: db().authUrl, LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

beforeAll(async () => {
  shop = await createBusiness(db());
  await db().root.query("update app_public.businesses set created_at = '2026-01-01T00:00:00Z' where id = $1", [shop.businessId]);
  await asRoot(
    db(),
    (client) =>
      insertVisits(client, shop, [
        { queueId: shop.queueId, joined: "2026-02-27T09:00:00Z", called: "2026-02-27T09:05:00Z", served: "2026-02-27T09:09:00Z" },
        { queueId: shop.queueId, joined: "2026-03-02T09:00:00Z", called: "2026-03-02T09:05:00Z", missed: "2026-03-02T09:10:00Z" },
      ]),
    { commit: true },
  );
});

describe("npm run analytics:rebuild", () => {
  it("recomputes every day of the range, month by month, and a second run writes nothing", async () => {
    const first = await rebuild("--from", "2026-02-20", "--to", "2026-03-05");
    expect(first.output).toContain("2026-02-20 … 2026-03-05: 14 day row(s) written");
    expect(first.code).toBe(0);
    const rows = await db().root.query(
      "select to_char(date, 'YYYY-MM-DD') as date, clients_served, clients_missed from app_public.analytics_daily where business_id = $1 and clients_registered > 0 order by date",
      [shop.businessId],
    );
    expect(rows.rows).toEqual([
      { date: "2026-02-27", clients_served: 1, clients_missed: 0 },
      { date: "2026-03-02", clients_served: 0, clients_missed: 1 },
    ]);
    const second = await rebuild("--from", "2026-02-20", "--to", "2026-03-05");
    expect(second.output).toContain("0 day row(s) written");
    expect(second.code).toBe(0);
  });

  it("refuses a malformed date, a backwards range and a missing argument", async () => {
    const malformed = await rebuild("--from", "2026-02-30", "--to", "2026-03-05");
    expect(malformed.code).toBe(1);
    expect(malformed.output).toContain("2026-02-30");
    const backwards = await rebuild("--from", "2026-03-05", "--to", "2026-02-20");
    expect(backwards.code).toBe(1);
    expect(backwards.output).toMatch(/2026-03-05/);
    const missing = await rebuild("--from", "2026-03-05");
    expect(missing.code).toBe(2);
    expect(missing.output).toContain("usage");
    const count = await db().root.query("select count(*)::int as n from app_public.analytics_daily where date > '2026-03-05'");
    expect(count.rows[0].n).toBe(0);
  });
});
