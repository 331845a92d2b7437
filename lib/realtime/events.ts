// What a subscription's stream carries: the NOTIFY payloads of
// db/realtime/notify.sql (JSON text, ids only), and the one the server adds.
import { jsonParse, type JSONValue } from "postgraphile/@dataplan/json";
import { constant, type Step } from "postgraphile/grafast";

/** A queue channel's payload. */
export type QueueNotification = {
  /** A queue_events.event_type, "queue_updated", or SUBSCRIBED. */
  event: string;
  entryId: string | null;
};

/** An account channel's payload. */
export type AccountNotification = {
  id: number;
};

/**
 * The first message of entryChanged and queueChanged, sent once the LISTEN is
 * in place: the current state, so a page that renders it has missed nothing
 * that commits afterwards.
 */
export const SUBSCRIBED = "subscribed";

export const subscribedEvent = (): Step<string> =>
  constant(JSON.stringify({ event: SUBSCRIBED, entryId: null } satisfies QueueNotification));

/** A payload (JSON text) as an object step. */
export const parsePayload = <T extends JSONValue>($payload: Step<string>) => jsonParse<T>($payload);
