// The last two handlers of the HTTP app: an unknown route answers a JSON 404
// (not Express's HTML page), and an error no route handled answers JSON with a
// code — the client's own mistake (a body parser's 400 / 413 / 415) with its
// code, anything else as INTERNAL, logged once with the hash the client sees.
import { createHash, randomBytes } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import { codeForStatus } from "../graphql/http-errors.ts";
import { log } from "../logger.ts";
import { countError } from "../observability/metrics.ts";

/** A coded JSON error, in the shape of GraphQL errors: {errors: [{message, extensions: {code}}]}. */
export function sendError(res: Response, status: number, code: string, message: string, extensions: Record<string, unknown> = {}): void {
  countError(code);
  res.status(status).type("application/json").send(JSON.stringify({ errors: [{ message, extensions: { code, ...extensions } }] }));
}

export function notFoundHandler(_req: Request, res: Response): void {
  sendError(res, 404, "NOT_FOUND", "No such route.");
}

export function errorHandler(error: unknown, req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) return next(error);
  const status = (error as { status?: unknown }).status;
  if (typeof status === "number" && status >= 400 && status < 500) {
    return sendError(res, status, codeForStatus(status), status === 413 ? "The request body is too large." : "The request could not be read.");
  }
  const message = error instanceof Error ? error.message : String(error);
  const hash = createHash("sha1").update(message).digest("base64url").slice(0, 12);
  const errorId = randomBytes(6).toString("base64url");
  // Not the path: /e/<entry token> is a customer's secret.
  log.error("request failed", { hash, errorId, method: req.method, error: message });
  sendError(res, 500, "INTERNAL", `An error occurred (logged with hash: '${hash}', id: '${errorId}')`, { hash, errorId });
}
