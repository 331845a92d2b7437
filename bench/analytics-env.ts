// The analytics benchmark's own world: an embedded PostgreSQL in
// .data/bench-analytics-pg (port BENCH_PG_PORT, default 54370: never the
// development or test cluster), a fresh database migrated with the committed
// and current migrations, and the real HTTP server (Express + PostGraphile) on
// a free port. `stop()` undoes all of it.
import pg from "pg";
import { embeddedUrls, openEmbeddedDatabase } from "../lib/db/database.ts";
import { migrateDatabase } from "../lib/db/migrate.ts";
import { setupDatabase, type DatabaseUrls } from "../lib/db/setup.ts";
import { ident, withDatabase } from "../lib/db/urls.ts";
import { generateJwtKeys } from "../lib/auth/keys.ts";
import type { JwtSettings } from "../lib/auth/jwt.ts";
import { startHttp, type HttpHandle } from "../lib/http/app.ts";
import { workerOff } from "../lib/worker.ts";

const DATA_DIR = ".data/bench-analytics-pg";
const DATABASE = "waitify_bench_analytics";

export interface AnalyticsBenchEnvironment {
  urls: DatabaseUrls;
  /** Superuser on the bench database: loading the data. */
  rootUrl: string;
  http: HttpHandle;
  graphqlUrl: string;
  jwt: JwtSettings;
  stop(): Promise<void>;
}

export async function startAnalyticsBenchEnvironment(): Promise<AnalyticsBenchEnvironment> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch((error: unknown) => console.error("bench stop:", error));
  };
  try {
    const port = Number(process.env.BENCH_PG_PORT ?? 54370);
    const cluster = await openEmbeddedDatabase(
      { dataDir: DATA_DIR, port, settings: { max_connections: "100", synchronous_commit: "off", fsync: "off" } },
      DATABASE,
    );
    stops.push(cluster.stop);
    const rootUrl = cluster.rootUrl!;
    const root = new pg.Client({ connectionString: rootUrl });
    await root.connect();
    await root.query(`drop database if exists ${ident(DATABASE)} with (force)`);
    await root.end();
    const urls = embeddedUrls(rootUrl, DATABASE);
    await setupDatabase(rootUrl, urls);
    await migrateDatabase(urls, { current: true, force: true });
    const jwt: JwtSettings = { keys: generateJwtKeys(), issuer: "waitify-bench", audience: "waitify-bench", expiresIn: "1h" };
    const http = await startHttp({
      host: "127.0.0.1",
      port: 0,
      authUrl: urls.authUrl,
      development: false,
      poolSize: 4,
      worker: workerOff,
      jwt,
    });
    stops.push(http.close);
    return { urls, rootUrl: withDatabase(rootUrl, DATABASE), http, graphqlUrl: `http://127.0.0.1:${http.port}/graphql`, jwt, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
