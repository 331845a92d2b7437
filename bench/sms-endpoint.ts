// The local SNS endpoint of the SMS benchmarks, in its own thread: arrival
// times are taken on an event loop that does nothing else, not on the one
// that also drives the load. Each Publish is reported to the parent thread.
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { snsErrors, startFakeSns, type PublishRequest } from "../test/helpers/fake-sns.ts";

export interface EndpointOptions {
  /** Share of Publish calls answered with a 500 (InternalError). */
  failRatio?: number;
  seed?: number;
}

export interface Endpoint {
  url: string;
  /** Every Publish received, in arrival order (accepted or not). */
  requests: PublishRequest[];
  onPublish?: (request: PublishRequest) => void;
  published(): PublishRequest[];
  close(): Promise<void>;
}

export async function startEndpoint(options: EndpointOptions = {}): Promise<Endpoint> {
  const thread = new Worker(new URL(import.meta.url), { workerData: options });
  const requests: PublishRequest[] = [];
  const endpoint: Endpoint = {
    url: "",
    requests,
    published: () => requests.filter((request) => request.messageId),
    close: async () => {
      thread.postMessage("close");
      await new Promise((resolve) => thread.once("exit", resolve));
    },
  };
  endpoint.url = await new Promise<string>((resolve, reject) => {
    thread.once("error", reject);
    thread.on("message", (message: { url?: string; request?: PublishRequest }) => {
      if (message.url) resolve(message.url);
      if (message.request) {
        requests.push(message.request);
        endpoint.onPublish?.(message.request);
      }
    });
  });
  return endpoint;
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const options = workerData as EndpointOptions;
  const fake = await startFakeSns();
  if (options.failRatio) fake.failRatio(options.failRatio, snsErrors.internal, options.seed ?? 42);
  fake.onPublish = (request) => port.postMessage({ request });
  port.on("message", async (message) => {
    if (message === "close") {
      await fake.close();
      port.close();
    }
  });
  port.postMessage({ url: fake.url });
}
