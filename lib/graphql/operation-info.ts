// Records each GraphQL request's operation name and query hash
// (lib/observability/request-info.ts) as soon as grafserv has read its body,
// before any check may refuse it, for the request log and the metrics.
import type { IncomingMessage } from "node:http";
import { describeGraphQLBody, setGraphQLInfo } from "../observability/request-info.ts";

export const OperationInfoPlugin: GraphileConfig.Plugin = {
  name: "WaitifyOperationInfoPlugin",
  version: "1.0.0",
  description: "Notes the GraphQL operation name and a hash of the query text on the HTTP request",
  grafserv: {
    middleware: {
      processGraphQLRequestBody(next, event) {
        const context = event.request?.requestContext;
        const req = context?.expressv4?.req ?? context?.node?.req;
        const body = event.body as { query?: unknown; operationName?: unknown };
        if (req && typeof body.query === "string") setGraphQLInfo(req as IncomingMessage, describeGraphQLBody(body.query, body.operationName));
        return next();
      },
    },
  },
};
