// The counters, in PostgreSQL (app_private.rate_limits, created by a
// migration) so that every API process counts together: rate-limiter-flexible's
// Postgres store, one row per key and window, on a small pool of its own
// (the authenticator's login: it may not touch anything else there).
//
// A burst must not hammer the database, and a slow or absent database must
// not stop the API:
// - a key over its limit is then refused from memory until its window ends
//   (inMemoryBlockOnConsumed): a flooding client costs one database write per
//   window and process, not one per request;
// - a store call slower than storeTimeoutMs, or failing, is answered by an
//   in-memory limiter with the same limit (insurance). With the database slow
//   or down, each process still enforces every limit, counting alone: limits
//   become at most N times looser with N processes, never off, and the API does
//   not wait on the store. Fail over to local counts, not open, not closed.
import pg from "pg";
import { RateLimiterMemory, RateLimiterPostgres, RLWrapperTimeouts, type RateLimiterAbstract } from "rate-limiter-flexible";
import { log } from "../../logger.ts";
import type { RateWindow } from "./settings.ts";

export const RATE_LIMIT_TABLE = { schemaName: "app_private", tableName: "rate_limits" } as const;

export type Limiter = Pick<RateLimiterAbstract, "consume" | "get" | "block" | "delete">;

export interface Store {
  /** A limiter of `window` whose keys start with `prefix` (one per limit). */
  limiter(prefix: string, window: RateWindow): Limiter;
  close(): Promise<void>;
}

export function openStore(options: { authUrl: string; poolSize: number; timeoutMs: number }): Store {
  const pool = new pg.Pool({ connectionString: options.authUrl, max: options.poolSize, statement_timeout: options.timeoutMs * 5 });
  pool.on("error", (error) => log.warn("rate-limit pool error", { error: error.message }));
  let warnedAt = 0;
  let cleaning = false;
  return {
    limiter(prefix, window) {
      const insurance = new RateLimiterMemory({ keyPrefix: prefix, points: window.points, duration: window.seconds });
      const postgres = new RateLimiterPostgres({
        ...RATE_LIMIT_TABLE,
        storeClient: pool,
        storeType: "pool",
        tableCreated: true,
        // The store's clean-up (every 5 minutes, of the whole table: the keys
        // that expired an hour ago), by the first limiter only.
        clearExpiredByTimeout: !cleaning,
        keyPrefix: prefix,
        points: window.points,
        duration: window.seconds,
        inMemoryBlockOnConsumed: window.points + 1,
      });
      cleaning = true;
      // The insurance answers silently: say so in the log, at most once a minute.
      const consumeInMemory = insurance.consume.bind(insurance);
      insurance.consume = (...args) => {
        if (Date.now() - warnedAt > 60_000) {
          warnedAt = Date.now();
          log.warn("rate-limit store slow or unavailable: counting in this process's memory", { limit: prefix });
        }
        return consumeInMemory(...args);
      };
      const timed = new RLWrapperTimeouts({ limiter: postgres, timeoutMs: options.timeoutMs, insuranceLimiter: insurance });
      return timed;
    },
    async close() {
      await pool.end();
    },
  };
}
