// What the billing benchmark checks after the throughput run, from the
// database alone:
// - 0 lost: every distinct event id delivered is stored once in
//   app_private.stripe_events and processed ("applied") by the worker, and no
//   stripe_event job is left;
// - 0 double effects, per account, against the fake's objects
//   (bench/billing-history.ts): payment_failures rows = failed attempts of the
//   open invoices = distinct (invoice, attempt) delivered; feed events
//   payment_failed / reminder_sent = that number, payment_succeeded = invoices
//   paid, plan_changed = 1 when the plan moved; emails = failures + payments;
//   the final status and plan as the objects imply; and the status changes
//   form one chain from the old status to the new, each step worse than the
//   last (their number depends on the order the worker saw the objects in,
//   a repeated or backward step would be a double effect).
import type pg from "pg";
import type { AccountExpectation } from "./billing-history.ts";

export interface AccountCounts {
  status: string;
  plan: string;
  failures: number;
  emails: number;
  events: Record<string, number>;
}

/** Counters of each account, to compare before and after a run. */
export async function accountCounts(owner: pg.Pool, userIds: string[]): Promise<Map<string, AccountCounts>> {
  const { rows } = await owner.query<AccountCounts & { user_id: string }>(
    `select u.id as user_id, u.subscription_status::text as status, p.name as plan,
            (select count(*) from app_private.payment_failures f where f.user_id = u.id)::int as failures,
            (select count(*) from app_private.email_logs e where e.user_id = u.id)::int as emails,
            (select coalesce(jsonb_object_agg(x.event_type, x.n), '{}') from (
               select a.event_type, count(*)::int as n from app_public.account_events a where a.user_id = u.id group by 1) x) as events
       from app_public.users u join app_public.subscription_plans p on p.id = u.subscription_plan_id
      where u.id = any($1)`,
    [userIds],
  );
  return new Map(rows.map(({ user_id, ...counts }) => [user_id, counts]));
}

/** Waits until every logged event is processed and no stripe_event job is left; false at the deadline. */
export async function drained(owner: pg.Pool, deadline: number, alsoEmails = false): Promise<boolean> {
  for (;;) {
    const { rows } = await owner.query<{ unprocessed: number; jobs: number }>(
      `select (select count(*) from app_private.stripe_events where processed_at is null)::int as unprocessed,
              (select count(*) from graphile_worker.jobs where task_identifier = 'stripe_event'
                  or ($1 and task_identifier = 'send_email'))::int as jobs`,
      [alsoEmails],
    );
    if (rows[0]!.unprocessed === 0 && rows[0]!.jobs === 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface LostReport {
  distinct: number;
  stored: number;
  processed: number;
  lost: number;
  jobsLeft: number;
}

export async function checkLost(owner: pg.Pool, eventIds: string[]): Promise<LostReport> {
  const { rows } = await owner.query<{ stored: number; processed: number }>(
    `select count(*)::int as stored, count(*) filter (where processed_at is not null and outcome = 'applied')::int as processed
       from app_private.stripe_events where id = any($1)`,
    [eventIds],
  );
  const jobs = await owner.query<{ n: number }>("select count(*)::int as n from graphile_worker.jobs where task_identifier = 'stripe_event'");
  const { stored, processed } = rows[0]!;
  return { distinct: eventIds.length, stored, processed, lost: eventIds.length - processed, jobsLeft: jobs.rows[0]!.n };
}

const SEVERITY = ["trial", "active", "past_due", "read_only", "suspended", "cancelled"];

export interface EffectsReport {
  accounts: number;
  /** Accounts where some count or the final state differs from the expectation. */
  mismatched: number;
  /** Up to 5 of them, with what differed. */
  examples: string[];
  failures: number;
  payments: number;
  /** How many status changes the accounts recorded: {1: n, 2: m…}. */
  statusStepsPerAccount: Record<string, number>;
}

export async function checkEffects(
  owner: pg.Pool,
  expected: AccountExpectation[],
  before: Map<string, AccountCounts>,
  firstEventId: number,
): Promise<EffectsReport> {
  const after = await accountCounts(owner, expected.map((account) => account.userId));
  const { rows: steps } = await owner.query<{ user_id: string; from: string; to: string }>(
    `select user_id, detail ->> 'from' as from, detail ->> 'to' as to from app_public.account_events
      where event_type = 'status_changed' and id >= $1 order by id`,
    [firstEventId],
  );
  const chains = new Map<string, Array<{ from: string; to: string }>>();
  for (const step of steps) (chains.get(step.user_id) ?? chains.set(step.user_id, []).get(step.user_id)!).push(step);

  const report: EffectsReport = { accounts: expected.length, mismatched: 0, examples: [], failures: 0, payments: 0, statusStepsPerAccount: {} };
  for (const account of expected) {
    const was = before.get(account.userId)!;
    const now = after.get(account.userId)!;
    const delta = (type: string) => (now.events[type] ?? 0) - (was.events[type] ?? 0);
    const chain = chains.get(account.userId) ?? [];
    const chainOk =
      chain.every((step, i) => step.from === (i === 0 ? was.status : chain[i - 1]!.to) && SEVERITY.indexOf(step.to) > SEVERITY.indexOf(step.from)) &&
      (chain.at(-1)?.to ?? was.status) === account.status;
    const differences = Object.entries({
      failuresRows: [now.failures - was.failures, account.failures],
      failuresDelivered: [account.failedPairsDelivered, account.failures],
      payment_failed: [delta("payment_failed"), account.failures],
      reminder_sent: [delta("reminder_sent"), account.failures],
      payment_succeeded: [delta("payment_succeeded"), account.paid],
      plan_changed: [delta("plan_changed"), account.plan === was.plan ? 0 : 1],
      emails: [now.emails - was.emails, account.failures + account.paid],
      status: [now.status, account.status],
      plan: [now.plan, account.plan],
      statusChain: [chainOk, true],
    }).filter(([, [actual, wanted]]) => actual !== wanted);
    report.failures += account.failures;
    report.payments += account.paid;
    report.statusStepsPerAccount[chain.length] = (report.statusStepsPerAccount[chain.length] ?? 0) + 1;
    if (differences.length > 0) {
      report.mismatched++;
      if (report.examples.length < 5) {
        report.examples.push(`${account.userId}: ${differences.map(([name, [actual, wanted]]) => `${name} ${actual} ≠ ${wanted}`).join(", ")}`);
      }
    }
  }
  return report;
}
