// Streaming a CSV download from a SQL function, shared by the exports
// (analytics-export.ts, payments-export.ts): the rows are read through a
// cursor, a batch at a time, inside the caller's request transaction, and
// written through csv-stringify with backpressure; cells a spreadsheet would
// run as a formula are escaped. SQL checks the request and formats the cells;
// a coded error it raises before the first row is still an HTTP error.
import { once } from "node:events";
import type { Response } from "express";
import type pg from "pg";
import { stringify } from "csv-stringify";
import { errorCodes } from "../errors.ts";
import { sendError } from "./errors.ts";

const BATCH = 500;

/**
 * A text cell a spreadsheet would read as a formula (=, +, -, @, or a tab or
 * carriage return before one) gets a leading apostrophe: shown as typed,
 * never run (OWASP "CSV injection"). Numbers are written as numbers.
 */
export function escapeFormula(value: unknown): unknown {
  return typeof value === "string" && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** The HTTP status of a coded database error (lib/errors.ts); anything else is a 500. */
export function statusOf(code: string | undefined): number {
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

/**
 * Answers a coded database error (SQLSTATE class WT or a mapped PostgreSQL
 * one) as JSON with its HTTP status; returns false for anything else.
 */
export function sendDatabaseError(res: Response, error: unknown): boolean {
  const { code, message } = error as { code?: string; message: string };
  const known = code ? errorCodes[code] : undefined;
  if (!known) return false;
  sendError(res, statusOf(known.code), known.code, known.keepMessage ? message : (known.message ?? "Invalid request."));
  return true;
}

export interface CsvDownload {
  /** `select <columns> from <function>(…)`: the query the cursor reads. */
  query: string;
  params: unknown[];
  /** The header row, and the row fields written in that order. */
  columns: readonly string[];
  /** The attachment's file name. */
  filename: string;
}

/** Streams the query's rows as a CSV attachment; `client` is in a transaction. */
export async function streamCsv(client: pg.PoolClient, res: Response, download: CsvDownload): Promise<void> {
  await client.query(`declare csv_rows no scroll cursor for ${download.query}`, download.params);
  // The first batch runs the query: a coded error is still an HTTP error.
  let batch: pg.QueryResult;
  try {
    batch = await client.query(`fetch ${BATCH} from csv_rows`);
  } catch (error) {
    if (sendDatabaseError(res, error)) return;
    throw error;
  }
  res.status(200);
  res.setHeader("content-type", "text/csv; charset=utf-8");
  res.setHeader("content-disposition", `attachment; filename="${download.filename}"`);
  res.setHeader("cache-control", "no-store");
  // A byte-order mark: spreadsheets then read the file as UTF-8 (accents in names).
  const csv = stringify({ header: true, columns: [...download.columns], bom: true, cast: { boolean: (value) => (value ? "true" : "false") } });
  csv.pipe(res);
  let closed = false;
  res.once("close", () => (closed = true));
  while (batch.rows.length > 0 && !closed) {
    for (const row of batch.rows) {
      if (!csv.write(download.columns.map((column) => escapeFormula(row[column]))) && !closed) {
        // Backpressure: wait for the client to take what is buffered (or to go away).
        await Promise.race([once(csv, "drain"), once(res, "close")]);
      }
    }
    if (batch.rows.length < BATCH) break;
    batch = await client.query(`fetch ${BATCH} from csv_rows`);
  }
  csv.end();
  if (!closed) await once(res, "finish");
}
