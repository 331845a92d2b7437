// Request/answer over a worker thread's message port, for the billing
// benchmark's two helper threads (the fake Stripe, the webhook senders): the
// main thread calls `rpc.call(op, input)`, the thread answers from its
// handlers. Each runs in its own thread so that its work (rendering Stripe
// objects, signing and timing deliveries) does not sit on the event loop of
// the API server and worker being measured.
import { parentPort, Worker } from "node:worker_threads";

type Handlers = Record<string, (input: never) => unknown>;

interface Request {
  id: number;
  op: string;
  input: unknown;
}

interface Answer {
  id: number;
  result?: unknown;
  error?: string;
}

export interface ThreadClient<H extends Handlers> {
  call<K extends keyof H & string>(op: K, input: Parameters<H[K]>[0]): Promise<Awaited<ReturnType<H[K]>>>;
  /** Ends the thread (its handlers' `close`, when there is one, runs first). */
  close(): Promise<void>;
}

/** Starts `file` as a worker thread with `data` and returns its client once it said "ready". */
export async function startThread<H extends Handlers>(file: URL, data: unknown): Promise<ThreadClient<H>> {
  const thread = new Worker(file, { workerData: data });
  const pending = new Map<number, { resolve: (value: never) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let exited = false;
  const exit = new Promise<void>((resolve) => thread.once("exit", () => resolve()));
  // A thread that dies fails every call in flight instead of leaving it hanging.
  const failAll = (error: Error) => {
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };
  thread.on("error", failAll);
  void exit.then(() => {
    exited = true;
    failAll(new Error(`thread ${file.pathname} exited`));
  });
  await new Promise<void>((resolve, reject) => {
    thread.once("error", reject);
    thread.once("message", () => resolve());
  });
  thread.on("message", (answer: Answer) => {
    const waiting = pending.get(answer.id);
    if (!waiting) return;
    pending.delete(answer.id);
    if (answer.error !== undefined) waiting.reject(new Error(answer.error));
    else waiting.resolve(answer.result as never);
  });
  const call = (op: string, input: unknown) => {
    if (exited) return Promise.reject(new Error(`thread ${file.pathname} has exited`));
    const id = nextId++;
    return new Promise<never>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      thread.postMessage({ id, op, input } satisfies Request);
    });
  };
  return {
    call,
    async close() {
      if (exited) return;
      await call("close", undefined).catch(() => {});
      // A thread that does not end by itself within 5 s is terminated.
      const timer = setTimeout(() => void thread.terminate(), 5_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** Thread side: answers the main thread's calls from `handlers`, then says "ready". */
export function serveThread(handlers: Handlers & { close?: () => unknown }): void {
  const port = parentPort!;
  port.on("message", async ({ id, op, input }: Request) => {
    const handler = op === "close" ? (handlers.close ?? (() => undefined)) : handlers[op];
    try {
      if (!handler) throw new Error(`unknown operation ${op}`);
      const result = await (handler as (input: unknown) => unknown)(input);
      port.postMessage({ id, result } satisfies Answer);
    } catch (error) {
      port.postMessage({ id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies Answer);
    }
    // After "close" the port goes, so the thread's event loop can end.
    if (op === "close") port.close();
  });
  port.postMessage("ready");
}
