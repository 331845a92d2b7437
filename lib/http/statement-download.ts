// GET /billing/statements/<statement id>.pdf: a monthly statement as a PDF
// invoice, for the account it belongs to or an administrator (Bearer token,
// never a token in the URL). The document is read as the request role
// (app_hidden.statement_document checks the caller): someone else's
// statement is a 404 exactly like an unknown one.
import express, { type Router } from "express";
import type pg from "pg";
import type { JwtSettings } from "../auth/jwt.ts";
import { ADMIN_ROLE, MERCHANT_ROLE } from "../db/roles.ts";
import { callerOf } from "./caller.ts";
import { sendDatabaseError } from "./csv.ts";
import { sendError } from "./errors.ts";
import { inRequestTransaction } from "./request-transaction.ts";
import { statementDocument, statementPdf, type StatementDocument } from "./statement-pdf.ts";

const FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.pdf$/i;

export function statementDownloadRouter(options: { pool: pg.Pool; jwt: JwtSettings }): Router {
  const router = express.Router();
  router.get("/billing/statements/:file", async (req, res, next) => {
    // A bill is personal: never kept by a shared cache, nor a refusal.
    res.set({ "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff" });
    try {
      const auth = callerOf(req, res, options.jwt, [MERCHANT_ROLE, ADMIN_ROLE], "Réservé au titulaire du compte. / Account holders only.");
      if (!auth) return;
      const id = FILE.exec(req.params.file)?.[1];
      if (!id) return sendError(res, 404, "NOT_FOUND", "Relevé introuvable. / Statement not found.");
      let document: StatementDocument;
      try {
        const { rows } = await inRequestTransaction(
          options.pool,
          auth,
          (client) => client.query<{ document: unknown }>("select app_hidden.statement_document($1) as document", [id]),
          { readOnly: true },
        );
        document = statementDocument.parse(rows[0]!.document);
      } catch (error) {
        if (sendDatabaseError(res, error)) return;
        throw error;
      }
      const pdf = await statementPdf(document);
      res
        .type("application/pdf")
        .set("Content-Disposition", `attachment; filename="waitify-${document.number}.pdf"`)
        .send(pdf);
    } catch (error) {
      next(error);
    }
  });
  return router;
}
