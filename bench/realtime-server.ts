// The realtime benchmark's API server, in a process of its own (forked by
// bench/realtime-env.ts with --expose-gc): the real startHttp (PostGraphile,
// the websocket server, the shared LISTEN connection), no worker. Its memory
// is this process's alone, and the 1 000 clients' work runs elsewhere. It
// answers the parent over IPC: its port once listening, its memory (after a
// full garbage collection) and its open sockets on request, and stops on
// "stop".
import type { JwtSettings } from "../lib/auth/jwt.ts";
import { startHttp } from "../lib/http/app.ts";
import { rateLimitsOff } from "../lib/http/rate-limit/settings.ts";
import { workerOff } from "../lib/worker.ts";

export interface ServerSettings {
  authUrl: string;
  jwt: JwtSettings;
  poolSize: number;
}

export type ServerRequest = { op: "memory"; id: number } | { op: "stop"; id: number };

export interface MemoryReport {
  rssMB: number;
  heapUsedMB: number;
  externalMB: number;
  sockets: number;
  /** CPU time (user + system) the process has used since it started, ms. */
  cpuMs: number;
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

async function main() {
  const settings = JSON.parse(process.env.BENCH_SERVER_SETTINGS ?? "{}") as ServerSettings;
  const http = await startHttp({
    host: "127.0.0.1",
    port: 0,
    authUrl: settings.authUrl,
    development: false,
    poolSize: settings.poolSize,
    worker: workerOff,
    // A load test: its clients all come from 127.0.0.1 (RATE_LIMITS=off).
    rateLimits: rateLimitsOff,
    jwt: settings.jwt,
  });
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on("message", (request: ServerRequest) => {
    if (request.op === "memory") {
      // Twice: what the first collection frees may let the second free more.
      gc?.();
      gc?.();
      const usage = process.memoryUsage();
      const report: MemoryReport = {
        rssMB: mb(usage.rss),
        heapUsedMB: mb(usage.heapUsed),
        externalMB: mb(usage.external + usage.arrayBuffers),
        sockets: http.realtime.connections(),
        cpuMs: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000),
      };
      process.send!({ id: request.id, result: report });
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
  console.error("realtime bench server:", error);
  process.exit(1);
});
