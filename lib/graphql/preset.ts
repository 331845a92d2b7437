// The query limits and error codes as one preset, added to each PostGraphile
// instance by graphile.config.ts: the request checks and HTTP error codes
// always (they code client mistakes), the limits themselves unless
// QUERY_LIMITS=off.
import { makeDefaultPageSizePlugin } from "./default-page-size.ts";
import { FunctionDefaultOrderPlugin } from "./function-default-order.ts";
import { GraphQLHttpErrorsPlugin } from "./http-errors.ts";
import type { QueryLimits } from "./limits.ts";
import { OperationInfoPlugin } from "./operation-info.ts";
import { makeRequestChecksPlugin } from "./request-checks.ts";

export function makeLimitsPreset(limits: QueryLimits): GraphileConfig.Preset {
  return {
    plugins: [
      // The operation name and query hash for the request log and metrics (README "Logs").
      OperationInfoPlugin,
      GraphQLHttpErrorsPlugin,
      // Function connections page by key, not by row number, when they say how (lib/graphql/function-default-order.ts).
      FunctionDefaultOrderPlugin,
      makeRequestChecksPlugin(limits),
      ...(limits.enabled ? [makeDefaultPageSizePlugin(limits.defaultPageSize)] : []),
    ],
    // A body over this is refused while it is read (413), limits or not.
    grafserv: { maxRequestLength: limits.maxBodyBytes },
    // The backstop: planning that still runs long is aborted (QUERY_TOO_COMPLEX).
    ...(limits.enabled ? { grafast: { timeouts: { planning: limits.planningTimeoutMs } } } : {}),
  };
}
