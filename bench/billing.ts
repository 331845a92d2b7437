// Billing webhooks benchmark (`npm run bench -- billing`), on loopback, in
// one run (bench/billing-env.ts sets up and stops everything, PostgreSQL
// included, also on failure, Ctrl-C or SIGTERM):
//
// 0. Sign-up: BENCH_ACCOUNTS merchants pay at Checkout in the fake Stripe;
//    their events (checkout.session.completed, customer.subscription.created,
//    invoice.paid) are delivered in that order and handled: every account active.
// 1. Throughput (bench/billing-throughput.ts): a history of renewals, failed
//    payments and plan changes is played at the fake, then its events are
//    POSTed to /webhooks/stripe by BENCH_SENDERS concurrent senders, shuffled,
//    BENCH_DUPLICATES of the deliveries being redeliveries of an earlier
//    event. Deliveries/s, HTTP p50/p99, then 0 lost / 0 double effects.
// 2. Status delay (bench/billing-delay.ts): renewals fail at the fake and
//    their invoice.payment_failed events are delivered at BENCH_STATUS_RATE/s;
//    delay from sending one to its account's past_due status committed, with
//    the worker at its default concurrency and at 16.
// 3. Job fetch (bench/billing-queues.ts): graphile-worker's job fetch with the
//    named queues the run made, then with 1 000, 10 000 and 50 000 more.
//
// Settings (environment): BENCH_ACCOUNTS (1000), BENCH_DELIVERIES (5000),
// BENCH_DUPLICATES (0.2), BENCH_SENDERS (50), BENCH_WORKER_CONCURRENCY (5,
// for sign-up and throughput), BENCH_SAMPLE (200 accounts per concurrency),
// BENCH_STATUS_RATE (20/s), BENCH_SEED (12), BENCH_SYNCHRONOUS_COMMIT (on),
// BENCH_PG_PORT (54370), BENCH_PROFILE (1: database statistics, stderr).
import { drained } from "./billing-check.ts";
import { DRAIN_MS, ms, progress, settings, type Account } from "./billing-common.ts";
import { statusDelay } from "./billing-delay.ts";
import { DEFAULTS, startBillingEnvironment, type BillingEnvironment } from "./billing-env.ts";
import { PROFILE, printProfile } from "./billing-profile.ts";
import { jobFetchVsQueues } from "./billing-queues.ts";
import { throughput } from "./billing-throughput.ts";

/** The whole run gives up (and still stops everything) after this. */
const WATCHDOG_MS = 10 * 60_000;

async function signUp(env: BillingEnvironment): Promise<{ accounts: Account[]; report: Record<string, unknown> }> {
  const { rows } = await env.owner.query<{ id: string; email: string }>(
    `select a.id, a.email::text from generate_series(1, $1) i,
            app_private.create_account(format('bench-%s@example.test', i), 'Bench', format('Merchant %s', i), 'password') a`,
    [settings.accounts],
  );
  progress(`${rows.length} accounts created`);
  const basic = env.prices.basic!;
  const signedUp = await env.fake.call("checkout", {
    accounts: rows.map((row) => ({ userId: row.id, email: row.email })),
    licensed: basic.licensed,
    overage: basic.overage,
  });
  progress(`${signedUp.length} checkouts completed at the fake Stripe`);
  // An account's three events in Stripe's order, accounts side by side.
  const started = performance.now();
  const delivery = await env.load.call("deliver", { groups: signedUp.map((account) => account.events), concurrency: settings.senders });
  progress(`sign-up events delivered in ${ms(delivery.elapsedMs / 1000)} s`);
  if (!(await drained(env.owner, Date.now() + DRAIN_MS, true))) throw new Error("sign-up events were not all handled in time");
  progress("sign-up events handled");
  const { rows: statuses } = await env.owner.query<{ n: number }>(
    "select count(*)::int as n from app_public.users where subscription_status = 'active' and id = any($1)",
    [rows.map((row) => row.id)],
  );
  if (statuses[0]!.n !== rows.length || delivery.byStatus["200"] !== delivery.deliveries) {
    throw new Error(`sign-up failed: ${statuses[0]!.n}/${rows.length} active, answers ${JSON.stringify(delivery.byStatus)}`);
  }
  return {
    accounts: signedUp.map(({ userId, subscription }) => ({ userId, subscription })),
    report: { accounts: rows.length, deliveries: delivery.deliveries, handledInSeconds: ms((performance.now() - started) / 1000) },
  };
}

