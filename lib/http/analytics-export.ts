// CSV exports of the daily figures, for a spreadsheet:
//   GET /businesses/:id/analytics/export.csv?from=YYYY-MM-DD&to=YYYY-MM-DD
//   GET /analytics/export.csv?from=…&to=…      (every business of the caller)
// With the merchant's Bearer token (401 without one). The rows are read the
// way a GraphQL request reads them: in a transaction as the request role with
// the token's claims (pgSettingsFor), so RLS decides — someone else's
// business is 404, like one that does not exist. SQL checks and formats
// (app_hidden.analytics_csv_rows); this file streams a cursor through
// csv-stringify, a batch at a time, and escapes cells a spreadsheet would
// run as a formula.
import { once } from "node:events";
import express, { type Request, type Response, type Router } from "express";
import type pg from "pg";
import { stringify } from "csv-stringify";
import { InvalidTokenError, type JwtSettings } from "../auth/jwt.ts";
import { authenticateRequest, sendUnauthenticated } from "../auth/request.ts";
import { ANONYMOUS_ROLE } from "../db/roles.ts";
import { errorCodes } from "../errors.ts";
import { log } from "../logger.ts";
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

const BATCH = 500;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A text cell a spreadsheet would read as a formula (=, +, -, @, or a tab or
 * carriage return before one) gets a leading apostrophe: shown as typed,
 * never run (OWASP "CSV injection"). Numbers are written as numbers.
 */
export function escapeFormula(value: unknown): unknown {
  return typeof value === "string" && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** The HTTP status of a coded database error (lib/errors.ts); anything else is a 500. */
function statusOf(code: string | undefined): number {
  switch (code) {
    case "NOT_FOUND":
      return 404;
    case "UNAUTHENTICATED":
      return 401;
    case "FORBIDDEN":
      return 403;
    case undefined:
      return 500;
    default:
      return 400;
  }
}

const isoDate = (value: unknown) => (typeof value === "string" ? value : "");

async function exportCsv(pool: pg.Pool, jwt: JwtSettings, req: Request, res: Response, businessId: string | null): Promise<void> {
  let auth;
  try {
    auth = authenticateRequest(req, jwt);
  } catch (error) {
    if (error instanceof InvalidTokenError) return sendUnauthenticated(res, error);
    throw error;
  }
  if (auth.role === ANONYMOUS_ROLE) {
    return sendUnauthenticated(res, new InvalidTokenError("Connexion requise : « Authorization: Bearer <jeton> »."));
  }
  // Not a uuid: no such business, and nothing for PostgreSQL to refuse.
  if (businessId !== null && !UUID.test(businessId)) return sendError(res, 404, "NOT_FOUND", "Business not found.");
  const from = isoDate(req.query.from);
  const to = isoDate(req.query.to);

  // Read-only, as the request role with the token's claims: RLS decides.
  await inRequestTransaction(
    pool,
    auth,
    async (client) => {
      await client.query(
        `declare analytics_csv no scroll cursor for
           select ${COLUMNS.join(", ")} from app_hidden.analytics_csv_rows($1, $2, $3)`,
        [businessId, from, to],
      );
      // The first batch runs the query: a coded error is still an HTTP error.
      let batch: pg.QueryResult;
      try {
        batch = await client.query(`fetch ${BATCH} from analytics_csv`);
      } catch (error) {
        const { code, message } = error as { code?: string; message: string };
        const known = code ? errorCodes[code] : undefined;
        if (!known) throw error;
        return sendError(res, statusOf(known.code), known.code, known.keepMessage ? message : (known.message ?? "Invalid request."));
      }
      const name = businessId ? `waitify-analytics-${businessId}-${from}-${to}.csv` : `waitify-analytics-${from}-${to}.csv`;
      res.status(200);
      res.setHeader("content-type", "text/csv; charset=utf-8");
      res.setHeader("content-disposition", `attachment; filename="${name}"`);
      res.setHeader("cache-control", "no-store");
      // A byte-order mark: spreadsheets then read the file as UTF-8 (accents in names).
      const csv = stringify({ header: true, columns: [...COLUMNS], bom: true, cast: { boolean: (value) => (value ? "true" : "false") } });
      csv.pipe(res);
      let closed = false;
      res.once("close", () => (closed = true));
      while (batch.rows.length > 0 && !closed) {
        for (const row of batch.rows) {
          if (!csv.write(COLUMNS.map((column) => escapeFormula(row[column]))) && !closed) {
            // Backpressure: wait for the client to take what is buffered (or to go away).
            await Promise.race([once(csv, "drain"), once(res, "close")]);
          }
        }
        if (batch.rows.length < BATCH) break;
        batch = await client.query(`fetch ${BATCH} from analytics_csv`);
      }
      csv.end();
      if (!closed) await once(res, "finish");
    },
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
