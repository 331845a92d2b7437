// Where the database comes from: the URLs in the environment, or an embedded
// PostgreSQL started for this process (development and first runs).
import { createHmac } from "node:crypto";
import type { Config } from "../config.ts";
import { startEmbeddedPostgres, type EmbeddedOptions } from "./embedded.ts";
import { setupDatabase, type DatabaseUrls } from "./setup.ts";
import { urlParts, withCredentials } from "./urls.ts";

export interface Database extends DatabaseUrls {
  embedded: boolean;
  /** Stops the embedded cluster if this process started it; no-op otherwise. */
  stop(): Promise<void>;
}

export async function openDatabase(config: Config): Promise<Database> {
  if (config.DATABASE_URL && config.AUTH_DATABASE_URL) {
    return {
      ownerUrl: config.DATABASE_URL,
      authUrl: config.AUTH_DATABASE_URL,
      rootUrl: config.ROOT_DATABASE_URL,
      shadowUrl: config.SHADOW_DATABASE_URL,
      embedded: false,
      stop: async () => {},
    };
  }
  return openEmbeddedDatabase({ dataDir: config.EMBEDDED_PG_DIR, port: config.EMBEDDED_PG_PORT }, "waitify");
}

/** Starts (or joins) an embedded cluster and makes sure roles and databases exist. */
export async function openEmbeddedDatabase(options: EmbeddedOptions, database: string): Promise<Database> {
  const cluster = await startEmbeddedPostgres(options);
  const urls = embeddedUrls(cluster.rootUrl, database);
  try {
    await setupDatabase(cluster.rootUrl, urls);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return { ...urls, embedded: true, stop: cluster.stop };
}

/**
 * Role passwords on an embedded cluster derive from its superuser secret, so
 * nothing but that one git-ignored file has to be kept.
 */
export function embeddedUrls(rootUrl: string, database: string): DatabaseUrls {
  const secret = urlParts(rootUrl).password;
  const password = (role: string) => createHmac("sha256", secret).update(role).digest("base64url");
  return {
    rootUrl,
    ownerUrl: withCredentials(rootUrl, "waitify_owner", password("waitify_owner"), database),
    authUrl: withCredentials(rootUrl, "waitify_authenticator", password("waitify_authenticator"), database),
    shadowUrl: withCredentials(rootUrl, "waitify_owner", password("waitify_owner"), `${database}_shadow`),
  };
}
