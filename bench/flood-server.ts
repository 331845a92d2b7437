// The flood benchmark's API server, in a process of its own (forked by
// bench/flood.ts) so that its CPU time is its own: the real startHttp with the
// rate limits of production (defaultRateLimits) or off, trusting the loopback
// proxy so that each flooding client's X-Forwarded-For address counts alone.
// It answers the parent over IPC: its port once listening, its CPU time on
// request, and stops on "stop".
import { generateJwtKeys } from "../lib/auth/keys.ts";
import { startHttp } from "../lib/http/app.ts";
import { defaultRateLimits, rateLimitsOff } from "../lib/http/rate-limit/settings.ts";
import { workerOff } from "../lib/worker.ts";

export interface FloodServerSettings {
  authUrl: string;
  rateLimits: boolean;
  poolSize: number;
}

export type FloodServerRequest = { op: "cpu"; id: number } | { op: "stop"; id: number };

async function main() {
  const settings = JSON.parse(process.env.BENCH_SERVER_SETTINGS ?? "{}") as FloodServerSettings;
  const http = await startHttp({
    host: "127.0.0.1",
    port: 0,
    authUrl: settings.authUrl,
    development: false,
    poolSize: settings.poolSize,
    worker: workerOff,
    jwt: { keys: generateJwtKeys(), issuer: "waitify-bench", audience: "waitify-bench", expiresIn: "1h" },
    rateLimits: settings.rateLimits ? defaultRateLimits : rateLimitsOff,
    trustProxy: ["loopback"],
  });
  process.on("message", (request: FloodServerRequest) => {
    if (request.op === "cpu") {
      const usage = process.cpuUsage();
      process.send!({ id: request.id, result: (usage.user + usage.system) / 1000 });
    } else if (request.op === "stop") {
      void http.close().then(() => {
        process.send!({ id: request.id, result: null });
        process.disconnect();
      });
    }
  });
  process.send!({ ready: true, port: http.port });
}

main().catch((error: unknown) => {
  console.error("flood bench server:", error);
  process.exit(1);
});