export default async function billingBench(): Promise<void> {
  console.log(
    `billing bench: ${settings.accounts} accounts, ${settings.deliveries} deliveries (${settings.duplicateShare * 100} % redelivered) ` +
      `by ${settings.senders} senders; status delay on ${settings.sample} accounts per worker concurrency (${settings.concurrencies.join(", ")}) at ${settings.statusRate}/s`,
  );
  const reserved = settings.sample * settings.concurrencies.length;
  if (settings.accounts <= reserved) throw new Error(`BENCH_ACCOUNTS must exceed ${reserved} (BENCH_SAMPLE × 2)`);
  // Ctrl-C, a kill or a hung run still stop PostgreSQL (pg_ctl runs it in a
  // session of its own, so it outlives us otherwise): the handlers are in place
  // before anything starts, and wait for a start in progress to stop it all.
  const starting = startBillingEnvironment();
  let aborted = false;
  const abort = (reason: string, code: number) => {
    if (aborted) process.exit(code); // a second Ctrl-C: leave now (the next run stops what is left)
    aborted = true;
    console.error(`billing bench: ${reason}, stopping everything`);
    void starting
      .then((started) => started.stop())
      .catch(() => {})
      .finally(() => process.exit(code));
  };
  const onSignal = (signal: NodeJS.Signals) => abort(signal, signal === "SIGINT" ? 130 : 143);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const watchdog = setTimeout(() => abort(`no result after ${WATCHDOG_MS / 60_000} minutes`, 1), WATCHDOG_MS);
  try {
    const env = await starting;
    progress("PostgreSQL, fake Stripe, API server and worker up");
    try {
      await runAll(env, reserved);
    } finally {
      await env.stop();
    }
  } finally {
    clearTimeout(watchdog);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

async function runAll(env: BillingEnvironment, reserved: number): Promise<void> {
  if (settings.throughputConcurrency !== DEFAULTS.WORKER_CONCURRENCY) await env.restartWorker(settings.throughputConcurrency);
  const { accounts, report: signUpReport } = await signUp(env);
  // The last accounts only serve the status delay run: their first change is the one measured.
  const historyAccounts = accounts.slice(0, accounts.length - reserved);
  const run = await throughput(env, historyAccounts);
  const delay = await statusDelay(env, accounts.slice(historyAccounts.length));
  // The job fetch alone: no worker taking jobs at the same time.
  const idle = await drained(env.owner, Date.now() + DRAIN_MS, true);
  await env.stopWorker();
  const jobFetch = idle ? await jobFetchVsQueues(env.owner) : "skipped: jobs were left";
  const ok = run.ok && delay.ok;
  const fakeStripe = await env.fake.call("requests", undefined);
  console.log(JSON.stringify({ signUp: signUpReport, throughput: run.report, statusDelay: delay.report, jobFetch, fakeStripe, ok }, null, 2));
  const { lost, doubleEffects, deliveriesPerSecond, httpMs, acknowledgedAsDuplicate, redeliveries } = run.report;
  const delays = delay.report.map((entry) => `${entry.toPastDueMs.p50} / ${entry.toPastDueMs.p99} ms (worker ${entry.workerConcurrency})`);
  console.log(
    `billing bench ${ok ? "passed" : "FAILED"}: ${lost.lost} lost, ${doubleEffects.mismatched} accounts with double or missing effects ` +
      `(of ${doubleEffects.accounts}); ${deliveriesPerSecond} deliveries/s, HTTP p50 ${httpMs.p50} ms p99 ${httpMs.p99} ms, ` +
      `${acknowledgedAsDuplicate}/${redeliveries} redeliveries acknowledged as duplicates; → past_due p50 / p99: ${delays.join(", ")}`,
  );
  if (!ok) process.exitCode = 1;
  if (PROFILE) await printProfile(env.databaseRootUrl);
}
