// Recomputes the stored daily figures of a range of local days
// (app_private.compute_analytics_daily), a month at a time so that one
// statement never holds more than a month of visits. The dates are checked
// by SQL first (INVALID_DATE, INVALID_DATE_RANGE, DATE_RANGE_TOO_LONG: a
// year at most per run), so a bad range computes nothing.
import type pg from "pg";

export interface RebuildChunk {
  from: string;
  to: string;
  written: number;
}

/** Stores the figures of every day of [from, to] that is over; returns what each month wrote. */
export async function rebuildAnalytics(client: pg.ClientBase, from: string, to: string): Promise<RebuildChunk[]> {
  await client.query(
    "select app_hidden.check_analytics_range(app_hidden.parse_analytics_date($1), app_hidden.parse_analytics_date($2))",
    [from, to],
  );
  const { rows: months } = await client.query<{ from: string; to: string }>(
    `select to_char(m, 'YYYY-MM-DD') as "from", to_char(least((m + interval '1 month')::date - 1, $2::date), 'YYYY-MM-DD') as "to"
       from generate_series($1::date::timestamp, $2::date::timestamp, interval '1 month') m
      order by m`,
    [from, to],
  );
  const chunks: RebuildChunk[] = [];
  for (const month of months) {
    const { rows } = await client.query<{ written: number }>("select app_private.compute_analytics_daily($1, $2) as written", [
      month.from,
      month.to,
    ]);
    chunks.push({ ...month, written: rows[0]!.written });
  }
  return chunks;
}
