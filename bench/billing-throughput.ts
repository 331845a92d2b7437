// The throughput run of the billing benchmark: a history played at the fake
// Stripe (bench/billing-history.ts), its events POSTed by concurrent senders
// in Stripe's manner — out of order, a share of them twice — then what the
// database holds checked against the fake's objects (bench/billing-check.ts).
import { accountCounts, checkEffects, checkLost, drained } from "./billing-check.ts";
import { DRAIN_MS, latencySummary, ms, progress, settings, type Account } from "./billing-common.ts";
import type { BillingEnvironment } from "./billing-env.ts";
import { seeded } from "./billing-history.ts";
import type { DeliveryReport } from "./billing-load.ts";

/** Stripe's order is not ours: events shuffled, and `duplicates` redeliveries, each after its event's first delivery. */
function deliveryOrder(bodies: string[], duplicates: number, random: () => number): string[] {
  const order = [...bodies];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const out: string[] = [];
  let next = 0;
  let left = duplicates;
  while (next < order.length || left > 0) {
    const redeliver = left > 0 && out.length > 0 && (next === order.length || random() < left / (order.length - next + left));
    if (redeliver) {
      out.push(out[Math.floor(random() * out.length)]!);
      left--;
    } else out.push(order[next++]!);
  }
  return out;
}

export async function throughput(env: BillingEnvironment, accounts: Account[]) {
  const random = seeded(settings.seed);
  const distinctTarget = Math.round(settings.deliveries * (1 - settings.duplicateShare));
  const history = await env.fake.call("history", { accounts, events: distinctTarget, seed: settings.seed, prices: env.prices });
  const duplicates = Math.round((history.events.length * settings.duplicateShare) / (1 - settings.duplicateShare));
  const bodies = deliveryOrder(history.events.map((event) => event.body), duplicates, random);
  progress(`history played at the fake: ${history.events.length} events`);
  const userIds = accounts.map((account) => account.userId);
  const before = await accountCounts(env.owner, userIds);
  const { rows } = await env.owner.query<{ next: number }>("select coalesce(max(id), 0)::int + 1 as next from app_public.account_events");

  const delivery: DeliveryReport = await env.load.call("deliver", { groups: bodies.map((body) => [body]), concurrency: settings.senders });
  progress(`${delivery.deliveries} deliveries in ${ms(delivery.elapsedMs / 1000)} s`);
  const handled = await drained(env.owner, Date.now() + DRAIN_MS);
  progress("throughput run handled");
  const eventIds = history.events.map((event) => event.id);
  const { rows: window } = await env.owner.query<{ seconds: number }>(
    "select extract(epoch from max(processed_at) - min(received_at))::float8 as seconds from app_private.stripe_events where id = any($1)",
    [eventIds],
  );
  const lost = await checkLost(env.owner, eventIds);
  const effects = await checkEffects(env.owner, history.expected, before, rows[0]!.next);
  const types: Record<string, number> = {};
  for (const event of history.events) types[event.type] = (types[event.type] ?? 0) + 1;
  const ok =
    handled && lost.lost === 0 && lost.stored === lost.distinct && lost.jobsLeft === 0 && effects.mismatched === 0 &&
    delivery.byStatus["200"] === bodies.length && delivery.duplicates === duplicates && delivery.stored === history.events.length;
  return {
    ok,
    report: {
      accounts: accounts.length,
      distinctEvents: history.events.length,
      eventTypes: types,
      deliveries: delivery.deliveries,
      redeliveries: duplicates,
      senders: settings.senders,
      answers: delivery.byStatus,
      ...(delivery.firstError ? { firstError: delivery.firstError } : {}),
      deliveriesPerSecond: Math.round(delivery.deliveries / (delivery.elapsedMs / 1000)),
      httpMs: latencySummary(delivery.latencies),
      acknowledgedAsDuplicate: delivery.duplicates,
      storedAsNew: delivery.stored,
      workerConcurrency: settings.throughputConcurrency,
      // First event received → last one processed, from the database's own timestamps.
      handledPerSecond: Math.round(history.events.length / window[0]!.seconds),
      handledInSeconds: ms(window[0]!.seconds),
      // How far the worker was behind when the senders were done.
      handledSecondsAfterLastDelivery: ms(window[0]!.seconds - delivery.elapsedMs / 1000),
      lost,
      doubleEffects: effects,
    },
  };
}
