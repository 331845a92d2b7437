// Waitify's entry point. `node server.ts` runs the API and a worker;
// `node server.ts worker` (npm run worker) runs a worker alone.

// Grafast reads GRAPHILE_ENV when it is first imported: decide it before.
process.env.GRAPHILE_ENV ??= (process.env.NODE_ENV ?? "development") === "development" ? "development" : "production";

const { ConfigError, loadConfig } = await import("./lib/config.ts");
const { start, stopOnSignals } = await import("./lib/lifecycle.ts");
const { log, routeConsoleToLog } = await import("./lib/logger.ts");
// Libraries' console.error/warn (grafserv's masked errors, planning failures) as JSON lines.
routeConsoleToLog();

const role = process.argv[2] === "worker" ? "worker" : "all";

try {
  const config = loadConfig();
  const running = await start(config, role);
  stopOnSignals(running, config.SHUTDOWN_TIMEOUT_MS);
} catch (error) {
  if (error instanceof ConfigError) {
    // One plain line for the person starting the server (console.* is routed to JSON).
    process.stderr.write(`${error.message}\n`);
  } else {
    log.error("start-up failed", { error: error instanceof Error ? error.message : String(error) });
  }
  process.exit(1);
}
