// GraphQL subscriptions as a client sees them: the real graphql-ws client over
// the real `ws` socket, against the test server's /graphql. Each subscription
// records what arrives, in order, and a test awaits the next item.
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import type { TestServer } from "./server.ts";

/** One thing a subscription received: a result, an error (refusal, interruption, closed socket), or its end. */
export type Received<T> =
  | { kind: "data"; data: T }
  | { kind: "errors"; codes: string[]; messages: string[] }
  | { kind: "closed"; code: number; reason: string }
  | { kind: "complete" };

export interface TestSubscription<T> {
  /** The next item, waiting up to `timeoutMs`. */
  next(timeoutMs?: number): Promise<Received<T>>;
  /** The next item, which must be data. */
  nextData(timeoutMs?: number): Promise<T>;
  /** Items received but not yet taken. */
  pending(): Received<T>[];
  unsubscribe(): void;
}

export interface TestClient {
  client: Client;
  subscribe<T>(query: string, variables?: Record<string, unknown>): TestSubscription<T>;
  /** Resolves with the close event when the socket closes. */
  closed: Promise<{ code: number; reason: string }>;
  dispose(): Promise<void>;
}

type ErrorLike = { message?: string; extensions?: { code?: string } };

function errorsOf(list: readonly ErrorLike[]): Received<never> {
  return {
    kind: "errors",
    codes: list.map((error) => String(error.extensions?.code)),
    messages: list.map((error) => String(error.message)),
  };
}

/**
 * A graphql-ws client of the test server. `token` goes in connectionParams as
 * "Bearer <token>"; `authorization` sends a raw value instead; neither = anonymous.
 * It does not retry: a test sees each close as it happens.
 */
export function connect(server: TestServer, options: { token?: string; authorization?: unknown } = {}): TestClient {
  let onClosed: (event: { code: number; reason: string }) => void = () => {};
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (onClosed = resolve));
  const authorization = options.authorization ?? (options.token ? `Bearer ${options.token}` : undefined);
  const client = createClient({
    url: `${server.url.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: authorization === undefined ? {} : { authorization },
    retryAttempts: 0,
    lazy: false,
    // Errors reach the sinks; the client's own console noise is not wanted here.
    onNonLazyError: () => {},
    on: {
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        onClosed({ code, reason: String(reason) });
      },
    },
  });
  return {
    client,
    closed,
    subscribe<T>(query: string, variables?: Record<string, unknown>) {
      const items: Received<T>[] = [];
      const waiting: Array<(item: Received<T>) => void> = [];
      const push = (item: Received<T>) => {
        const waiter = waiting.shift();
        if (waiter) waiter(item);
        else items.push(item);
      };
      const unsubscribe = client.subscribe<T>(
        { query, variables },
        {
          next: (result) => push(result.errors ? errorsOf(result.errors as ErrorLike[]) : { kind: "data", data: result.data as T }),
          error: (error) => {
            if (Array.isArray(error)) push(errorsOf(error as ErrorLike[]));
            else if (error && typeof (error as { code?: unknown }).code === "number") {
              const { code, reason } = error as { code: number; reason: string };
              push({ kind: "closed", code, reason: String(reason) });
            } else push({ kind: "errors", codes: ["CLIENT"], messages: [String(error)] });
          },
          complete: () => push({ kind: "complete" }),
        },
      );
      const next = (timeoutMs = 5_000) =>
        new Promise<Received<T>>((resolve, reject) => {
          const item = items.shift();
          if (item) return resolve(item);
          const timer = setTimeout(() => {
            waiting.splice(waiting.indexOf(take), 1);
            reject(new Error(`nothing received in ${timeoutMs} ms`));
          }, timeoutMs);
          const take = (received: Received<T>) => {
            clearTimeout(timer);
            resolve(received);
          };
          waiting.push(take);
        });
      return {
        next,
        async nextData(timeoutMs) {
          const item = await next(timeoutMs);
          if (item.kind !== "data") throw new Error(`expected data, got ${JSON.stringify(item)}`);
          return item.data;
        },
        pending: () => [...items],
        unsubscribe,
      };
    },
    async dispose() {
      await client.dispose();
    },
  };
}
