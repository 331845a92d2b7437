// HTTP load generator for the queue benchmark, run in a worker thread so it
// does not share the server's event loop: `concurrency` keep-alive
// connections each send joinQueue mutations back to back until the deadline.
// The thread lives for the whole benchmark (one message per phase), so its
// connections and JIT stay warm like the server's.
import http from "node:http";
import { parentPort, workerData } from "node:worker_threads";
import { postJson } from "./http-post.ts";

export interface LoadSettings {
  url: string;
  concurrency: number;
  /** Number of bench queues; their QR tokens are bench-queue-000000000001…. */
  queues: number;
}

export interface LoadResult {
  ok: number;
  errors: Record<string, number>;
  elapsedMs: number;
}

export const JOIN_MUTATION =
  "mutation Join($qrToken: String!, $phone: String!) { joinQueue(input: { qrToken: $qrToken, phone: $phone }) { result { position } } }";

export const benchQrToken = (n: number) => `bench-queue-${String(n).padStart(12, "0")}`;
const randomInt = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));

function loader({ url, concurrency, queues }: LoadSettings): (durationMs: number) => Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const post = (body: string) => postJson(url, body, agent, { accept: "application/json" });
  return async (durationMs) => {
  const errors: Record<string, number> = {};
  let ok = 0;
  const start = performance.now();
  const deadline = start + durationMs;
  const lane = async () => {
    while (performance.now() < deadline) {
      const body = JSON.stringify({
        query: JOIN_MUTATION,
        variables: { qrToken: benchQrToken(randomInt(1, queues)), phone: `+3361${randomInt(1_000_000, 9_999_999)}` },
      });
      try {
        const reply = JSON.parse(await post(body)) as { errors?: Array<{ extensions?: { code?: string } }> };
        if (reply.errors) {
          const code = reply.errors[0]?.extensions?.code ?? "UNKNOWN";
          errors[code] = (errors[code] ?? 0) + 1;
        } else {
          ok++;
        }
      } catch (error) {
        const code = (error as { code?: string }).code ?? "NETWORK";
        errors[code] = (errors[code] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { ok, errors, elapsedMs: performance.now() - start };
  };
}

if (parentPort && workerData) {
  const port = parentPort;
  const load = loader(workerData as LoadSettings);
  port.on("message", (durationMs: number) => {
    load(durationMs).then(
      (result) => port.postMessage(result),
      (error: unknown) => port.postMessage({ ok: 0, errors: { CRASH: 1 }, elapsedMs: 0, crash: String(error) }),
    );
  });
}
