// Analytics benchmark (`npm run bench -- analytics`), in one run:
//
// 1. The daily job over 1,000,000 visits of 10,000 businesses (two zones)
//    against one plain GROUP BY over the same rows, alternating, BENCH_ROUNDS
//    rounds: the ratio (target ≤ 3×) and the job's peak memory.
// 2. The live cross-business dashboard for a merchant with 100 businesses and
//    for the admin over 10,000: p50 / p99, SQL and HTTP.
//
// Settings (environment): BENCH_ROUNDS (5), BENCH_DASHBOARD_CALLS (200 for the
// merchant; a tenth of it for the admin), BENCH_PG_PORT (54370),
// BENCH_MERCHANTS (100), BENCH_BUSINESSES_PER_MERCHANT (100), BENCH_VISITS (100).
import os from "node:os";
import { loadBenchData, MERCHANTS, BUSINESSES_PER_MERCHANT } from "./analytics-data.ts";
import { startAnalyticsBenchEnvironment } from "./analytics-env.ts";
import { measureDailyJob, measureDashboard, type Latency } from "./analytics-measure.ts";

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const dashboardCalls = Number(process.env.BENCH_DASHBOARD_CALLS ?? 200);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const f = (value: number, digits = 0) => value.toFixed(digits);
const latency = (l: Latency) => `p50 ${f(l.p50, 1)} ms, p99 ${f(l.p99, 1)} ms (${l.calls} calls)`;

export default async function analyticsBench(): Promise<void> {
  console.log(`analytics bench: ${MERCHANTS} × ${BUSINESSES_PER_MERCHANT} businesses, ${rounds} rounds; load average ${os.loadavg().map((n) => f(n, 1)).join(" ")}`);
  const env = await startAnalyticsBenchEnvironment();
  try {
    const started = performance.now();
    const data = await loadBenchData(env.rootUrl, (line) => console.log(line));
    console.log(`data: ${data.businesses} businesses, ${data.entries} visits on ${data.day}, ${data.sms} SMS logs (${f((performance.now() - started) / 1000)} s)`);

    const job = await measureDailyJob(env, data.day, rounds);
    console.log("\n1. daily job vs one plain GROUP BY over the same rows");
    console.log("| round | daily job | GROUP BY visits (one process) | ratio | + GROUP BY SMS | ratio to both | GROUP BY visits, 2 parallel workers | job peak memory (backend, private) | job temp files | GROUP BY peak memory |");
    console.log("|---|---|---|---|---|---|---|---|---|---|");
    job.forEach((round, i) =>
      console.log(
        `| ${i + 1} | ${f(round.jobMs)} ms (${round.rows} rows) | ${f(round.groupByMs)} ms | ${f(round.jobMs / round.groupByMs, 2)}× | ${f(round.smsGroupByMs)} ms | ${f(round.jobMs / (round.groupByMs + round.smsGroupByMs), 2)}× | ${f(round.parallelGroupByMs)} ms | ${f(round.jobPeakMiB, 1)} MiB | ${f(round.jobTempMiB, 1)} MiB | ${f(round.groupByPeakMiB, 1)} MiB |`,
      ),
    );
    const ratio = median(job.map((round) => round.jobMs / round.groupByMs));
    const both = median(job.map((round) => round.jobMs / (round.groupByMs + round.smsGroupByMs)));
    console.log(`median ratio: ${f(ratio, 2)}× to the visits' GROUP BY (target ≤ 3×), ${f(both, 2)}× to the visits' and SMS' GROUP BYs; load average ${os.loadavg().map((n) => f(n, 1)).join(" ")}`);

    const dashboard = await measureDashboard(env, data.merchantId, BUSINESSES_PER_MERCHANT, data.businesses, {
      merchant: dashboardCalls,
      admin: Math.max(10, Math.round(dashboardCalls / 10)),
    });
    console.log("\n2. live dashboard (analyticsDashboard)");
    console.log(`merchant, ${BUSINESSES_PER_MERCHANT} businesses, SQL:  ${latency(dashboard.merchantSql)}`);
    console.log(`merchant, ${BUSINESSES_PER_MERCHANT} businesses, HTTP: ${latency(dashboard.merchantHttp)}`);
    console.log(`admin, ${data.businesses} businesses, SQL:  ${latency(dashboard.adminSql)}`);
    console.log(`admin, ${data.businesses} businesses, HTTP: ${latency(dashboard.adminHttp)}`);
    console.log(`load average ${os.loadavg().map((n) => f(n, 1)).join(" ")}`);
  } finally {
    await env.stop();
  }
}
