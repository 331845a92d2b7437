// CSV exports of the daily figures, for a spreadsheet:
//   GET /businesses/:id/analytics/export.csv?from=YYYY-MM-DD&to=YYYY-MM-DD
//   GET /analytics/export.csv?from=…&to=…      (every business of the caller)
// With the merchant's Bearer token (401 without one). The rows are read the
// way a GraphQL request reads them: in a transaction as the request role with
// the token's claims (pgSettingsFor), so RLS decides — someone else's
// business is 404, like one that does not exist. SQL checks and formats
// (app_hidden.analytics_csv_rows); lib/http/csv.ts streams a cursor through
// csv-stringify, a batch at a time, and escapes cells a spreadsheet would
// run as a formula.
import express, { type Request, type Response, type Router } from "express";
import type pg from "pg";
import type { JwtSettings } from "../auth/jwt.ts";
import { ADMIN_ROLE, MERCHANT_ROLE } from "../db/roles.ts";
import { log } from "../logger.ts";
import { callerOf } from "./caller.ts";
import { streamCsv } from "./csv.ts";
import { sendError } from "./errors.ts";
import { inRequestTransaction } from "./request-transaction.ts";

const COLUMNS = [
  "date",
  "business_id",
  "business_name",
  "time_zone",
  "complete",
  "clients_registered",
  "clients_served",
  "clients_missed",
  "clients_cancelled",
  "average_wait_minutes",
  "average_service_seconds",
  "peak_hour",
  "peak_queue_size",
  "abandonment_rate",
  "sms_messages",
  "sms_parts",
  "average_ticket_cents",
  "revenue_potential_lost_cents",
  "busiest_window_start",
  "busiest_window_end",
  "busiest_window_joins",
  "estimate_sample",
  "estimate_error_minutes",
  "estimate_within_25_percent",
] as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const isoDate = (value: unknown) => (typeof value === "string" ? value : "");

async function exportCsv(pool: pg.Pool, jwt: JwtSettings, req: Request, res: Response, businessId: string | null): Promise<void> {
  // Merchants (their businesses, under RLS) and admins (every business).
  const auth = callerOf(req, res, jwt, [MERCHANT_ROLE, ADMIN_ROLE], "Réservé aux commerçants. / Merchants only.");
  if (!auth) return;
  // Not a uuid: no such business, and nothing for PostgreSQL to refuse.
  if (businessId !== null && !UUID.test(businessId)) return sendError(res, 404, "NOT_FOUND", "Business not found.");
  const from = isoDate(req.query.from);
  const to = isoDate(req.query.to);

  // Read-only, as the request role with the token's claims: RLS decides.
  const name = businessId ? `waitify-analytics-${businessId}-${from}-${to}.csv` : `waitify-analytics-${from}-${to}.csv`;
  await inRequestTransaction(
    pool,
    auth,
    (client) =>
      streamCsv(client, res, {
        query: `select ${COLUMNS.join(", ")} from app_hidden.analytics_csv_rows($1, $2, $3)`,
        params: [businessId, from, to],
        columns: COLUMNS,
        filename: name,
      }),
    { readOnly: true },
  );
}

export function analyticsExportRouter(options: { pool: pg.Pool; jwt: JwtSettings }): Router {
  const router = express.Router();
  const handle = (businessId: (req: Request) => string | null) => async (req: Request, res: Response) => {
    try {
      await exportCsv(options.pool, options.jwt, req, res, businessId(req));
    } catch (error) {
      log.error("analytics export failed", { error: error instanceof Error ? error.message : String(error) });
      if (!res.headersSent) sendError(res, 500, "INTERNAL", "An error occurred.");
      else res.destroy();
    }
  };
  router.get("/businesses/:id/analytics/export.csv", handle((req) => String(req.params.id)));
  router.get("/analytics/export.csv", handle(() => null));
  return router;
}
