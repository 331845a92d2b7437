// The HTTP side: Express 5 with PostGraphile mounted through grafserv's
// Express adaptor. No global body parser: grafserv reads its own body and the
// Stripe webhook route (a later issue) needs the raw one.
import { createServer, type Server } from "node:http";
import express from "express";
import pg from "pg";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/express/v4";
import { makePreset, type PresetOptions } from "../../graphile.config.ts";
import { log } from "../logger.ts";
import type { WorkerHandle } from "../worker.ts";
import { healthRouter } from "./health.ts";

export interface HttpOptions extends Omit<PresetOptions, "pool"> {
  host: string;
  port: number;
  /** The authenticator's connection URL. */
  authUrl: string;
  poolSize: number;
  worker: WorkerHandle;
}

export interface HttpHandle {
  server: Server;
  /** The port actually bound (PORT=0 picks a free one, as tests do). */
  port: number;
  /** Stops accepting, lets in-flight requests finish, releases the pools. */
  close(): Promise<void>;
}

export async function startHttp(options: HttpOptions): Promise<HttpHandle> {
  const app = express();
  app.disable("x-powered-by");
  const server = createServer(app);

  const pool = new pg.Pool({ connectionString: options.authUrl, max: options.poolSize });
  // An idle connection dropped by the server must not crash the process.
  pool.on("error", (error) => log.warn("database pool error", { error: error.message }));
  app.use(healthRouter({ pool, worker: options.worker }));

  const pgl = postgraphile(makePreset({ ...options, pool }));
  const serv = pgl.createServ(grafserv);
  await serv.addTo(app, server);
  // Build the schema now, so a broken database fails start-up, not the first request.
  await pgl.getSchema();

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;

  return {
    server,
    port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      await pgl.release();
      await pool.end();
    },
  };
}
