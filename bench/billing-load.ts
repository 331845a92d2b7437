// Stripe's side of the billing benchmark, in a thread of its own: it POSTs
// events to /webhooks/stripe, each signed at the moment it is sent (as
// Stripe signs every delivery, a redelivery too) with the stripe SDK's
// generateTestHeaderString, and times the answers. For the status delay it
// also LISTENs for the bench's own notification of a status change (a
// trigger the benchmark adds to its database), on the same clock as the
// deliveries.
import http from "node:http";
import { workerData } from "node:worker_threads";
import pg from "pg";
import Stripe from "stripe";
import { serveThread, startThread, type ThreadClient } from "./billing-rpc.ts";
import { post } from "./http-post.ts";

const ROLE = "billing-load";
/** The channel of the bench-only trigger on app_public.users (bench/billing-env.ts). */
export const STATUS_CHANNEL = "bench_status";

interface LoadSettings {
  role: typeof ROLE;
  /** POST /webhooks/stripe of the server under test. */
  webhookUrl: string;
  secret: string;
  /** For LISTEN. */
  databaseUrl: string;
}

export interface DeliveryReport {
  deliveries: number;
  elapsedMs: number;
  /** HTTP answer time of each delivery, ms, sorted. */
  latencies: number[];
  byStatus: Record<string, number>;
  /** 200 answers saying duplicate: true (a redelivery) or false (stored). */
  duplicates: number;
  stored: number;
  firstError?: string;
}

export interface StatusReport {
  deliveries: number;
  /** Delivery sent → the account's new status committed (its notification here), ms, sorted. */
  delays: number[];
  /** Delivery sent → HTTP answer, ms, sorted. */
  latencies: number[];
  byStatus: Record<string, number>;
  /** Accounts whose status had not changed when the wait ended. */
  missing: number;
  elapsedMs: number;
}

function handlers(settings: LoadSettings) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const deliver = async (body: string) => {
    const header = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: settings.secret });
    const started = performance.now();
    const answer = await post(settings.webhookUrl, body, agent, { "stripe-signature": header });
    return { ...answer, ms: performance.now() - started };
  };

  return {
    /**
     * `concurrency` senders take groups in order; a group's events go one
     * after the other (an account's sign-up events, in Stripe's order).
     */
    async deliver(input: { groups: string[][]; concurrency: number }): Promise<DeliveryReport> {
      const report: DeliveryReport = { deliveries: 0, elapsedMs: 0, latencies: [], byStatus: {}, duplicates: 0, stored: 0 };
      let next = 0;
      const start = performance.now();
      const sender = async () => {
        while (next < input.groups.length) {
          for (const body of input.groups[next++]!) {
            try {
              const answer = await deliver(body);
              report.deliveries++;
              report.latencies.push(answer.ms);
              report.byStatus[answer.status] = (report.byStatus[answer.status] ?? 0) + 1;
              if (answer.status === 200) {
                if ((JSON.parse(answer.body) as { duplicate?: boolean }).duplicate) report.duplicates++;
                else report.stored++;
              } else report.firstError ??= answer.body;
            } catch (error) {
              report.byStatus.network = (report.byStatus.network ?? 0) + 1;
              report.firstError ??= String(error);
            }
          }
        }
      };
      await Promise.all(Array.from({ length: input.concurrency }, sender));
      report.elapsedMs = performance.now() - start;
      report.latencies.sort((a, b) => a - b);
      return report;
    },

    /**
     * Open loop: the i-th event is sent at start + i / rate whatever happened
     * before; then waits (at most `timeoutMs` after the last one) until each
     * account's status has changed.
     */
    async statusDelay(input: { deliveries: Array<{ userId: string; body: string }>; target: string; rate: number; timeoutMs: number }): Promise<StatusReport> {
      const listener = new pg.Client({ connectionString: settings.databaseUrl });
      await listener.connect();
      try {
        const sentAt = new Map<string, number>();
        const delays: number[] = [];
        let resolveAll: () => void = () => {};
        const all = new Promise<void>((resolve) => (resolveAll = resolve));
        listener.on("notification", (message) => {
          const changedAt = performance.now();
          const [userId = "", status] = (message.payload ?? "").split(" ");
          const sent = sentAt.get(userId);
          if (sent === undefined || status !== input.target) return;
          sentAt.delete(userId);
          delays.push(changedAt - sent);
          if (delays.length === input.deliveries.length) resolveAll();
        });
        await listener.query(`listen ${STATUS_CHANNEL}`);

        const report: StatusReport = { deliveries: 0, delays, latencies: [], byStatus: {}, missing: 0, elapsedMs: 0 };
        const sends: Promise<void>[] = [];
        const start = performance.now();
        for (const [i, delivery] of input.deliveries.entries()) {
          const wait = start + (i * 1000) / input.rate - performance.now();
          if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
          // Noted before the request leaves: its header is signed inside deliver().
          sentAt.set(delivery.userId, performance.now());
          sends.push(
            deliver(delivery.body).then(
              (answer) => {
                report.deliveries++;
                report.latencies.push(answer.ms);
                report.byStatus[answer.status] = (report.byStatus[answer.status] ?? 0) + 1;
              },
              () => void (report.byStatus.network = (report.byStatus.network ?? 0) + 1),
            ),
          );
        }
        await Promise.all(sends);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([all, new Promise<void>((resolve) => (timer = setTimeout(resolve, input.timeoutMs)))]);
        clearTimeout(timer);
        report.elapsedMs = performance.now() - start;
        report.missing = input.deliveries.length - delays.length;
        delays.sort((a, b) => a - b);
        report.latencies.sort((a, b) => a - b);
        return report;
      } finally {
        await listener.end().catch(() => {});
      }
    },

    close: () => agent.destroy(),
  };
}

export type LoadHandlers = ReturnType<typeof handlers>;
export type LoadThread = ThreadClient<LoadHandlers>;

export function startLoadThread(settings: Omit<LoadSettings, "role">): Promise<LoadThread> {
  return startThread<LoadHandlers>(new URL(import.meta.url), { ...settings, role: ROLE } satisfies LoadSettings);
}

if ((workerData as { role?: string } | null)?.role === ROLE) serveThread(handlers(workerData as LoadSettings));
