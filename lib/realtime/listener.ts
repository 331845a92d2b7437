// The process's one LISTEN connection, shared by the PostGraphile instance of
// every request role (graphile.config.ts passes it as their `pgSubscriber`).
//
// It is PostGraphile's own PgSubscriber (one connection, LISTEN / UNLISTEN as
// topics come and go, every subscriber of a topic fed from it) with what a
// live page needs besides:
//
// - `subscribe()` resolves once the LISTEN is in place, not before: the first
//   message a subscription sends (its current state, see lib/realtime/) then
//   comes after the point from which no change can be missed.
// - When the connection drops, PgSubscriber ends every stream with a plain
//   Error (notifications may have been lost in between); here it becomes the
//   coded SUBSCRIPTION_INTERRUPTED, so the client knows to subscribe again and
//   re-read its state — for every stream of that connection, including those
//   PgSubscriber misses (see watch()). The next subscription opens a new
//   connection.
import pg from "pg";
import { PgSubscriber } from "postgraphile/adaptors/pg";
import type { GrafastSubscriber } from "postgraphile/grafast";
import { GraphQLError } from "postgraphile/graphql";
import { applicationErrorCodes } from "../errors.ts";
import { log } from "../logger.ts";

/** What the database's backend list shows for this connection (tests find it by this name). */
export const LISTENER_APPLICATION_NAME = "waitify-listen";

/** A LISTEN that cannot be set up in this time (database unreachable) fails the subscription. */
const LISTEN_TIMEOUT_MS = 10_000;

export function subscriptionInterrupted(): GraphQLError {
  return new GraphQLError("La connexion temps réel a été interrompue : abonnez-vous de nouveau.", {
    extensions: { ...applicationErrorCodes.SUBSCRIPTION_INTERRUPTED },
  });
}

// PgSubscriber queues its LISTEN / UNLISTEN work on one promise chain; a step
// queued right after subscribe() runs once that topic's LISTEN is done. The
// method is private in its types, hence this narrow view (checked at start).
interface Chained {
  chain(callback: () => void): void;
}

/** A stream handed out, until it ends; the interruption it belongs to. */
interface LiveStream {
  generation: number;
  interrupt(): void;
}

export class Listener implements GrafastSubscriber<Record<string, string>> {
  private readonly pool: pg.Pool;
  private readonly subscriber: PgSubscriber;
  private readonly live = new Set<LiveStream>();
  /** How many times the connection was lost: each stream belongs to one such era. */
  private interruptions = 0;

  constructor(connectionString: string) {
    // A pool of one: PgSubscriber checks out a single client and keeps it.
    this.pool = new pg.Pool({ connectionString, max: 1, application_name: LISTENER_APPLICATION_NAME });
    this.pool.on("error", (error) => log.warn("listen connection error", { error: error.message }));
    this.subscriber = new PgSubscriber(this.pool);
    if (typeof (this.subscriber as unknown as Partial<Chained>).chain !== "function") {
      throw new Error("PgSubscriber no longer has chain(): lib/realtime/listener.ts needs updating");
    }
  }

  async subscribe(topic: string): Promise<AsyncIterableIterator<string>> {
    const stream = this.subscriber.subscribe(topic);
    let timer: NodeJS.Timeout | undefined;
    const listening = new Promise<boolean>((resolve) => {
      (this.subscriber as unknown as Chained).chain(() => resolve(true));
      timer = setTimeout(() => resolve(false), LISTEN_TIMEOUT_MS);
    });
    const ok = await listening;
    clearTimeout(timer);
    if (!ok) {
      await stream.return?.();
      throw subscriptionInterrupted();
    }
    return this.watch(stream);
  }

  /** Ends every stream (their subscriptions complete), then closes the connection. */
  async release(): Promise<void> {
    this.subscriber.release();
    await this.pool.end();
  }

  /**
   * The stream as it is, except that a failure (the connection was lost) is
   * the coded error, and ends every other stream of the lost connection too:
   * PgSubscriber ends them all, but skips some when several subscriptions share
   * a topic (it removes each from the list it is walking), and one left
   * behind would go on silently, having missed notifications.
   */
  private watch(stream: AsyncIterableIterator<string>): AsyncIterableIterator<string> {
    let closing = false;
    const entry: LiveStream = {
      generation: this.interruptions,
      interrupt: () => void stream.throw?.(subscriptionInterrupted()).catch(() => {}),
    };
    this.live.add(entry);
    const done = () => {
      closing = true;
      this.live.delete(entry);
    };
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      next: async () => {
        try {
          const result = await stream.next();
          if (result.done) done();
          return result;
        } catch {
          this.live.delete(entry);
          if (!closing) this.lost(entry.generation);
          throw subscriptionInterrupted();
        }
      },
      return: (value?: unknown) => {
        done();
        return stream.return?.(value) ?? Promise.resolve({ done: true, value: undefined });
      },
      throw: (error?: unknown) => {
        done();
        return stream.throw?.(error) ?? Promise.reject(error as Error);
      },
    };
  }

  private lost(generation: number): void {
    if (generation !== this.interruptions) return; // already handled
    this.interruptions += 1;
    const streams = [...this.live].filter((stream) => stream.generation === generation);
    log.warn("LISTEN connection lost: subscriptions interrupted", { subscriptions: streams.length + 1 });
    for (const stream of streams) {
      this.live.delete(stream);
      stream.interrupt();
    }
  }
}
