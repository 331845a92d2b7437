// A feed for a subscription that re-reads its whole state on every message
// (entryChanged): what cannot change that state is dropped, and notifications
// that pile up while the previous one is being handled collapse into the last
// one. The subscriber still hears after the last change of a burst; it is
// spared the intermediate re-reads (closing a queue of 50 is 51 notifications:
// 2 re-reads per waiting customer instead of 51).
import type { GrafastSubscriber } from "postgraphile/grafast";

type Stream = AsyncIterableIterator<string>;

export function latestOnly(source: Stream, relevant: (payload: string) => boolean): Stream {
  let pending: { value: string } | undefined;
  let ended: { error?: unknown } | undefined;
  let waiter: { resolve: (result: IteratorResult<string>) => void; reject: (error: unknown) => void } | undefined;

  const settle = () => {
    if (!waiter) return;
    const { resolve, reject } = waiter;
    if (pending) {
      waiter = undefined;
      const { value } = pending;
      pending = undefined;
      resolve({ done: false, value });
    } else if (ended) {
      waiter = undefined;
      if (ended.error !== undefined) reject(ended.error);
      else resolve({ done: true, value: undefined });
    }
  };

  // Pulls eagerly, so that what arrives while the consumer is busy replaces
  // what it has not taken yet.
  void (async () => {
    try {
      for (;;) {
        const result = await source.next();
        if (result.done) break;
        if (!relevant(result.value)) continue;
        pending = { value: result.value };
        settle();
      }
      ended ??= {};
    } catch (error) {
      ended ??= { error };
    }
    settle();
  })();

  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next() {
      if (pending || ended) {
        return new Promise<IteratorResult<string>>((resolve, reject) => {
          waiter = { resolve, reject };
          settle();
        });
      }
      return new Promise((resolve, reject) => (waiter = { resolve, reject }));
    },
    async return(value?: unknown) {
      ended ??= {};
      pending = undefined;
      settle();
      await source.return?.(value);
      return { done: true, value: undefined };
    },
    async throw(error?: unknown) {
      ended ??= { error };
      pending = undefined;
      settle();
      if (source.throw) return source.throw(error);
      throw error;
    },
  };
}

/** The same subscriber, its streams passed through latestOnly(relevant). */
export function latestOnlySubscriber(
  subscriber: GrafastSubscriber<Record<string, string>>,
  relevant: (payload: string) => boolean,
): GrafastSubscriber<Record<string, string>> {
  return {
    subscribe: async (topic) => latestOnly(await subscriber.subscribe(topic), relevant),
  };
}
