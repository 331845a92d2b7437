// The CSV of payments (mirrored Stripe invoices), streamed (lib/http/csv.ts):
//   GET /billing/payments.csv?from=YYYY-MM-DD&to=YYYY-MM-DD            a merchant's own
//   GET /admin/payments.csv?from=…&to=…&status=…&account=<id or email>  every account (admin)
// Bearer token; 401 without a valid one; the other role gets 403 FORBIDDEN
// (the route exists, the caller may not use it: the same answer as an admin
// write refused by app_private.assert_admin). Filters are checked in SQL (a
// coded 400); the rows are read as the request role, the merchant's limited
// to their own account by app_hidden.my_payments_csv_rows.
import express, { type Request, type Response, type Router } from "express";
import type pg from "pg";
import type { JwtSettings } from "../auth/jwt.ts";
import { ADMIN_ROLE, MERCHANT_ROLE, type RequestRole } from "../db/roles.ts";
import { log } from "../logger.ts";
import { callerOf } from "./caller.ts";
import { streamCsv } from "./csv.ts";
import { sendError } from "./errors.ts";
import { inRequestTransaction } from "./request-transaction.ts";

const COLUMNS = [
  "number",
  "account_email",
  "status",
  "currency",
  "amount_due",
  "amount_paid",
  "period_start",
  "period_end",
  "due_date",
  "paid_at",
  "attempts",
  "hosted_invoice_url",
  "created_at",
] as const;

interface Export {
  role: RequestRole;
  refusal: string;
  filters: readonly string[];
  query: string;
  filename: string;
}

const EXPORTS: Record<string, Export> = {
  "/billing/payments.csv": {
    role: MERCHANT_ROLE,
    refusal: "Réservé aux commerçants. / Merchants only.",
    filters: ["from", "to"],
    query: `select ${COLUMNS.join(", ")} from app_hidden.my_payments_csv_rows($1, $2)`,
    filename: "waitify-payments.csv",
  },
  "/admin/payments.csv": {
    role: ADMIN_ROLE,
    refusal: "Réservé aux administrateurs. / Administrators only.",
    filters: ["from", "to", "status", "account"],
    query: `select ${COLUMNS.join(", ")} from app_hidden.admin_payments_csv_rows($1, $2, $3, $4)`,
    filename: "waitify-payments-all.csv",
  },
};

async function exportPayments(options: { pool: pg.Pool; jwt: JwtSettings }, spec: Export, req: Request, res: Response): Promise<void> {
  const auth = callerOf(req, res, options.jwt, [spec.role], spec.refusal);
  if (!auth) return;
  const filters: string[] = [];
  for (const name of spec.filters) {
    const value = req.query[name];
    // ?status=paid&status=open: one value per filter.
    if (value !== undefined && typeof value !== "string") {
      return sendError(res, 400, "VALIDATION", `Un seul « ${name} » attendu. / One "${name}" expected.`);
    }
    filters.push(value ?? "");
  }
  await inRequestTransaction(
    options.pool,
    auth,
    (client) => streamCsv(client, res, { query: spec.query, params: filters, columns: COLUMNS, filename: spec.filename }),
    { readOnly: true },
  );
}

export function paymentsExportRouter(options: { pool: pg.Pool; jwt: JwtSettings }): Router {
  const router = express.Router();
  for (const [path, spec] of Object.entries(EXPORTS)) {
    router.get(path, async (req, res) => {
      try {
        await exportPayments(options, spec, req, res);
      } catch (error) {
        log.error("payments export failed", { error: error instanceof Error ? error.message : String(error) });
        if (!res.headersSent) sendError(res, 500, "INTERNAL", "An error occurred.");
        else res.destroy();
      }
    });
  }
  return router;
}
