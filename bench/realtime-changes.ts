// The realtime benchmark's changes: in each queue, one change every
// 1/BENCH_RATE seconds (queues staggered): call the next customer, serve
// them, a newcomer joins, in turn — each one queue event, so one NOTIFY. A
// call or a service is one message to the merchant and one to each of the
// queue's subscribed customers (their positions or estimates move); a join
// is one message to the merchant only (entryChanged skips joins: they change
// nobody else's view). A change is made on the owner's connection as the API's SQL
// would make it; its time is taken when COMMIT has returned. Each message is
// matched to the change under way in its queue (a queue's next change waits
// for the messages of the previous one, or gives up on them after a timeout).
import type pg from "pg";
import type { Message } from "./realtime-clients.ts";
import type { BenchQueue } from "./realtime-env.ts";

export type Operation = "call" | "serve" | "join";

export interface Arrival {
  kind: "customer" | "merchant";
  /** The customer this change is about (the one called). */
  concerned: boolean;
  delayMs: number;
}

export interface ChangeRecord {
  queue: number;
  operation: Operation;
  expected: number;
  arrivals: Arrival[];
  /** Start of the change → COMMIT returned, ms (the change itself, not part of the delay). */
  commitMs: number;
  /** It started after its slot because the previous change was still waiting for messages. */
  late: boolean;
}

interface Pending {
  expected: number;
  concernedToken?: string;
  received: Message[];
  done: () => void;
}

interface QueueState {
  queue: BenchQueue;
  step: number;
  called: number;
  lastCalledId?: string;
  joined: number;
  pending?: Pending;
}

export interface ChangeRunner {
  onMessage(message: Message): void;
  /** Messages that arrived when their queue had no change under way. */
  strays(): number;
  run(options: { seconds: number; ratePerQueue: number; record: boolean }): Promise<ChangeRecord[]>;
}

const ARRIVAL_TIMEOUT_MS = 10_000;

const OPERATIONS: Operation[] = ["call", "serve", "join"];

export function changeRunner(owner: pg.Pool, queues: BenchQueue[], customersPerQueue: number): ChangeRunner {
  const states: QueueState[] = queues.map((queue) => ({ queue, step: 0, called: 0, joined: 0 }));
  let strays = 0;

  async function change(state: QueueState): Promise<{ operation: Operation; committedAt: number; concernedToken?: string }> {
    const { queue } = state;
    const operation = OPERATIONS[state.step++ % OPERATIONS.length]!;
    if (operation === "join") {
      state.joined += 1;
      const phone = `+3362${String(queue.index).padStart(3, "0")}${String(state.joined).padStart(4, "0")}`;
      await owner.query("select app_public.join_queue($1, $2)", [queue.qrToken, phone]);
      return { operation, committedAt: performance.now() };
    }
    const client = await owner.connect();
    try {
      await client.query("begin");
      await client.query("select set_config('jwt.claims.user_id', $1, true)", [queue.userId]);
      let concernedToken: string | undefined;
      if (operation === "call") {
        const { rows } = await client.query<{ id: string }>("select id from app_public.call_next($1)", [queue.queueId]);
        state.lastCalledId = rows[0]?.id;
        concernedToken = queue.entryTokens[state.called++];
      } else {
        await client.query("select app_public.mark_served($1)", [state.lastCalledId]);
      }
      await client.query("commit");
      return { operation, committedAt: performance.now(), concernedToken };
    } finally {
      client.release();
    }
  }

  return {
    onMessage(message) {
      const pending = states[message.subscriber.queue]!.pending;
      if (!pending) {
        strays += 1;
        return;
      }
      pending.received.push(message);
      if (pending.received.length === pending.expected) pending.done();
    },
    strays: () => strays,
    async run({ seconds, ratePerQueue, record }) {
      const records: ChangeRecord[] = [];
      const interval = 1000 / ratePerQueue;
      const start = performance.now() + 100;
      const end = start + seconds * 1000;
      await Promise.all(
        states.map(async (state, index) => {
          const offset = (index * interval) / states.length;
          for (let k = 0; ; k++) {
            const slot = start + offset + k * interval;
            if (slot >= end) break;
            const wait = slot - performance.now();
            if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
            const late = wait < -5;
            let done!: () => void;
            const arrived = new Promise<void>((resolve) => (done = resolve));
            const operation = OPERATIONS[state.step % OPERATIONS.length]!;
            const pending: Pending = { expected: operation === "join" ? 1 : customersPerQueue + 1, received: [], done };
            state.pending = pending;
            const began = performance.now();
            const made = await change(state);
            pending.concernedToken = made.concernedToken;
            let timer: NodeJS.Timeout | undefined;
            await Promise.race([arrived, new Promise<void>((resolve) => (timer = setTimeout(resolve, ARRIVAL_TIMEOUT_MS)))]);
            clearTimeout(timer);
            state.pending = undefined;
            if (!record) continue;
            records.push({
              queue: state.queue.index,
              operation: made.operation,
              expected: pending.expected,
              late,
              commitMs: made.committedAt - began,
              arrivals: pending.received.map((message) => ({
                kind: message.subscriber.kind,
                concerned:
                  message.subscriber.kind === "customer" &&
                  message.subscriber.entryToken === made.concernedToken &&
                  message.data.entryChanged?.status === "called",
                // A message may be handled before the COMMIT's answer is: 0, not negative.
                delayMs: Math.max(0, message.at - made.committedAt),
              })),
            });
          }
        }),
      );
      return records;
    },
  };
}
