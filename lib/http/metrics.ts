// GET /metrics: Prometheus text format. Protected by METRICS_TOKEN (Bearer):
// without a configured token the route does not exist (404, like any unknown
// path: nothing tells a scanner that metrics are there); with one, a missing or
// wrong token answers 401. The process's counters and histograms
// (lib/observability/metrics.ts) plus what is read at scrape time: the
// database pools' usage, the job queue per task and the SMS/email backlogs
// (app_private.job_queue_stats / delivery_health, cheap queries on the
// authenticator's connection).
import { timingSafeEqual } from "node:crypto";
import express, { type Router } from "express";
import type pg from "pg";
import client from "prom-client";
import { log } from "../logger.ts";
import { registry } from "../observability/metrics.ts";

export const METRICS_PATH = "/metrics";

export interface MetricsSources {
  /** METRICS_TOKEN; absent = no /metrics route. */
  token?: string;
  /** The authenticator's pool (scrape-time queries), and every pool of the API by name. */
  pool: pg.Pool;
  pools: Record<string, pg.Pool>;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

interface JobStats {
  task: string;
  waiting: string;
  scheduled: string;
  running: string;
  failed: string;
  oldest_waiting_seconds: number;
}

interface DeliveryFigures {
  pending: number;
  oldestPendingSeconds: number | null;
  lastFailureSeconds: number | null;
  failuresLastHour: number;
  /** SMS only: messages kept back by the daily cap in the last hour, by message type. */
  cappedLastHour?: Record<string, number>;
}

/** The metrics read at scrape time, in a registry of their own (one per HTTP app). */
function scrapeTimeRegistry(sources: MetricsSources): { registry: client.Registry; refresh: () => Promise<void> } {
  const own = new client.Registry();
  new client.Gauge({
    name: "waitify_db_pool_connections",
    help: "Connections of the API's database pools by pool and state (total, idle, waiting requests)",
    labelNames: ["pool", "state"] as const,
    registers: [own],
    collect() {
      for (const [name, pool] of Object.entries(sources.pools)) {
        this.set({ pool: name, state: "total" }, pool.totalCount);
        this.set({ pool: name, state: "idle" }, pool.idleCount);
        this.set({ pool: name, state: "waiting" }, pool.waitingCount);
      }
    },
  });
  const jobs = new client.Gauge({
    name: "waitify_jobs",
    help: "graphile-worker jobs by task and state (waiting: due, scheduled: later, running: locked, failed: out of attempts)",
    labelNames: ["task", "state"] as const,
    registers: [own],
  });
  const oldest = new client.Gauge({
    name: "waitify_jobs_oldest_waiting_seconds",
    help: "Age of the oldest due job not yet taken, by task",
    labelNames: ["task"] as const,
    registers: [own],
  });
  const pending = new client.Gauge({
    name: "waitify_delivery_pending",
    help: "SMS and emails waiting to be sent",
    labelNames: ["channel"] as const,
    registers: [own],
  });
  const oldestPending = new client.Gauge({
    name: "waitify_delivery_oldest_pending_seconds",
    help: "Age of the oldest SMS / email waiting to be sent (0: none)",
    labelNames: ["channel"] as const,
    registers: [own],
  });
  const failures = new client.Gauge({
    name: "waitify_delivery_failures_last_hour",
    help: "SMS / emails that failed for good in the last hour",
    labelNames: ["channel"] as const,
    registers: [own],
  });
  const capped = new client.Gauge({
    name: "waitify_sms_capped_last_hour",
    help: "SMS kept back by the businesses' daily caps in the last hour (recorded, never sent), by message type",
    labelNames: ["type"] as const,
    registers: [own],
  });
  const up = new client.Gauge({
    name: "waitify_scrape_database_up",
    help: "1 when the scrape-time database queries answered",
    registers: [own],
  });
  // Run before each scrape (the registry's collect() callbacks run concurrently).
  const refresh = async () => {
    try {
      const [stats, delivery] = await Promise.all([
        sources.pool.query<JobStats>("select * from app_private.job_queue_stats()"),
        sources.pool.query<{ health: Record<"sms" | "email", DeliveryFigures> }>("select app_private.delivery_health() as health"),
      ]);
      jobs.reset();
      oldest.reset();
      for (const row of stats.rows) {
        for (const state of ["waiting", "scheduled", "running", "failed"] as const) jobs.set({ task: row.task, state }, Number(row[state]));
        oldest.set({ task: row.task }, row.oldest_waiting_seconds);
      }
      for (const channel of ["sms", "email"] as const) {
        const figures = delivery.rows[0]!.health[channel];
        pending.set({ channel }, figures.pending);
        oldestPending.set({ channel }, figures.oldestPendingSeconds ?? 0);
        failures.set({ channel }, figures.failuresLastHour);
      }
      capped.reset();
      for (const [type, count] of Object.entries(delivery.rows[0]!.health.sms.cappedLastHour ?? {})) capped.set({ type }, count);
      up.set(1);
    } catch (error) {
      log.warn("metrics: database figures unavailable", { error: error instanceof Error ? error.message : String(error) });
      up.set(0);
    }
  };
  return { registry: own, refresh };
}

export function metricsRouter(sources: MetricsSources): Router {
  const router = express.Router();
  const token = sources.token;
  if (!token) return router;
  const own = scrapeTimeRegistry(sources);
  router.get(METRICS_PATH, async (req, res, next) => {
    const header = req.header("authorization") ?? "";
    const given = /^Bearer (.+)$/i.exec(header)?.[1];
    if (!given || !sameSecret(given, token)) {
      res.set("WWW-Authenticate", 'Bearer realm="metrics"');
      res.status(401).json({ errors: [{ message: "A metrics token is required.", extensions: { code: "UNAUTHENTICATED" } }] });
      return;
    }
    try {
      await own.refresh();
      const merged = client.Registry.merge([registry, own.registry]);
      res.set("Content-Type", merged.contentType).set("Cache-Control", "no-store").send(await merged.metrics());
    } catch (error) {
      next(error);
    }
  });
  return router;
}
