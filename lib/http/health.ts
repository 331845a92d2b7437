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
  /** Which email sender this deployment uses (EMAIL_PROVIDER). */
  emailProvider?: "smtp" | "log";
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

interface DeliveryFigures {
  pending: number;
  oldestPendingSeconds: number | null;
  lastFailureSeconds: number | null;
  failuresLastHour: number;
}

/** A backlog older than this, or a failure more recent, says something is wrong with the provider. */
const BACKLOG_SECONDS = 300;
const RECENT_FAILURE_SECONDS = 900;

/**
 * The SMS and email pipelines as the database sees them (whichever process
 * sends): backlog and recent failures (app_private.delivery_health). Like
 * Stripe, never a reason for a 503: queues keep working without SMS.
 */
async function deliveryHealth(pool: pg.Pool): Promise<Record<"sms" | "email", DeliveryFigures & { status: string }> | undefined> {
  try {
    const { rows } = await pool.query<{ health: Record<"sms" | "email", DeliveryFigures> }>("select app_private.delivery_health() as health");
    const judged = (figures: DeliveryFigures) => ({
      status:
        (figures.oldestPendingSeconds ?? 0) > BACKLOG_SECONDS
          ? "backlog"
          : figures.lastFailureSeconds !== null && figures.lastFailureSeconds < RECENT_FAILURE_SECONDS
            ? "failing"
            : "ok",
      ...figures,
    });
    return { sms: judged(rows[0]!.health.sms), email: judged(rows[0]!.health.email) };
  } catch {
    return undefined;
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
    const [database, stripe, delivery] = await Promise.all([
      databaseHealth(sources.pool),
      sources.stripe ? sources.stripe() : Promise.resolve<StripeHealth>("not_configured"),
      deliveryHealth(sources.pool),
    ]);
    const worker = sources.worker.state();
    const workerOk = worker === "running" || worker === "off";
    const ok = database.status === "up" && workerOk;
    res.status(ok ? 200 : 503).json({
      status: ok ? "ok" : "degraded",
      database,
      worker: { status: worker },
      sms: { provider: sources.smsProvider, ...(delivery?.sms ?? { status: "unknown" }) },
      email: { provider: sources.emailProvider ?? "log", ...(delivery?.email ?? { status: "unknown" }) },
      stripe,
    });
  });
  return router;
}
