// Health routes for load balancers and people: /health/live says the process
// answers, /health/ready that it can serve (database reachable), /health the
// details. Stripe is reported (cached, lib/stripe/health.ts) but never makes
// the API unhealthy: a payment provider outage must not take queues offline.
import type { Router } from "express";
import express from "express";
import type pg from "pg";
import type { StripeHealth } from "../stripe/health.ts";
import type { WorkerHandle } from "../worker.ts";

export interface HealthSources {
  pool: pg.Pool;
  worker: WorkerHandle;
  /** Which SMS sender this deployment uses (SMS_PROVIDER). */
  smsProvider: "sns" | "log";
  /** Stripe's reachability (lib/stripe/health.ts stripeHealthProbe); absent = billing not configured. */
  stripe?: () => Promise<StripeHealth>;
}

async function databaseHealth(pool: pg.Pool): Promise<{ status: "up" | "down"; latencyMs?: number }> {
  const started = performance.now();
  try {
    await pool.query("select 1");
    return { status: "up", latencyMs: Math.round(performance.now() - started) };
  } catch {
    // The reason (host, port, credentials) is for the logs, not a public route.
    return { status: "down" };
  }
}

export function healthRouter(sources: HealthSources): Router {
  const router = express.Router();
  router.get("/health/live", (_req, res) => {
    res.json({ status: "ok" });
  });
  router.get("/health/ready", async (_req, res) => {
    const database = await databaseHealth(sources.pool);
    res.status(database.status === "up" ? 200 : 503).json({ status: database.status === "up" ? "ok" : "unavailable" });
  });
  router.get("/health", async (_req, res) => {
    const [database, stripe] = await Promise.all([
      databaseHealth(sources.pool),
      sources.stripe ? sources.stripe() : Promise.resolve<StripeHealth>("not_configured"),
    ]);
    const worker = sources.worker.state();
    const workerOk = worker === "running" || worker === "off";
    const ok = database.status === "up" && workerOk;
    res.status(ok ? 200 : 503).json({
      status: ok ? "ok" : "degraded",
      database,
      worker: { status: worker },
      sms: { provider: sources.smsProvider },
      stripe,
    });
  });
  return router;
}
