// The answer to a client over a limit: 429 with Retry-After (whole seconds,
// at least 1) and a GraphQL-shaped body whose code says so, as every other
// refusal (lib/http/errors.ts).
import type { ServerResponse } from "node:http";

export const RATE_LIMITED = "RATE_LIMITED";

export function retryAfterSeconds(msBeforeNext: number): number {
  return Math.max(1, Math.ceil(msBeforeNext / 1000));
}

export function rateLimitedMessage(seconds: number): string {
  return `Trop de requêtes : réessayez dans ${seconds} s. (Too many requests: try again in ${seconds} s.)`;
}

export function rateLimitedBody(seconds: number): string {
  return JSON.stringify({ errors: [{ message: rateLimitedMessage(seconds), extensions: { code: RATE_LIMITED, retryAfterSeconds: seconds } }] });
}

export function sendRateLimited(res: ServerResponse, msBeforeNext: number): void {
  const seconds = retryAfterSeconds(msBeforeNext);
  res.statusCode = 429;
  res.setHeader("retry-after", String(seconds));
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.end(rateLimitedBody(seconds));
}

/** The same refusal on a socket that asked to be upgraded to a websocket (no HTTP response object yet). */
export function rateLimitedUpgradeResponse(msBeforeNext: number): string {
  const seconds = retryAfterSeconds(msBeforeNext);
  const body = rateLimitedBody(seconds);
  return [
    "HTTP/1.1 429 Too Many Requests",
    `Retry-After: ${seconds}`,
    "Content-Type: application/json; charset=utf-8",
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Connection: close",
    "",
    body,
  ].join("\r\n");
}
