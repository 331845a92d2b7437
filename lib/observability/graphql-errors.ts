// Counts the errors of a GraphQL HTTP answer by extensions.code
// (waitify_errors_total), once, at the one place every answer passes:
// lib/graphql/http-errors.ts (grafserv's validation errors never reach maskError,
// so counting there would miss them). Only answers that hold errors are parsed.
import type { Result } from "postgraphile/grafserv";
import { countError } from "./metrics.ts";

const ERRORS_KEY = Buffer.from('"errors"');

export function countGraphQLErrors(result: Result | null): void {
  if (!result) return;
  let errors: unknown;
  if (result.type === "json") errors = (result.json as { errors?: unknown } | null)?.errors;
  else if (result.type === "buffer" && /json/.test(result.headers["content-type"] ?? "") && result.buffer.includes(ERRORS_KEY)) {
    try {
      errors = (JSON.parse(result.buffer.toString("utf8")) as { errors?: unknown }).errors;
    } catch {
      return;
    }
  }
  if (!Array.isArray(errors)) return;
  for (const error of errors as Array<{ extensions?: { code?: unknown } }>) countError(error?.extensions?.code);
}
