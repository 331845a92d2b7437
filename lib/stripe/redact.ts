// Stripe keys and webhook secrets out of text bound for a log: Stripe's own
// messages quote part of a rejected key. Kept apart from errors.ts so the
// stripe:sync command does not load GraphQL to use it.

const keyPattern = /\b(sk|rk|pk)_(test|live)_[A-Za-z0-9*_]+|\bwhsec_[A-Za-z0-9_]+/g;

/** Removes anything that looks like a Stripe key or webhook secret. */
export function redactStripeSecrets(text: string): string {
  return text.replace(keyPattern, "[redacted]");
}
