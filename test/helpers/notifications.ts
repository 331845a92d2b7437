// A LISTEN connection for the realtime SQL tests: it records every
// notification on the channels it listens to, in arrival order.
//
// Absence is shown without sleeping: `marker()` NOTIFYs a unique payload from
// another connection and waits for it. PostgreSQL delivers notifications in
// commit order, so whatever was committed before the marker has arrived by
// then, and whatever has not arrived was not committed.
import { randomUUID } from "node:crypto";
import pg from "pg";
import type { TestDatabase } from "./db.ts";

export interface Notification {
  channel: string;
  payload: unknown;
}

export interface Listener {
  /** Every notification received so far (markers excluded), oldest first. */
  received: Notification[];
  /** Waits until the notifications committed so far have all arrived; returns them and clears the list. */
  drain(): Promise<Notification[]>;
  close(): Promise<void>;
}

const MARKER_CHANNEL = "waitify_test_marker";

export async function listenTo(db: TestDatabase, channels: string[]): Promise<Listener> {
  const client = new pg.Client({ connectionString: db.ownerUrl });
  await client.connect();
  const received: Notification[] = [];
  const markers = new Map<string, () => void>();
  client.on("notification", (message) => {
    if (message.channel === MARKER_CHANNEL) {
      markers.get(message.payload ?? "")?.();
      return;
    }
    received.push({ channel: message.channel, payload: JSON.parse(message.payload ?? "null") });
  });
  for (const channel of [...channels, MARKER_CHANNEL]) await client.query(`listen ${client.escapeIdentifier(channel)}`);
  return {
    received,
    async drain() {
      const marker = randomUUID();
      const arrived = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("marker notification never arrived")), 5_000);
        markers.set(marker, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      await db.root.query("select pg_notify($1, $2)", [MARKER_CHANNEL, marker]);
      await arrived;
      markers.delete(marker);
      return received.splice(0, received.length);
    },
    async close() {
      await client.end();
    },
  };
}
