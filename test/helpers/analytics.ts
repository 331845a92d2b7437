// Hand-built days for the analytics tests: visits written with the times
// given (as the queue engine would have written them, position at join
// included), SMS log rows, and an independent reference computation of a
// day's figures — a sweep over the visits in time order, in plain
// TypeScript, that shares nothing with the SQL pass but the definitions
// (db/analytics/daily.sql).
import type { Queryable } from "./db.ts";

/** One customer's visit, times as ISO instants (whole seconds). */
export interface Visit {
  queueId: string;
  joined: string;
  called?: string;
  served?: string;
  missed?: string;
  cancelled?: string;
  /** The wait quoted at join, minutes. */
  quoted?: number;
  /** null: no phone number (a walk-in, or a number already erased). */
  phone?: string | null;
  name?: string | null;
  /** Added at the counter (is_walk_in: no phone, a name). */
  walkIn?: boolean;
}

export interface SmsRow {
  status: "pending" | "sent" | "delivered" | "failed";
  sentAt?: string;
  parts?: number;
}

const seconds = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso) / 1000);

/** When the customer stopped waiting (called, or cancelled while waiting); undefined: still waiting. */
const waitEnd = (visit: Visit) => seconds(visit.called ?? visit.cancelled);

function statusOf(visit: Visit): string {
  if (visit.served) return "served";
  if (visit.missed) return "missed";
  if (visit.cancelled) return "cancelled";
  if (visit.called) return "called";
  return "waiting";
}

let phoneCounter = 0;

/**
 * Inserts the visits of one business (as the superuser, in `client`'s
 * transaction) with their position at join — the queue's waiting customers
 * at that instant, the newcomer included, as join_queue records it.
 * Returns the entry ids in the order given.
 */
export async function insertVisits(
  client: Queryable,
  business: { businessId: string; userId: string },
  visits: Visit[],
): Promise<string[]> {
  const ids: string[] = [];
  const tickets = new Map<string, number>();
  for (const visit of visits) {
    const joined = seconds(visit.joined)!;
    const waitingAhead = visits.filter((other) => {
      if (other === visit || other.queueId !== visit.queueId) return false;
      const otherJoined = seconds(other.joined)!;
      const otherEnd = waitEnd(other);
      return otherJoined < joined && (otherEnd === undefined || otherEnd > joined);
    }).length;
    const ticket = (tickets.get(visit.queueId) ?? 0) + 1;
    tickets.set(visit.queueId, ticket);
    phoneCounter += 1;
    const phone = visit.phone === undefined ? `+3361${String(phoneCounter).padStart(7, "0")}` : visit.phone;
    const { rows } = await client.query<{ id: string }>(
      `insert into app_public.queue_entries (queue_id, business_id, user_id, phone, client_name, status, ticket_day, ticket_number,
         quoted_wait_minutes, position_at_join, joined_at, called_at, served_at, missed_at, cancelled_at, actual_service_time,
         is_walk_in)
       values ($1, $2, $3, $4, $5, $6, $7::timestamptz::date, $8, $9, $10, $7, $11, $12, $13, $14,
               round(extract(epoch from $12::timestamptz - $11::timestamptz))::int, $15)
       returning id`,
      [
        visit.queueId,
        business.businessId,
        business.userId,
        phone,
        visit.name ?? null,
        statusOf(visit),
        visit.joined,
        ticket,
        visit.quoted ?? 0,
        waitingAhead + 1,
        visit.called ?? null,
        visit.served ?? null,
        visit.missed ?? null,
        visit.cancelled ?? null,
        visit.walkIn ?? false,
      ],
    );
    ids.push(rows[0]!.id);
  }
  return ids;
}

