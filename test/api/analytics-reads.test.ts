// Analytics over GraphQL, as a merchant's client and the back office call it
// over real HTTP: the shapes of seed 000 ("today", "week") and seed 001
// (comparison with consolidated, dashboard), agreeing with the daily rows;
// bad input as coded errors (INVALID_DATE_RANGE, NOT_FOUND, a malformed
// date); anonymous callers have no analytics at all.
import { beforeAll, describe, expect, it } from "vitest";
import { adminHeaders } from "../helpers/auth.ts";
import { asRoot, useTestDatabase } from "../helpers/db.ts";
import { createBusiness, createMerchant, type BusinessFixture, type TestMerchant } from "../helpers/fixtures.ts";
import { expectedDay, insertVisits, type Visit } from "../helpers/analytics.ts";
import { useTestServer } from "../helpers/server.ts";

const db = useTestDatabase();
const server = useTestServer(db);

let merchant: TestMerchant;
let centre: BusinessFixture;
let gare: BusinessFixture;
let stranger: BusinessFixture;
const visits = new Map<string, Visit[]>();

const iso = (date: string, time: string) => new Date(`${date}T${time}+01:00`).toISOString();

beforeAll(async () => {
  merchant = await createMerchant(db(), { plan: "enterprise" });
  centre = await createBusiness(db(), { merchant, name: "Boulangerie Centre-Ville" });
  gare = await createBusiness(db(), { merchant, name: "Boulangerie Quartier Gare" });
  stranger = await createBusiness(db(), { name: "Chez un autre" });
  await db().root.query("update app_public.businesses set created_at = '2026-01-01T00:00:00Z'");
  for (const [shop, outcomes] of [
    [centre, ["served", "missed", "served", "cancelled"]],
    [gare, ["served", "served", "served", "missed"]],
  ] as const) {
    const list: Visit[] = ["2026-03-13", "2026-03-14"].flatMap((date) =>
      outcomes.map((outcome, i) => {
        const hour = String(8 + i).padStart(2, "0");
        const joined = iso(date, `${hour}:00:00`);
        const called = iso(date, `${hour}:10:00`);
        const done = iso(date, `${hour}:15:00`);
        return outcome === "cancelled"
          ? { queueId: shop.queueId, joined, cancelled: called, quoted: 5 }
          : { queueId: shop.queueId, joined, called, [outcome]: done, quoted: 5 };
      }),
    );
    visits.set(shop.businessId, list);
    await asRoot(db(), (client) => insertVisits(client, shop, list), { commit: true });
  }
  await db().root.query("select app_private.compute_analytics_daily('2026-03-13', '2026-03-13')");
});

const TODAY_AND_WEEK = `query($id: UUID!, $day: Date) {
  today: businessAnalyticsToday(businessId: $id) { clientsServed clientsMissed averageWaitTime peakHour abandonmentRate waitingNow }
  week: businessAnalyticsWeek(businessId: $id, day: $day) { totalClients busiestDay revenuePotential weekStart weekEnd }
}`;

const COMPARISON = `query($from: Date!, $to: Date!) {
  analyticsComparison(from: $from, to: $to) {
    periodStart periodEnd
    comparison { businessId businessName metrics { totalClients clientsServed abandonmentRate averageWaitTime peakHours smsSent } }
    consolidated { totalClients totalServed overallAbandonmentRate totalSmsSent bestPerformer bestPerformerId worstPerformer }
  }
}`;

