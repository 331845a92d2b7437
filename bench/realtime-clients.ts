// The realtime benchmark's websocket clients: one graphql-ws client (own
// socket) per waiting customer, subscribed to entryChanged with its entry
// token, and one per merchant, subscribed to queueChanged of its queue, as the
// status page and the counter screen do. Each client hands every message
// after its first (the current state, sent once the server listens) to
// `onMessage`, with its arrival time on this process's clock.
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import type { BenchQueue } from "./realtime-env.ts";

const ENTRY_CHANGED = `subscription($entryToken: String!) { entryChanged(entryToken: $entryToken) { status position } }`;
const QUEUE_CHANGED = `subscription($queueId: UUID!) { queueChanged(queueId: $queueId) { event entryId queue { isQueueActive } } }`;

export interface Subscriber {
  queue: number;
  kind: "customer" | "merchant";
  /** The customer's entry token. */
  entryToken?: string;
}

export interface Message {
  subscriber: Subscriber;
  /** performance.now() when the message arrived. */
  at: number;
  data: { entryChanged?: { status: string; position: number | null }; queueChanged?: { event: string; entryId: string | null } };
}

export interface ClientPool {
  subscribers: Subscriber[];
  /** Messages that were errors, and sockets closed unexpectedly. */
  failures(): string[];
  close(): Promise<void>;
}

/** Connects and subscribes everyone, `batch` at a time; resolves once every subscription has sent its first message. */
export async function connectClients(
  wsUrl: string,
  queues: BenchQueue[],
  onMessage: (message: Message) => void,
  batch = 50,
): Promise<ClientPool> {
  const subscribers: Subscriber[] = queues.flatMap((queue) => [
    { queue: queue.index, kind: "merchant" as const },
    ...queue.entryTokens.map((entryToken) => ({ queue: queue.index, kind: "customer" as const, entryToken })),
  ]);
  const clients: Client[] = [];
  const failures: string[] = [];
  let closing = false;

  const start = (subscriber: Subscriber) =>
    new Promise<void>((resolve, reject) => {
      const queue = queues[subscriber.queue]!;
      const client = createClient({
        url: wsUrl,
        webSocketImpl: WebSocket,
        connectionParams: subscriber.kind === "merchant" ? { authorization: `Bearer ${queue.token}` } : {},
        lazy: false,
        retryAttempts: 0,
        onNonLazyError: (error) => {
          if (!closing) failures.push(`socket: ${String(error)}`);
        },
      });
      clients.push(client);
      let first = true;
      client.subscribe<Message["data"]>(
        subscriber.kind === "merchant"
          ? { query: QUEUE_CHANGED, variables: { queueId: queue.queueId } }
          : { query: ENTRY_CHANGED, variables: { entryToken: subscriber.entryToken } },
        {
          next: (result) => {
            const at = performance.now();
            if (result.errors) {
              failures.push(JSON.stringify(result.errors));
              if (first) reject(new Error(JSON.stringify(result.errors)));
              return;
            }
            if (first) {
              first = false;
              resolve();
              return;
            }
            onMessage({ subscriber, at, data: result.data as Message["data"] });
          },
          error: (error) => {
            if (closing) return;
            failures.push(`subscription: ${JSON.stringify(error)}`);
            if (first) reject(new Error(JSON.stringify(error)));
          },
          complete: () => {},
        },
      );
    });

  for (let i = 0; i < subscribers.length; i += batch) {
    await Promise.all(subscribers.slice(i, i + batch).map(start));
  }
  return {
    subscribers,
    failures: () => [...failures],
    async close() {
      closing = true;
      await Promise.all(clients.map((client) => client.dispose()));
    },
  };
}
