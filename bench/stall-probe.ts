// The stall bench's outside observer, in a worker thread (its own event loop):
// GET /health/live every PROBE_INTERVAL_MS, as a load balancer would, and
// report the slowest answer of each window the main thread asks about.
import http from "node:http";
import { parentPort, workerData } from "node:worker_threads";

const PROBE_INTERVAL_MS = 10;
const { url } = workerData as { url: string };
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

let worst = 0;
let probes = 0;
let inFlightSince: number | null = null;

function probe(): void {
  inFlightSince = performance.now();
  const request = http.get(url, { agent }, (response) => {
    response.resume();
    response.on("end", () => {
      worst = Math.max(worst, performance.now() - inFlightSince!);
      probes += 1;
      inFlightSince = null;
      setTimeout(probe, PROBE_INTERVAL_MS);
    });
  });
  // A probe stuck behind a long block may come back as a reset socket (the
  // server times the request out once it runs again): it still waited that long.
  request.on("error", () => {
    worst = Math.max(worst, performance.now() - inFlightSince!);
    inFlightSince = null;
    setTimeout(probe, PROBE_INTERVAL_MS);
  });
}
probe();

// "window": the slowest probe since the last window, counting one still waiting.
parentPort!.on("message", (message: string) => {
  if (message === "window") {
    const waiting = inFlightSince === null ? 0 : performance.now() - inFlightSince;
    parentPort!.postMessage({ worstMs: Math.max(worst, waiting), probes });
    worst = 0;
    probes = 0;
  } else if (message === "stop") {
    agent.destroy();
    process.exit(0);
  }
});
