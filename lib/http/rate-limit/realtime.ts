// The websocket server's limits (lib/realtime/websocket.ts calls these):
// - opening a socket is a request like any other (RATE_LIMIT_REQUESTS, by
//   address: the token only comes later, in connection_init), and an address
//   may hold RATE_LIMIT_WS_CONNECTIONS_PER_ADDRESS sockets open at once in a
//   process (a socket lives in one process, so this count is exact in memory);
// - every subscribe message is a request too (by account once signed in, else
//   by address), and a socket may send RATE_LIMIT_WS_SUBSCRIBES_PER_SOCKET of
//   them per window (counted in memory, for the same reason).
// A refused upgrade is answered 429 before any websocket exists; a refused
// subscription gets a RATE_LIMITED error on its id, the socket stays open.
import type { IncomingMessage } from "node:http";
import { requestAuth } from "../../auth/request.ts";
import { addressKey, requestAddress, type TrustFunction } from "./client.ts";
import type { RateLimitSettings } from "./settings.ts";

/** How long a client over its open-socket count is told to wait (one must close first). */
const CONNECTIONS_RETRY_MS = 10_000;

export interface RealtimeLimits {
  /** An upgrade request: 0 when it may open a socket (then counted until `released`), else the wait in ms. */
  admitConnection(req: IncomingMessage): Promise<number>;
  /** The socket of an admitted upgrade closed. */
  released(req: IncomingMessage): void;
  /** A subscribe message on the socket of `req`: 0 when it may run, else the wait in ms. */
  admitSubscribe(req: IncomingMessage): Promise<number>;
}

export function makeRealtimeLimits(options: {
  settings: RateLimitSettings;
  trust: TrustFunction;
  /** Counts one request against a client key (index.ts clientKey's format); the wait, 0 when allowed. */
  consume(key: string): Promise<number>;
}): RealtimeLimits {
  const open = new Map<string, number>();
  const addresses = new WeakMap<IncomingMessage, string>();
  const subscribes = new WeakMap<IncomingMessage, { windowEnd: number; count: number }>();
  const { wsConnectionsPerAddress, wsSubscribesPerSocket } = options.settings;
  const addressOf = (req: IncomingMessage) => {
    let address = addresses.get(req);
    if (address === undefined) {
      address = addressKey(requestAddress(req, options.trust));
      addresses.set(req, address);
    }
    return address;
  };

  return {
    async admitConnection(req) {
      const address = addressOf(req);
      if ((open.get(address) ?? 0) >= wsConnectionsPerAddress) return CONNECTIONS_RETRY_MS;
      // Counted before the store answers, so a burst of upgrades cannot slip past it.
      open.set(address, (open.get(address) ?? 0) + 1);
      const waitMs = await options.consume(`address:${address}`);
      if (waitMs > 0) this.released(req);
      return waitMs;
    },
    released(req) {
      const address = addressOf(req);
      const count = (open.get(address) ?? 1) - 1;
      if (count > 0) open.set(address, count);
      else open.delete(address);
    },
    async admitSubscribe(req) {
      const now = Date.now();
      let window = subscribes.get(req);
      if (!window || window.windowEnd <= now) {
        window = { windowEnd: now + wsSubscribesPerSocket.seconds * 1000, count: 0 };
        subscribes.set(req, window);
      }
      window.count++;
      if (window.count > wsSubscribesPerSocket.points) return window.windowEnd - now;
      const userId = requestAuth(req).userId;
      return options.consume(userId ? `account:${userId}` : `address:${addressOf(req)}`);
    },
  };
}
