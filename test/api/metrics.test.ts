// GET /metrics (lib/http/metrics.ts): behind METRICS_TOKEN, Prometheus text
// with the HTTP latencies by route and operation, errors by code, the job
// queue and delivery backlogs read at scrape time, pool usage, event-loop lag
// and the worker's SMS counters; /health's SMS and email delivery state.
import { describe, expect, it } from "vitest";
import { operationLabel, pagesOperations } from "../../lib/observability/operation-names.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { createBusiness, join, phone } from "../helpers/fixtures.ts";
import { startTestServer, useTestServer } from "../helpers/server.ts";

const TOKEN = "metrics-token-0123456789abcdef";

/** The value of one sample line (metric name with its exact labels), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("/metrics", () => {
  const db = useTestDatabase();
  const server = useTestServer(db, { observability: { metricsToken: TOKEN } });
  const scrape = async () => {
    const response = await fetch(`${server().url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text();
  };

  it("refuses a missing or wrong token with 401 and a code", async () => {
    for (const headers of [{}, { authorization: "Bearer wrong-token-0123456789abcdef" }, { authorization: `Basic ${TOKEN}` }]) {
      const response = await fetch(`${server().url}/metrics`, { headers });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe("UNAUTHENTICATED");
    }
  });

  it("measures GraphQL latency by operation name and counts errors by code", async () => {
    const before = await scrape();
    const series = 'waitify_http_request_duration_seconds_count{method="POST",route="/graphql",operation="QueueStatus",status="200"}';
    const errors = 'waitify_errors_total{code="GRAPHQL_VALIDATION_FAILED"}';
    await server().graphql("query QueueStatus { __typename }");
    await server().graphql("query QueueStatus { __typename }");
    await server().graphql("query Broken { noSuchField }");
    const after = await scrape();
    expect(sample(after, series)).toBe((sample(before, series) ?? 0) + 2);
    expect(sample(after, errors)).toBe((sample(before, errors) ?? 0) + 1);
    expect(after).toMatch(/^waitify_http_request_duration_seconds_bucket\{le="0\.1",method="POST",route="\/graphql",operation="Broken",status="400"\} \d+$/m);
  });

  it("reads the job queue and the SMS backlog at scrape time", async () => {
    const business = await createBusiness(db());
    // The worker is off here: the confirmation SMS's job waits.
    await join(db(), business.qrToken, phone(4242));
    const text = await scrape();
    expect(sample(text, 'waitify_jobs{task="send_sms",state="waiting"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'waitify_jobs_oldest_waiting_seconds{task="send_sms"}')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'waitify_delivery_pending{channel="sms"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, "waitify_scrape_database_up")).toBe(1);
    expect(sample(text, 'waitify_db_pool_connections{pool="signed_in",state="total"}')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^waitify_nodejs_eventloop_lag_seconds \d/m);
  });

  it("reports SMS and email delivery in /health from the database", async () => {
    const healthy = (await (await fetch(`${server().url}/health`)).json()) as Record<string, Record<string, unknown>>;
    expect(healthy.sms).toMatchObject({ provider: "log", status: "ok", failuresLastHour: 0, lastFailureSeconds: null });
    expect(healthy.email).toMatchObject({ provider: "log", status: "ok", pending: 0 });
    expect(healthy.sms!.pending).toBeGreaterThanOrEqual(1);
    await db().root.query(
      "update app_public.sms_logs set status = 'failed', error_code = 5001 where id = (select id from app_public.sms_logs limit 1)",
    );
    const response = await fetch(`${server().url}/health`);
    // A failing provider never makes the API unhealthy: queues work without SMS.
    expect(response.status).toBe(200);
    const failing = (await response.json()) as Record<string, Record<string, unknown>>;
    expect(failing.sms).toMatchObject({ status: "failing", failuresLastHour: 1, lastFailureSeconds: 0 });
  });
});

describe("/metrics without METRICS_TOKEN", () => {
  const db = useTestDatabase();
  const server = useTestServer(db);

  it("does not exist (404)", async () => {
    const response = await fetch(`${server().url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(404);
  });
});

describe("SMS counters", () => {
  const db = useTestDatabase();

  it("count the worker's sends by type, provider and outcome", async () => {
    const server = await startTestServer(db(), { worker: true, schedule: false, observability: { metricsToken: TOKEN } });
    try {
      const series = 'waitify_sms_total{type="confirmation",provider="log",outcome="sent"}';
      const read = async () =>
        sample(await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text(), series) ?? 0;
      const before = await read();
      const business = await createBusiness(db());
      await join(db(), business.qrToken, phone(4343));
      await expect.poll(read, { timeout: 10_000 }).toBe(before + 1);
    } finally {
      await server.close();
    }
  });
});

describe("operation labels", () => {
  it("keep the pages' names, admit a bounded number of others, bucket the rest", () => {
    expect(pagesOperations()).toEqual(expect.arrayContaining(["JoinQueue", "EntryStatus", "CounterQueue"]));
    expect(operationLabel("JoinQueue")).toBe("JoinQueue");
    expect(operationLabel(null)).toBe("(anonymous)");
    const labels = new Set(Array.from({ length: 200 }, (_, i) => operationLabel(`Invented${i}`)));
    expect(labels.size).toBeLessThanOrEqual(51);
    expect(labels).toContain("(other)");
    expect(operationLabel("EntryStatus")).toBe("EntryStatus");
    expect(operationLabel("not a name!")).toBe("(other)");
  });
});

// Its own database: the other /health test starts from an empty SMS backlog.
describe("/metrics and the SMS cap", () => {
  const db = useTestDatabase();
  const server = useTestServer(db, { observability: { metricsToken: TOKEN } });

  it("counts the SMS a daily cap kept back, by type", async () => {
    const business = await createBusiness(db());
    // One part a day: the second confirmation is over the cap (db/sms/cap.sql).
    await db().root.query("update app_public.businesses set sms_daily_cap_override = 1 where id = $1", [business.businessId]);
    await join(db(), business.qrToken, phone(5001));
    await join(db(), business.qrToken, phone(5002));
    const { rows } = await db().root.query<{ n: number }>(
      "select count(*)::int as n from app_public.sms_logs where business_id = $1 and status = 'capped' and message_type = 'confirmation'",
      [business.businessId],
    );
    expect(rows[0]!.n).toBeGreaterThanOrEqual(1);
    const response = await fetch(`${server().url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const text = await response.text();
    expect(sample(text, 'waitify_sms_capped_last_hour{type="confirmation"}')).toBe(rows[0]!.n);
  });
});
