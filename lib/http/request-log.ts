// One JSON line per HTTP request (pino-http through lib/logger.ts): request
// id (X-Request-Id: a proxy's, when it looks like one, else generated; sent
// back in the response), method, route pattern, role (never the token),
// GraphQL operation name and query hash (never the query text), status,
// latency. 5xx at error level, the rest at info. The same moment feeds the
// HTTP latency histogram (lib/observability/metrics.ts).
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Request, RequestHandler, Response } from "express";
import { pinoHttp } from "pino-http";
import { requestAuth } from "../auth/request.ts";
import { logger } from "../logger.ts";
import { httpDuration } from "../observability/metrics.ts";
import { operationLabel } from "../observability/operation-names.ts";
import { graphQLInfo } from "../observability/request-info.ts";
import { routeLabel } from "../observability/route.ts";

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,64}$/;

function requestFields(req: IncomingMessage, res: ServerResponse, latencyMs: number): Record<string, unknown> {
  const graphql = graphQLInfo(req);
  return {
    method: req.method,
    route: routeLabel(req as Request, res as Response),
    status: res.statusCode,
    latencyMs: Math.round(latencyMs * 10) / 10,
    role: requestAuth(req).role,
    ...(graphql ? { operation: graphql.operationName, queryHash: graphql.queryHash } : {}),
  };
}

export function requestLog(): RequestHandler {
  const http = pinoHttp({
    logger,
    genReqId(req, res) {
      const given = req.headers["x-request-id"];
      const id = typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
      res.setHeader("X-Request-Id", id);
      return id;
    },
    // No req/res objects (their URL holds secrets, their headers tokens): the fields below say everything.
    quietReqLogger: true,
    quietResLogger: true,
    customAttributeKeys: { reqId: "requestId" },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? "error" : "info"),
    customSuccessMessage: () => "request",
    customErrorMessage: () => "request failed",
    customSuccessObject: (req, res, value: { responseTime: number }) => requestFields(req, res, value.responseTime),
    customErrorObject: (req, res, _error, value: { responseTime: number }) => requestFields(req, res, value.responseTime),
  });
  return http as unknown as RequestHandler;
}

/** Observes each finished request in the latency histogram. */
export function requestMetrics(): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once("finish", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeLabel(req, res);
      const operation = route === "/graphql" ? operationLabel(graphQLInfo(req)?.operationName) : "";
      httpDuration.observe({ method: req.method, route, operation, status: String(res.statusCode) }, seconds);
    });
    next();
  };
}
