// POST /webhooks/stripe: Stripe's events in. The signature is checked on the
// raw body (stripe.webhooks.constructEvent, 300 s tolerance), then, in one
// transaction, the event is logged under its Stripe id and a stripe_event job
// keyed by that id is added (app_private.record_stripe_event, db/billing/stripe.sql);
// the answer goes back at once. The work happens in the worker, which fetches
// the objects again from Stripe: the event only says "look again".
//
// A redelivered event is acknowledged (200) and changes nothing. A missing or
// bad signature, a stale timestamp or a malformed body: 400, nothing stored.
// A database failure: 500, so that Stripe delivers the event again later.
import express, { type Router } from "express";
import type pg from "pg";
import Stripe from "stripe";
import { log } from "../logger.ts";
import { webhookEventsTotal } from "../observability/metrics.ts";

const counted = (outcome: "received" | "duplicate" | "bad_signature" | "invalid" | "error") => webhookEventsTotal.inc({ provider: "stripe", outcome });

export const STRIPE_WEBHOOK_PATH = "/webhooks/stripe";
/** Stripe's own default tolerance: a signature older than this is refused (replays). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;
/** Stripe's events are a few kilobytes; anything much larger is not one. */
const BODY_LIMIT = "512kb";

export interface StripeWebhookOptions {
  /** The authenticator's pool: record_stripe_event is granted to it, with no request role. */
  pool: pg.Pool;
  /** STRIPE_WEBHOOK_SECRET; absent = billing not configured (503). */
  secret?: string;
}

function reply(res: express.Response, status: number, body: Record<string, unknown>): void {
  res.status(status).type("application/json").send(JSON.stringify(body));
}

export function stripeWebhookRouter(options: StripeWebhookOptions): Router {
  const router = express.Router();
  router.post(STRIPE_WEBHOOK_PATH, express.raw({ type: () => true, limit: BODY_LIMIT }), async (req, res) => {
    if (!options.secret) {
      return reply(res, 503, { error: { code: "BILLING_NOT_CONFIGURED", message: "Stripe is not configured." } });
    }
    const signature = req.header("stripe-signature");
    const body: unknown = req.body;
    if (!signature || !Buffer.isBuffer(body) || body.length === 0) {
      counted("bad_signature");
      return reply(res, 400, { error: { code: "INVALID_SIGNATURE", message: "Missing Stripe-Signature header or body." } });
    }
    let event: Stripe.Event;
    try {
      event = Stripe.webhooks.constructEvent(body, signature, options.secret, SIGNATURE_TOLERANCE_SECONDS);
    } catch (error) {
      // Bad signature, stale timestamp, or a body that is not JSON: never stored.
      log.warn("stripe webhook refused", { reason: error instanceof Error ? error.message : String(error) });
      counted("bad_signature");
      return reply(res, 400, { error: { code: "INVALID_SIGNATURE", message: "The Stripe signature could not be verified." } });
    }
    try {
      const { rows } = await options.pool.query<{ stored: boolean }>("select app_private.record_stripe_event($1) as stored", [
        JSON.stringify(event),
      ]);
      const duplicate = !rows[0]?.stored;
      log.info("stripe webhook", { eventId: event.id, type: event.type, duplicate });
      counted(duplicate ? "duplicate" : "received");
      return reply(res, 200, { received: true, duplicate });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === "WTVAL") {
        counted("invalid");
        return reply(res, 400, { error: { code: "INVALID_EVENT", message: "This is not a Stripe event." } });
      }
      counted("error");
      log.error("stripe webhook not stored", { eventId: event.id, error: error instanceof Error ? error.message : String(error) });
      return reply(res, 500, { error: { code: "INTERNAL", message: "The event could not be stored; Stripe will retry." } });
    }
  });
  // A body over the limit or unreadable: a coded answer, never Express's error page.
  router.use(STRIPE_WEBHOOK_PATH, (error: { status?: number; type?: string }, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (res.headersSent) return next(error);
    const status = error.status === 413 ? 413 : 400;
    reply(res, status, { error: { code: status === 413 ? "PAYLOAD_TOO_LARGE" : "INVALID_BODY", message: "Unreadable webhook body." } });
  });
  // Any other method on the path: Stripe only POSTs.
  router.all(STRIPE_WEBHOOK_PATH, (_req, res) => reply(res, 405, { error: { code: "METHOD_NOT_ALLOWED", message: "POST only." } }));
  return router;
}
