// Types of session.js for the TypeScript tests (the pages are plain JavaScript with no build step).

export const REFRESH_SESSION_MUTATION: string;
/** The payload of a JWT (unverified), or null. */
export function tokenClaims(token: unknown): Record<string, unknown> | null;
/** Milliseconds before renewing the session (three quarters of its lifetime), or null. */
export function sessionRefreshDelay(token: unknown, serverNowMs: number): number | null;
/** Renews a page's session before its token expires (see session.js). */
export function sessionKeeper(options: {
  token(): string | null;
  request(query: string): Promise<{ data?: { refreshSession?: { jwtToken: string | null } | null } | null; errors?: Array<{ extensions?: { code?: string } }> }>;
  serverNow(): number;
  onRenewed(token: string): void;
}): { schedule(delay?: number): void; stop(): void };
