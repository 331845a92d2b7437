// The process's Prometheus metrics (prom-client), served at /metrics
// (lib/http/metrics.ts; README "Metrics"). Counters and histograms live here,
// one set per process: the HTTP layer observes requests, maskError and the
// HTTP error handlers count error codes, the send_sms task counts SMS, the
// Stripe webhook route counts events. What is state in the database (job
// queue, SMS backlog) is read at scrape time instead (lib/http/metrics.ts).
import client from "prom-client";

export const registry = new client.Registry();

// Event-loop lag, heap, GC, CPU, file descriptors…
client.collectDefaultMetrics({ register: registry, prefix: "waitify_" });

export const httpDuration = new client.Histogram({
  name: "waitify_http_request_duration_seconds",
  help: "HTTP request latency by method, route pattern, GraphQL operation name (bounded set) and status",
  labelNames: ["method", "route", "operation", "status"] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const errorsTotal = new client.Counter({
  name: "waitify_errors_total",
  help: "Errors answered to clients, by extensions.code (GraphQL and HTTP)",
  labelNames: ["code"] as const,
  registers: [registry],
});

export const smsTotal = new client.Counter({
  name: "waitify_sms_total",
  help: "SMS handled by this process's worker, by message type, provider and outcome (sent, failed: final failure, retried: a failed attempt that will be retried, capped)",
  labelNames: ["type", "provider", "outcome"] as const,
  registers: [registry],
});

export const webhookEventsTotal = new client.Counter({
  name: "waitify_webhook_events_total",
  help: "Stripe webhook deliveries by outcome (received, duplicate, bad_signature, invalid, error)",
  labelNames: ["provider", "outcome"] as const,
  registers: [registry],
});

/** Error codes are a closed list in practice; a bound anyway. */
const CODE = /^[A-Z][A-Z0-9_]{1,40}$/;
export function countError(code: unknown): void {
  errorsTotal.inc({ code: typeof code === "string" && CODE.test(code) ? code : "(other)" });
}