/** SMS log rows of a business (and optionally of an entry), written as the worker leaves them. */
export async function insertSms(
  client: Queryable,
  business: { businessId: string; userId: string },
  rows: SmsRow[],
  options: { entryId?: string; phone?: string } = {},
): Promise<void> {
  const types = ["confirmation", "reminder", "your_turn", "missed", "cancelled"];
  let index = 0;
  for (const row of rows) {
    const sent = row.status === "sent" || row.status === "delivered";
    await client.query(
      `insert into app_public.sms_logs (business_id, user_id, queue_entry_id, phone, message_type, message_content, status,
         provider_message_id, parts, sent_at, delivered_at, error_code, created_at)
       values ($1, $2, $3, $4, $5, 'Votre place est confirmée', $6, $7, $8, $9, $10, $11, coalesce($9, now()))`,
      [
        business.businessId,
        business.userId,
        options.entryId ?? null,
        options.phone ?? "+33612345678",
        options.entryId ? types[index++ % types.length] : "confirmation",
        row.status,
        sent ? `msg-${Math.random().toString(36).slice(2)}` : null,
        sent ? (row.parts ?? 1) : null,
        row.sentAt ?? null,
        row.status === "delivered" ? row.sentAt : null,
        row.status === "failed" ? 5001 : null,
      ],
    );
  }
}

// ------------------------------------------------------------ local days

/** Minutes east of UTC of `zone` at `instant` (ms). */
function offsetMinutes(zone: string, instant: number): number {
  const name = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" })
    .formatToParts(new Date(instant))
    .find((part) => part.type === "timeZoneName")!.value;
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  if (!match) return 0;
  return (match[1] === "-" ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3]));
}

/** The UTC instant (seconds) of local midnight starting `date` (YYYY-MM-DD) in `zone`. */
export function localMidnight(date: string, zone: string): number {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const naive = Date.UTC(y, m - 1, d);
  let guess = naive - offsetMinutes(zone, naive) * 60_000;
  guess = naive - offsetMinutes(zone, guess) * 60_000;
  return guess / 1000;
}

export function nextDate(date: string): string {
  const next = new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000);
  return next.toISOString().slice(0, 10);
}

/** Local wall-clock "HH:MM:SS" of an instant (seconds). */
export function localTime(instant: number, zone: string): string {
  return new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" })
    .format(new Date(instant * 1000));
}

const localHour = (instant: number, zone: string) => Number(localTime(instant, zone).slice(0, 2));

/** num / den rounded half up to `decimals` places, exactly (integers in). */
export function roundHalfUp(num: number, den: number, decimals = 2): number {
  const scale = 10 ** decimals;
  return Math.floor((2 * num * scale + den) / (2 * den)) / scale;
}

// --------------------------------------------------------- the reference

export interface DayFigures {
  clients_registered: number;
  clients_served: number;
  clients_missed: number;
  clients_cancelled: number;
  average_wait_minutes: number | null;
  average_service_seconds: number | null;
  peak_hour: number | null;
  peak_queue_size: number;
  abandonment_rate: number | null;
  sms_messages: number;
  sms_parts: number;
  revenue_potential_lost_cents: number;
  busiest_window_start: string | null;
  busiest_window_end: string | null;
  busiest_window_joins: number;
  estimate_sample: number;
  estimate_error_minutes: number | null;
  estimate_within_25_percent: number | null;
}

/**
 * The figures of one business's local day `date` in `zone`, from its visits
 * and SMS rows, by the definitions of db/analytics/daily.sql — computed by
 * replaying every visit: the queue lengths by a sweep over joins and calls
 * in time order (not from the recorded positions).
 */
