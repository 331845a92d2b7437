// The merchant's printables for a queue: GET /queues/<queue id>/qr.svg,
// /qr.png and /poster.pdf. Merchant only (Bearer token, verified as for
// /graphql); the queue is read through RLS as that merchant, so someone
// else's queue is a 404 exactly like a queue that does not exist. The code
// encodes PUBLIC_URL/q/<qr token>: after regenerateQrToken, old prints lead to
// the join page's "this code is no longer valid".
import type { Response, Router } from "express";
import express from "express";
import type pg from "pg";
import type { JwtSettings } from "../auth/jwt.ts";
import type { RequestAuth } from "../auth/request.ts";
import { MERCHANT_ROLE } from "../db/roles.ts";
import { callerOf } from "./caller.ts";
import { posterPdf } from "./poster.ts";
import { joinUrl, qrPng, qrSvg } from "./qr-code.ts";
import { sendError } from "./errors.ts";
import { inRequestTransaction } from "./request-transaction.ts";

export interface QueueQrOptions {
  /** The authenticator's pool. */
  pool: pg.Pool;
  jwt: JwtSettings;
  /** PUBLIC_URL, without a trailing slash. */
  publicUrl: string;
}

interface PrintableQueue {
  qrToken: string;
  queueName: string;
  businessName: string;
  language: string;
  /** Queues of the business: the poster names the queue only when there are several. */
  queueCount: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;



async function readQueue(pool: pg.Pool, auth: RequestAuth, queueId: string): Promise<PrintableQueue | null> {
  return inRequestTransaction(pool, auth, async (client) => {
    const { rows } = await client.query<PrintableQueue>(
      `select q.qr_code_token as "qrToken", q.name as "queueName", b.name as "businessName", b.language,
              (select count(*)::int from app_public.queues o where o.business_id = q.business_id) as "queueCount"
         from app_public.queues q
         join app_public.businesses b on b.id = q.business_id
        where q.id = $1`,
      [queueId],
    );
    return rows[0] ?? null;
  });
}

const FILES: Record<string, (queue: PrintableQueue, url: string, res: Response) => Promise<void>> = {
  "qr.svg": async (_queue, url, res) => {
    // An SVG opened directly is a document: it may run nothing.
    res.type("image/svg+xml").set("Content-Security-Policy", "default-src 'none'").send(await qrSvg(url));
  },
  "qr.png": async (_queue, url, res) => {
    res.type("image/png").send(await qrPng(url));
  },
  "poster.pdf": async (queue, url, res) => {
    const pdf = await posterPdf({
      businessName: queue.businessName,
      queueName: queue.queueCount > 1 ? queue.queueName : null,
      language: queue.language,
      url,
    });
    res.type("application/pdf").set("Content-Disposition", 'inline; filename="waitify-poster.pdf"').send(pdf);
  },
};

export function queueQrRouter(options: QueueQrOptions): Router {
  const router = express.Router();
  router.get("/queues/:queueId/:file", async (req, res, next) => {
    const render = Object.hasOwn(FILES, req.params.file) ? FILES[req.params.file] : undefined;
    if (!render) return next();
    // The token is current only until regenerateQrToken: never cache a
    // printable, nor a refusal.
    res.set({ "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff" });
    try {
      const auth = callerOf(req, res, options.jwt, [MERCHANT_ROLE], "Réservé aux commerçants. / Merchants only.");
      if (!auth) return;
      const queue = UUID.test(req.params.queueId) ? await readQueue(options.pool, auth, req.params.queueId) : null;
      if (!queue) return sendError(res, 404, "NOT_FOUND", "File d'attente introuvable. / Queue not found.");
      await render(queue, joinUrl(options.publicUrl, queue.qrToken), res);
    } catch (error) {
      next(error);
    }
  });
  return router;
}
