// lib/realtime/latest.ts: the feed of a subscription that re-reads its whole
// state per message drops what cannot change it and collapses what piles up
// while the consumer is busy into the last; the end and errors of the source
// go through.
import { describe, expect, it } from "vitest";
import { latestOnly } from "../../../lib/realtime/latest.ts";

/** A source the test pushes into, as PgSubscriber's streams behave. */
function source() {
  const queue: string[] = [];
  const waiting: Array<{ resolve: (result: IteratorResult<string>) => void; reject: (error: unknown) => void }> = [];
  let finished: { error?: unknown } | undefined;
  let returned = false;
  const stream: AsyncIterableIterator<string> = {
    [Symbol.asyncIterator]() {
      return this;
    },
    next() {
      const value = queue.shift();
      if (value !== undefined) return Promise.resolve({ done: false, value });
      if (finished) return finished.error ? Promise.reject(finished.error) : Promise.resolve({ done: true, value: undefined });
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    async return() {
      returned = true;
      finished = {};
      for (const waiter of waiting.splice(0)) waiter.resolve({ done: true, value: undefined });
      return { done: true, value: undefined };
    },
  };
  return {
    stream,
    push(value: string) {
      const waiter = waiting.shift();
      if (waiter) waiter.resolve({ done: false, value });
      else queue.push(value);
    },
    fail(error: Error) {
      finished = { error };
      for (const waiter of waiting.splice(0)) waiter.reject(error);
    },
    returned: () => returned,
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const relevant = (payload: string) => !payload.startsWith("skip");

describe("latestOnly", () => {
  it("passes each message to a waiting consumer, in order", async () => {
    const s = source();
    const feed = latestOnly(s.stream, relevant);
    const first = feed.next();
    s.push("a");
    expect(await first).toEqual({ done: false, value: "a" });
    const second = feed.next();
    s.push("b");
    expect(await second).toEqual({ done: false, value: "b" });
  });

  it("drops what cannot change the state, and collapses what arrives while the consumer is busy into the last", async () => {
    const s = source();
    const feed = latestOnly(s.stream, relevant);
    s.push("skip-1");
    s.push("a");
    s.push("b");
    s.push("skip-2");
    s.push("c");
    await tick();
    expect(await feed.next()).toEqual({ done: false, value: "c" });
    // Nothing else is pending: the next message is the next one pushed.
    const next = feed.next();
    s.push("skip-3");
    s.push("d");
    expect(await next).toEqual({ done: false, value: "d" });
  });

  it("ends when the source ends (after the message still pending), and passes an error on", async () => {
    const s = source();
    const feed = latestOnly(s.stream, relevant);
    s.push("a");
    await s.stream.return!();
    await tick();
    expect(await feed.next()).toEqual({ done: false, value: "a" });
    expect(await feed.next()).toEqual({ done: true, value: undefined });

    const failing = source();
    const failingFeed = latestOnly(failing.stream, relevant);
    const pending = failingFeed.next();
    failing.fail(new Error("interrupted"));
    await expect(pending).rejects.toThrow("interrupted");
  });

  it("return() ends the feed and the source", async () => {
    const s = source();
    const feed = latestOnly(s.stream, relevant);
    const pending = feed.next();
    await feed.return!();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(s.returned()).toBe(true);
    expect(await feed.next()).toEqual({ done: true, value: undefined });
  });
});
