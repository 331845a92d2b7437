// The status delay run of the billing benchmark: how long from Stripe
// sending an event to the account's new status being committed? Accounts
// fresh from sign-up (active); each one's renewal fails at the fake Stripe
// and its invoice.payment_failed is delivered, open loop at
// BENCH_STATUS_RATE/s; the delay ends when the bench-only trigger's
// notification of the account's past_due status reaches the sender thread
// (bench/billing-load.ts), which took the start time on the same clock.
//
// The two worker concurrencies alternate in four rounds, A B B A, of half
// the sample each, so that a machine getting busier or quieter during the
// run weighs on both alike.
import { drained } from "./billing-check.ts";
import { DRAIN_MS, latencySummary, progress, settings, type Account } from "./billing-common.ts";
import type { BillingEnvironment } from "./billing-env.ts";

interface Round {
  delays: number[];
  latencies: number[];
  answered: number;
  missing: number;
  pastDue: number;
  accounts: number;
}

async function round(env: BillingEnvironment, accounts: Account[], concurrency: number): Promise<Round> {
  // A clean start: nothing queued (the emails of earlier runs included), the worker at `concurrency`.
  if (!(await drained(env.owner, Date.now() + DRAIN_MS, true))) throw new Error("jobs left before a status delay round");
  await env.restartWorker(concurrency);
  progress(`status delay round: ${accounts.length} accounts, worker concurrency ${concurrency}`);
  const bodies = await env.fake.call("failRenewals", { subscriptions: accounts.map((account) => account.subscription) });
  const result = await env.load.call("statusDelay", {
    deliveries: accounts.map((account, i) => ({ userId: account.userId, body: bodies[i]! })),
    target: "past_due",
    rate: settings.statusRate,
    timeoutMs: 60_000,
  });
  const { rows } = await env.owner.query<{ n: number }>(
    "select count(*)::int as n from app_public.users where subscription_status = 'past_due' and id = any($1)",
    [accounts.map((account) => account.userId)],
  );
  return {
    delays: result.delays,
    latencies: result.latencies,
    answered: result.byStatus["200"] ?? 0,
    missing: result.missing,
    pastDue: rows[0]!.n,
    accounts: accounts.length,
  };
}

export async function statusDelay(env: BillingEnvironment, accounts: Account[]) {
  await env.notifyStatusChanges();
  const [a, b] = settings.concurrencies as [number, number];
  const half = Math.floor(settings.sample / 2);
  const rounds = new Map<number, Round[]>([
    [a, []],
    [b, []],
  ]);
  for (const [i, concurrency] of [a, b, b, a].entries()) {
    rounds.get(concurrency)!.push(await round(env, accounts.slice(i * half, (i + 1) * half), concurrency));
  }
  const report = [...rounds].map(([concurrency, results]) => {
    const all = (pick: (result: Round) => number[]) => results.flatMap(pick).sort((x, y) => x - y);
    const sum = (pick: (result: Round) => number) => results.reduce((total, result) => total + pick(result), 0);
    return {
      workerConcurrency: concurrency,
      accounts: sum((result) => result.accounts),
      ratePerSecond: settings.statusRate,
      answered200: sum((result) => result.answered),
      httpMs: latencySummary(all((result) => result.latencies)),
      toPastDueMs: latencySummary(all((result) => result.delays)),
      // Per round, in run order within this concurrency (A B B A).
      p50ByRound: results.map((result) => latencySummary(result.delays).p50),
      missing: sum((result) => result.missing),
      pastDueInDatabase: sum((result) => result.pastDue),
    };
  });
  const ok = report.every((entry) => entry.missing === 0 && entry.pastDueInDatabase === entry.accounts && entry.answered200 === entry.accounts);
  return { ok, report };
}
