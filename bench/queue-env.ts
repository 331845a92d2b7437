// The benchmark's own world: an embedded PostgreSQL in .data/bench-pg on port
// 54350 (never the development or test cluster), a fresh database migrated
// with the committed and current migrations, and the real HTTP server
// (Express + PostGraphile) on a free port. `stop()` undoes all of it.
import path from "node:path";
import pg from "pg";
import { embeddedUrls, openEmbeddedDatabase } from "../lib/db/database.ts";
import { applyCurrentMigration, migrateDatabase } from "../lib/db/migrate.ts";
import { setupDatabase, type DatabaseUrls } from "../lib/db/setup.ts";
import { ident } from "../lib/db/urls.ts";
import { generateJwtKeys } from "../lib/auth/keys.ts";
import type { JwtSettings } from "../lib/auth/jwt.ts";
import { startHttp, type HttpHandle } from "../lib/http/app.ts";
import { rateLimitsOff } from "../lib/http/rate-limit/settings.ts";
import { workerOff } from "../lib/worker.ts";

export const BENCH_PG_DIR = ".data/bench-pg";
export const BENCH_PG_PORT = 54350;
const DATABASE = "waitify_bench";

export interface BenchEnvironment {
  urls: DatabaseUrls;
  /** Owner pool: set-up and direct SQL measurements. */
  owner: pg.Pool;
  http: HttpHandle;
  graphqlUrl: string;
  jwt: JwtSettings;
  stop(): Promise<void>;
}

export async function startBenchEnvironment(options: { httpPoolSize: number }): Promise<BenchEnvironment> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch((error: unknown) => console.error("bench stop:", error));
  };
  try {
    // Start (or join) the cluster, then start from an empty database every run.
    // BENCH_SOCKET=unix: clients (server and pgbench alike) reach PostgreSQL
    // through a Unix socket in the data folder instead of TCP on 127.0.0.1.
    const socketDir = process.env.BENCH_SOCKET === "unix" ? path.resolve(BENCH_PG_DIR) : undefined;
    const cluster = await openEmbeddedDatabase(
      {
        dataDir: BENCH_PG_DIR,
        port: BENCH_PG_PORT,
        settings: {
          max_connections: "300",
          synchronous_commit: process.env.BENCH_SYNCHRONOUS_COMMIT ?? "off",
          ...(socketDir ? { unix_socket_directories: socketDir } : {}),
        },
      },
      DATABASE,
    );
    stops.push(cluster.stop);
    const rootUrl = cluster.rootUrl!;
    const root = new pg.Client({ connectionString: rootUrl });
    await root.connect();
    await root.query(`drop database if exists ${ident(DATABASE)} with (force)`);
    await root.end();
    const tcpUrls = embeddedUrls(rootUrl, DATABASE);
    await setupDatabase(rootUrl, tcpUrls);
    const viaSocket = (url: string | undefined) => {
      if (!url || !socketDir) return url;
      const parsed = new URL(url);
      parsed.searchParams.set("host", socketDir);
      return parsed.toString();
    };
    const urls: DatabaseUrls = {
      ...tcpUrls,
      ownerUrl: viaSocket(tcpUrls.ownerUrl)!,
      authUrl: viaSocket(tcpUrls.authUrl)!,
    };
    await migrateDatabase(urls);
    await applyCurrentMigration(urls);

    const owner = new pg.Pool({ connectionString: urls.ownerUrl, max: 4 });
    stops.push(() => owner.end());

    const jwt: JwtSettings = { keys: generateJwtKeys(), issuer: "waitify-bench", audience: "waitify-bench", expiresIn: "1h" };
    const http = await startHttp({
      host: "127.0.0.1",
      port: 0,
      authUrl: urls.authUrl,
      development: false,
      poolSize: options.httpPoolSize,
      worker: workerOff,
      // A load test: its clients all come from 127.0.0.1 (RATE_LIMITS=off).
      rateLimits: rateLimitsOff,
      jwt,
    });
    stops.push(http.close);
    return { urls, owner, http, graphqlUrl: `http://127.0.0.1:${http.port}/graphql`, jwt, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
