// Settings and small helpers shared by the billing benchmark's runs
// (bench/billing.ts: what each setting means).
import { DEFAULTS } from "./billing-env.ts";
import { percentile } from "./sms-common.ts";

const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

export const settings = {
  accounts: number("BENCH_ACCOUNTS", 1000),
  deliveries: number("BENCH_DELIVERIES", 5000),
  duplicateShare: number("BENCH_DUPLICATES", 0.2),
  senders: number("BENCH_SENDERS", 50),
  /** Worker concurrency during sign-up and the throughput run. */
  throughputConcurrency: number("BENCH_WORKER_CONCURRENCY", DEFAULTS.WORKER_CONCURRENCY),
  sample: number("BENCH_SAMPLE", 200),
  statusRate: number("BENCH_STATUS_RATE", 20),
  seed: number("BENCH_SEED", 12),
  /** Compared in the status delay run: the default (WORKER_CONCURRENCY) and 16. */
  concurrencies: [DEFAULTS.WORKER_CONCURRENCY, 16],
};

/** How long the worker may take to catch up before a run counts as failed. */
export const DRAIN_MS = 180_000;

export interface Account {
  userId: string;
  subscription: string;
}

const benchStart = performance.now();
/** Progress on stderr, the figures alone on stdout. */
export const progress = (message: string) => console.error(`[${((performance.now() - benchStart) / 1000).toFixed(1)} s] ${message}`);

export const ms = (value: number) => Math.round(value * 10) / 10;

export const latencySummary = (sorted: number[]) => ({
  p50: ms(percentile(sorted, 50)),
  p99: ms(percentile(sorted, 99)),
  max: ms(sorted.at(-1) ?? Number.NaN),
});