describe("analytics over GraphQL", () => {
  it("today and week in seed 000's shape", async () => {
    const { body } = await server().graphql<{ today: Record<string, unknown>; week: Record<string, unknown> }>(
      TODAY_AND_WEEK,
      { id: centre.businessId, day: "2026-03-14" },
      merchant.headers,
    );
    expect(body.errors).toBeUndefined();
    expect(body.data!.today).toEqual({
      clientsServed: 0,
      clientsMissed: 0,
      averageWaitTime: null,
      peakHour: null,
      abandonmentRate: null,
      waitingNow: 0,
    });
    // Friday the 13th and Saturday the 14th: 4 customers each; one missed and one cancelled a day at 10 €.
    expect(body.data!.week).toEqual({
      totalClients: 8,
      busiestDay: "friday",
      revenuePotential: 40,
      weekStart: "2026-03-09",
      weekEnd: "2026-03-15",
    });
  });

  it("the comparison in seed 001's shape agrees with the daily rows; best performer by its rule", async () => {
    const { body } = await server().graphql<{ analyticsComparison: Record<string, unknown> & { comparison: Record<string, unknown>[] } }>(
      COMPARISON,
      { from: "2026-03-13", to: "2026-03-14" },
      merchant.headers,
    );
    expect(body.errors).toBeUndefined();
    const result = body.data!.analyticsComparison;
    const days = (shop: BusinessFixture) =>
      ["2026-03-13", "2026-03-14"].map((date) => expectedDay(date, "Europe/Paris", visits.get(shop.businessId)!, [], 1000));
    expect(result.comparison).toEqual([
      {
        businessId: centre.businessId,
        businessName: "Boulangerie Centre-Ville",
        metrics: {
          totalClients: 8,
          clientsServed: days(centre).reduce((n, d) => n + d.clients_served, 0),
          abandonmentRate: 50,
          averageWaitTime: 10,
          peakHours: ["08:00"],
          smsSent: 0,
        },
      },
      {
        businessId: gare.businessId,
        businessName: "Boulangerie Quartier Gare",
        metrics: { totalClients: 8, clientsServed: 6, abandonmentRate: 25, averageWaitTime: 10, peakHours: ["08:00"], smsSent: 0 },
      },
    ]);
    expect(result.consolidated).toEqual({
      totalClients: 16,
      totalServed: 10,
      overallAbandonmentRate: 37.5,
      totalSmsSent: 0,
      bestPerformer: "Boulangerie Quartier Gare",
      bestPerformerId: gare.businessId,
      worstPerformer: "Boulangerie Centre-Ville",
    });
    const consolidated = await server().graphql<{ analyticsConsolidated: Record<string, unknown> }>(
      `query { analyticsConsolidated(period: day, day: "2026-03-13") { periodStart periodEnd totalClients totalServed bestPerformer } }`,
      {},
      merchant.headers,
    );
    expect(consolidated.body.data!.analyticsConsolidated).toEqual({
      periodStart: "2026-03-13",
      periodEnd: "2026-03-13",
      totalClients: 8,
      totalServed: 5,
      bestPerformer: "Boulangerie Quartier Gare",
    });
  });

  it("the daily history and the dashboard; the admin reads every business", async () => {
    const history = await server().graphql<{ businessAnalyticsDaily: { nodes: Record<string, unknown>[] } }>(
      `query($id: UUID!) { businessAnalyticsDaily(businessId: $id, from: "2026-03-13", to: "2026-03-14") { nodes { date isComplete clientsRegistered peakQueueSize busiestWindowStart busiestWindowEnd } } }`,
      { id: gare.businessId },
      merchant.headers,
    );
    expect(history.body.data!.businessAnalyticsDaily.nodes).toEqual(
      ["2026-03-13", "2026-03-14"].map((date) => {
        const day = expectedDay(date, "Europe/Paris", visits.get(gare.businessId)!, [], 1000);
        return {
          date,
          isComplete: true,
          clientsRegistered: 4,
          peakQueueSize: day.peak_queue_size,
          // GraphQL's Time: PostgreSQL's with microseconds.
          busiestWindowStart: `${day.busiest_window_start}.000000`,
          busiestWindowEnd: `${day.busiest_window_end}.000000`,
        };
      }),
    );
    const dashboard = `query { analyticsDashboard { nodes { businessName isQueueActive isQueuePaused currentQueueSize todayServed } } }`;
    const mine = await server().graphql<{ analyticsDashboard: { nodes: Record<string, unknown>[] } }>(dashboard, {}, merchant.headers);
    expect(mine.body.data!.analyticsDashboard.nodes.map((row) => row.businessName)).toEqual([
      "Boulangerie Centre-Ville",
      "Boulangerie Quartier Gare",
    ]);
    const admin = await server().graphql<{ analyticsDashboard: { nodes: Record<string, unknown>[] } }>(dashboard, {}, adminHeaders());
    expect(admin.body.data!.analyticsDashboard.nodes.map((row) => row.businessName)).toEqual(
      expect.arrayContaining(["Boulangerie Centre-Ville", "Boulangerie Quartier Gare", "Chez un autre"]),
    );
    const adminToday = await server().graphql(TODAY_AND_WEEK, { id: stranger.businessId }, adminHeaders());
    expect(adminToday.body.errors).toBeUndefined();
  });

  it("bad input: coded errors, nothing computed", async () => {
    const daily = `query($id: UUID!, $from: Date!, $to: Date!) { businessAnalyticsDaily(businessId: $id, from: $from, to: $to) { nodes { date } } }`;
    const backwards = await server().graphql(daily, { id: centre.businessId, from: "2026-03-14", to: "2026-03-13" }, merchant.headers);
    expect(backwards.body.errors?.[0]?.extensions?.code).toBe("INVALID_DATE_RANGE");
    const tooLong = await server().graphql(daily, { id: centre.businessId, from: "2025-01-01", to: "2026-03-13" }, merchant.headers);
    expect(tooLong.body.errors?.[0]).toMatchObject({ extensions: { code: "INVALID_DATE_RANGE" } });
    expect(tooLong.body.errors?.[0]?.message).toContain("437");
    const someoneElses = await server().graphql(daily, { id: stranger.businessId, from: "2026-03-13", to: "2026-03-14" }, merchant.headers);
    expect(someoneElses.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    for (const from of ["2026-02-30", "13/03/2026", "2026-3-1x"]) {
      const malformed = await server().graphql<{ businessAnalyticsDaily: unknown }>(
        daily,
        { id: centre.businessId, from, to: "2026-03-14" },
        merchant.headers,
      );
      expect(malformed.body.errors?.[0]?.extensions?.code, from).toBe("INVALID_DATE");
      expect(malformed.body.data?.businessAnalyticsDaily ?? null).toBeNull();
    }
    const anonymous = await server().graphql(`query { analyticsDashboard { nodes { businessName } } }`);
    expect(anonymous.body.errors?.[0]?.message).toMatch(/analyticsDashboard/);
  });
});