export function expectedDay(
  date: string,
  zone: string,
  visits: Visit[],
  sms: SmsRow[],
  ticketCents: number,
): DayFigures {
  const start = localMidnight(date, zone);
  const end = localMidnight(nextDate(date), zone);
  const inDay = (t: number | undefined) => t !== undefined && t >= start && t < end;
  const at = (visit: Visit, key: "joined" | "called" | "served" | "missed" | "cancelled") => seconds(visit[key]);

  const registered = visits.filter((v) => inDay(at(v, "joined")));
  const served = visits.filter((v) => inDay(at(v, "served")));
  const missed = visits.filter((v) => inDay(at(v, "missed"))).length;
  const cancelled = visits.filter((v) => inDay(at(v, "cancelled"))).length;
  const called = visits.filter((v) => inDay(at(v, "called")));
  const waits = called.map((v) => at(v, "called")! - at(v, "joined")!);
  const services = served.map((v) => at(v, "served")! - at(v, "called")!);
  const errors = called.map((v, i) => Math.abs(waits[i]! - 60 * (v.quoted ?? 0)));
  const within = called.filter((v, i) => errors[i]! <= Math.max(15 * (v.quoted ?? 0), 60)).length;

  // Queue lengths: replay each queue's waiting customers through the day.
  let peak = 0;
  let peakAt: number | null = null;
  for (const queueId of new Set(visits.map((v) => v.queueId))) {
    const changes = new Map<number, number>();
    const add = (t: number, delta: number) => changes.set(t, (changes.get(t) ?? 0) + delta);
    for (const visit of visits.filter((v) => v.queueId === queueId)) {
      const joined = at(visit, "joined")!;
      const ended = waitEnd(visit);
      if (joined >= end) continue;
      if (joined < start && ended !== undefined && ended <= start) continue;
      add(Math.max(joined, start), 1);
      if (ended !== undefined && ended < end) add(ended, -1);
    }
    let waiting = 0;
    for (const t of [...changes.keys()].sort((a, b) => a - b)) {
      waiting += changes.get(t)!;
      if (waiting > peak || (waiting === peak && waiting > 0 && peakAt !== null && t < peakAt)) {
        peak = waiting;
        peakAt = t;
      }
    }
  }

  // Joins per hour since local midnight; the busiest, the earliest on a tie.
  const hours = new Map<number, number>();
  for (const visit of registered) {
    const hour = Math.floor((at(visit, "joined")! - start) / 3600);
    hours.set(hour, (hours.get(hour) ?? 0) + 1);
  }
  let best: { hour: number; joins: number } | null = null;
  for (const hour of [...hours.keys()].sort((a, b) => a - b)) {
    if (!best || hours.get(hour)! > best.joins) best = { hour, joins: hours.get(hour)! };
  }

  const sent = sms.filter((row) => (row.status === "sent" || row.status === "delivered") && inDay(seconds(row.sentAt)));
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  return {
    clients_registered: registered.length,
    clients_served: served.length,
    clients_missed: missed,
    clients_cancelled: cancelled,
    average_wait_minutes: called.length ? roundHalfUp(sum(waits), 60 * called.length) : null,
    average_service_seconds: served.length ? roundHalfUp(sum(services), served.length, 0) : null,
    peak_hour: peak > 0 ? localHour(peakAt!, zone) : null,
    peak_queue_size: peak,
    abandonment_rate: registered.length ? roundHalfUp(100 * (missed + cancelled), registered.length) : null,
    sms_messages: sent.length,
    sms_parts: sum(sent.map((row) => row.parts ?? 1)),
    revenue_potential_lost_cents: (missed + cancelled) * ticketCents,
    busiest_window_start: best ? localTime(start + best.hour * 3600, zone) : null,
    busiest_window_end: best ? localTime(start + best.hour * 3600 + 3600, zone) : null,
    busiest_window_joins: best?.joins ?? 0,
    estimate_sample: called.length,
    estimate_error_minutes: called.length ? roundHalfUp(sum(errors), 60 * called.length) : null,
    estimate_within_25_percent: called.length ? roundHalfUp(100 * within, called.length) : null,
  };
}

/** The columns of DayFigures, in order, for a select list. */
export const figureColumns = [
  "clients_registered",
  "clients_served",
  "clients_missed",
  "clients_cancelled",
  "average_wait_minutes",
  "average_service_seconds",
  "peak_hour",
  "peak_queue_size",
  "abandonment_rate",
  "sms_messages",
  "sms_parts",
  "revenue_potential_lost_cents",
  "busiest_window_start",
  "busiest_window_end",
  "busiest_window_joins",
  "estimate_sample",
  "estimate_error_minutes",
  "estimate_within_25_percent",
] as const;
