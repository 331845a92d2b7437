// Growing delays after failed sign-ins (rate-limiter-flexible's
// consecutive-failures pattern), so guessing a password gets slow while its
// owner keeps signing in:
//
// - per account AND address: the first `loginFreeFailures` failures are free,
//   then each failure closes that pair for 1 s, 2 s, 4 s … up to
//   `loginMaxDelaySeconds`. It is the guesser's address that waits: the owner,
//   from any other address, is not affected;
// - per account, from every address (a guesser spread over many addresses):
//   past `loginAccountFreeFailures` failures, the same doubling but capped at
//   `loginAccountMaxDelaySeconds` (a minute by default) — that one reaches the
//   owner too, so it stays short;
// - a successful sign-in forgets the failures of that account (both counts).
//
// Failures are remembered for a day from the first of a series. A failure is
// an INVALID_CREDENTIALS answer; a request refused before it ran (a bad
// document, a rate limit) checked no password and counts nothing.
import { LOGIN_FAILURE_MEMORY_SECONDS, type RateLimitSettings } from "./settings.ts";
import type { Limiter, Store } from "./store.ts";
import type { LoginField } from "./operations.ts";

export type LoginOutcome = "success" | "failure" | "none";

export interface LoginFailures {
  /** The longest wait (ms) still ahead for any of these sign-ins from this address; 0 = none. */
  waitBefore(emails: string[], address: string): Promise<number>;
  record(email: string, address: string, outcome: LoginOutcome): Promise<void>;
}

export function loginFailures(store: Store, settings: RateLimitSettings): LoginFailures {
  const failures: Limiter = store.limiter("login_failures", { points: 1_000_000_000, seconds: LOGIN_FAILURE_MEMORY_SECONDS });
  const closed: Limiter = store.limiter("login_closed", { points: 0, seconds: LOGIN_FAILURE_MEMORY_SECONDS });
  const pairKey = (email: string, address: string) => `${email}|${address}`;
  const delaySeconds = (failuresSoFar: number, free: number, max: number) =>
    failuresSoFar <= free ? 0 : Math.min(2 ** Math.min(failuresSoFar - free - 1, 30), max);

  return {
    async waitBefore(emails, address) {
      const keys = emails.flatMap((email) => [`pair:${pairKey(email, address)}`, `account:${email}`]);
      const states = await Promise.all(keys.map((key) => closed.get(key).catch(() => null)));
      return Math.max(0, ...states.map((state) => (state && state.consumedPoints > 0 ? state.msBeforeNext : 0)));
    },
    async record(email, address, outcome) {
      const pair = `pair:${pairKey(email, address)}`;
      const account = `account:${email}`;
      if (outcome === "success") {
        await Promise.all([failures.delete(pair), failures.delete(account)]);
      } else if (outcome === "failure") {
        const [pairCount, accountCount] = await Promise.all([failures.consume(pair), failures.consume(account)]);
        const pairDelay = delaySeconds(pairCount.consumedPoints, settings.loginFreeFailures, settings.loginMaxDelaySeconds);
        const accountDelay = delaySeconds(accountCount.consumedPoints, settings.loginAccountFreeFailures, settings.loginAccountMaxDelaySeconds);
        await Promise.all([
          pairDelay > 0 ? closed.block(pair, pairDelay) : null,
          accountDelay > 0 ? closed.block(account, accountDelay) : null,
        ]);
      }
    },
  };
}

/**
 * How each sign-in of a GraphQL answer went: a token is a success, an
 * INVALID_CREDENTIALS error at its path a failure. An answer that cannot be
 * read counts every sign-in as a failure (a guesser gains nothing from it).
 */
export function loginOutcomes(responseBody: string, logins: LoginField[]): LoginOutcome[] {
  let body: { data?: Record<string, unknown> | null; errors?: { path?: unknown[]; extensions?: { code?: unknown } }[] };
  try {
    body = JSON.parse(responseBody) as typeof body;
  } catch {
    return logins.map(() => "failure");
  }
  return logins.map(({ responseKey }) => {
    const answer = body.data?.[responseKey] as { jwtToken?: unknown } | null | undefined;
    if (typeof answer?.jwtToken === "string" && answer.jwtToken !== "") return "success";
    const refused = (body.errors ?? []).some((error) => error.path?.[0] === responseKey && error.extensions?.code === "INVALID_CREDENTIALS");
    return refused ? "failure" : "none";
  });
}
