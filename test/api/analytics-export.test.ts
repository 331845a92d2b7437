// The CSV exports over real HTTP (lib/http/analytics-export.ts): a header
// row, UTF-8 with a byte-order mark, ISO dates, the figures of the daily rows
// (stored or not yet), formulas escaped, many rows streamed in batches; 401
// without a valid token, 404 for someone else's business, 400 with a coded
// error for bad dates; the admin exports any business.
import { beforeAll, describe, expect, it } from "vitest";
import { adminHeaders, bearer } from "../helpers/auth.ts";
import { asRoot, useTestDatabase } from "../helpers/db.ts";
import { createBusiness, createMerchant, type BusinessFixture, type TestMerchant } from "../helpers/fixtures.ts";
import { expectedDay, figureColumns, insertVisits, type Visit } from "../helpers/analytics.ts";
import { useTestServer } from "../helpers/server.ts";
import { parseCsv } from "../helpers/csv.ts";

const db = useTestDatabase();
const server = useTestServer(db);

let merchant: TestMerchant;
let formula: BusinessFixture;
let cafe: BusinessFixture;
let stranger: BusinessFixture;
let formulaVisits: Visit[];


async function get(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${server().url}${path}`, { headers });
  const bytes = new Uint8Array(await response.arrayBuffer());
  return { status: response.status, headers: response.headers, bytes, text: new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes) };
}

beforeAll(async () => {
  merchant = await createMerchant(db(), { plan: "enterprise" });
  formula = await createBusiness(db(), { merchant, name: '=HYPERLINK("http://evil.example","clic")' });
  cafe = await createBusiness(db(), { merchant, name: "Café Crème, Rennes" });
  stranger = await createBusiness(db(), { name: "Chez un autre" });
  await db().root.query("update app_public.businesses set created_at = '2025-01-01T00:00:00Z'");
  const q = formula.queueId;
  formulaVisits = [
    { queueId: q, joined: "2026-03-10T08:00:00Z", called: "2026-03-10T08:06:00Z", served: "2026-03-10T08:10:00Z", quoted: 4 },
    { queueId: q, joined: "2026-03-10T08:01:00Z", called: "2026-03-10T08:10:00Z", missed: "2026-03-10T08:15:00Z", quoted: 6 },
    { queueId: q, joined: "2026-03-11T16:20:00Z", cancelled: "2026-03-11T16:30:00Z", quoted: 2 },
  ];
  await asRoot(db(), (client) => insertVisits(client, formula, formulaVisits), { commit: true });
  await db().root.query("select app_private.compute_analytics_daily('2026-03-10', '2026-03-10')");
});

describe("GET /businesses/:id/analytics/export.csv", () => {
  it("streams a UTF-8 CSV with a header row, ISO dates, the daily figures and formulas escaped", async () => {
    const response = await get(`/businesses/${formula.businessId}/analytics/export.csv?from=2026-03-10&to=2026-03-12`, merchant.headers);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("content-disposition")).toMatch(/^attachment; filename="waitify-analytics-.*\.csv"$/);
    expect([...response.bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const [header, ...rows] = parseCsv(response.text.slice(1));
    expect(header!.slice(0, 5)).toEqual(["date", "business_id", "business_name", "time_zone", "complete"]);
    expect(header).toEqual(expect.arrayContaining([...figureColumns]));
    expect(rows.map((row) => row[0])).toEqual(["2026-03-10", "2026-03-11", "2026-03-12"]);
    for (const row of rows) {
      const record = Object.fromEntries(header!.map((name, i) => [name, row[i]]));
      // The cell a spreadsheet would run: shown as typed instead.
      expect(record.business_name).toBe(`'=HYPERLINK("http://evil.example","clic")`);
      const expected = expectedDay(record.date!, "Europe/Paris", formulaVisits, [], 1000);
      for (const column of figureColumns) {
        const value = expected[column];
        const text = value === null ? "" : column.startsWith("busiest_window_") ? String(value).slice(0, 5) : String(value);
        expect(record[column], `${record.date} ${column}`).toBe(text);
      }
    }
  });

  it("every business of the merchant at once, names in UTF-8 and quoted; many rows streamed in batches", async () => {
    const response = await get("/analytics/export.csv?from=2025-03-02&to=2026-03-02", merchant.headers);
    expect(response.status).toBe(200);
    const [header, ...rows] = parseCsv(response.text.slice(1));
    expect(header![0]).toBe("date");
    // 366 days × 2 businesses: more rows than one fetch of the cursor.
    expect(rows).toHaveLength(732);
    expect(new Set(rows.map((row) => row[2]))).toEqual(new Set(["Café Crème, Rennes", `'=HYPERLINK("http://evil.example","clic")`]));
    expect(rows.map((row) => row[0])).toEqual([...rows.map((row) => row[0]!)].sort());
    expect(response.text).toContain('"Café Crème, Rennes"');
    expect(new Set(rows.map((row) => row[1]))).toEqual(new Set([cafe.businessId, formula.businessId]));
  });

  it("401 without a token or with a bad one; 404 for someone else's business; the admin exports any", async () => {
    const path = `/businesses/${stranger.businessId}/analytics/export.csv?from=2026-03-10&to=2026-03-12`;
    const anonymous = await get(path);
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.text).errors[0].extensions.code).toBe("UNAUTHENTICATED");
    expect((await get(path, bearer("not.a.token"))).status).toBe(401);
    const someoneElses = await get(path, merchant.headers);
    expect(someoneElses.status).toBe(404);
    expect(JSON.parse(someoneElses.text).errors[0].extensions.code).toBe("NOT_FOUND");
    expect((await get("/businesses/not-a-uuid/analytics/export.csv?from=2026-03-10&to=2026-03-12", merchant.headers)).status).toBe(404);
    const admin = await get(path, adminHeaders());
    expect(admin.status).toBe(200);
    expect(parseCsv(admin.text.slice(1))).toHaveLength(4);
  });

  it("400 with a coded error for a malformed date, a backwards or too long period", async () => {
    const base = `/businesses/${formula.businessId}/analytics/export.csv`;
    for (const [query, code] of [
      ["from=2026-02-30&to=2026-03-12", "INVALID_DATE"],
      ["from=10%2F03%2F2026&to=2026-03-12", "INVALID_DATE"],
      ["to=2026-03-12", "INVALID_DATE"],
      ["from=2026-03-12&to=2026-03-10", "INVALID_DATE_RANGE"],
      ["from=2025-01-01&to=2026-03-12", "INVALID_DATE_RANGE"],
    ] as const) {
      const response = await get(`${base}?${query}`, merchant.headers);
      expect(response.status, query).toBe(400);
      expect(JSON.parse(response.text).errors[0].extensions.code, query).toBe(code);
    }
  });
});
