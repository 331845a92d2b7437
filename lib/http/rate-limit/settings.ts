// What the rate limits are (README "Rate limits"): read from the environment
// by lib/config.ts, handed to startHttp. Defaults here are the same as there.
import type { Config } from "../../config.ts";

/** So many points (requests, joins…) per window of so many seconds. */
export interface RateWindow {
  points: number;
  seconds: number;
}

export interface RateLimitSettings {
  /** RATE_LIMITS: false turns every limit off (load tests, development tools). */
  enabled: boolean;
  /** Every request but /health*, per client: the signed-in account, else the address. */
  requests: RateWindow;
  /** joinQueue fields, per client address. */
  joinPerAddress: RateWindow;
  /** joinQueue fields, per phone number (its last 9 digits: the FR/SN national number). */
  joinPerPhone: RateWindow;
  /** joinQueue fields, per queue (its QR token): a burst cap. */
  joinPerQueue: RateWindow;
  /** authenticate, authenticateGoogle, register, requestPasswordReset, resetPassword fields, per address. */
  authPerAddress: RateWindow;
  /** requestPasswordReset and register fields, per email address (each may send an email). */
  resetPerAccount: RateWindow;
  /** Failed sign-ins of one account from one address before the delays start. */
  loginFreeFailures: number;
  /** The longest delay after failed sign-ins of one account from one address. */
  loginMaxDelaySeconds: number;
  /** Failed sign-ins of one account from all addresses before its (short) delays start. */
  loginAccountFreeFailures: number;
  /** The longest delay on an account for all addresses: short, so its owner is never kept out long. */
  loginAccountMaxDelaySeconds: number;
  /** Open websockets per address, per process. */
  wsConnectionsPerAddress: number;
  /** Subscribe messages per websocket. */
  wsSubscribesPerSocket: RateWindow;
  /** A store call slower than this falls back to the process's own in-memory count. */
  storeTimeoutMs: number;
  /** Connections of the store's own pool (authenticator). */
  poolSize: number;
}

/** How long failed sign-ins are remembered (from the first of a series). */
export const LOGIN_FAILURE_MEMORY_SECONDS = 24 * 3_600;

export const defaultRateLimits: RateLimitSettings = {
  enabled: true,
  requests: { points: 1_000, seconds: 60 },
  joinPerAddress: { points: 30, seconds: 600 },
  joinPerPhone: { points: 5, seconds: 3_600 },
  joinPerQueue: { points: 60, seconds: 60 },
  authPerAddress: { points: 30, seconds: 900 },
  resetPerAccount: { points: 5, seconds: 3_600 },
  loginFreeFailures: 5,
  loginMaxDelaySeconds: 900,
  loginAccountFreeFailures: 20,
  loginAccountMaxDelaySeconds: 60,
  wsConnectionsPerAddress: 100,
  wsSubscribesPerSocket: { points: 100, seconds: 60 },
  storeTimeoutMs: 200,
  poolSize: 4,
};

/** Rate limits switched off (the tests' default: test/helpers/server.ts). */
export const rateLimitsOff: RateLimitSettings = { ...defaultRateLimits, enabled: false };

export function rateLimitsFromConfig(config: Config): RateLimitSettings {
  return {
    enabled: config.RATE_LIMITS === "on",
    requests: config.RATE_LIMIT_REQUESTS,
    joinPerAddress: config.RATE_LIMIT_JOIN_PER_ADDRESS,
    joinPerPhone: config.RATE_LIMIT_JOIN_PER_PHONE,
    joinPerQueue: config.RATE_LIMIT_JOIN_PER_QUEUE,
    authPerAddress: config.RATE_LIMIT_AUTH_PER_ADDRESS,
    resetPerAccount: config.RATE_LIMIT_RESET_PER_ACCOUNT,
    loginFreeFailures: config.RATE_LIMIT_LOGIN_FREE_FAILURES,
    loginMaxDelaySeconds: config.RATE_LIMIT_LOGIN_MAX_DELAY_S,
    loginAccountFreeFailures: config.RATE_LIMIT_LOGIN_ACCOUNT_FREE_FAILURES,
    loginAccountMaxDelaySeconds: config.RATE_LIMIT_LOGIN_ACCOUNT_MAX_DELAY_S,
    wsConnectionsPerAddress: config.RATE_LIMIT_WS_CONNECTIONS_PER_ADDRESS,
    wsSubscribesPerSocket: config.RATE_LIMIT_WS_SUBSCRIBES_PER_SOCKET,
    storeTimeoutMs: config.RATE_LIMIT_STORE_TIMEOUT_MS,
    poolSize: config.RATE_LIMIT_POOL_SIZE,
  };
}
