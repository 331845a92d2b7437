// Fixtures for the SMS tests: a merchant's business and queue, and queue
// entries/events written the way the queue engine writes them (one
// queue_events row per change, in the change's transaction). Trigger-level
// tests use these to exercise the SMS contract without the queue API; the
// flow tests go through the real queue functions.
import { randomInt } from "node:crypto";
import type pg from "pg";
import { createMerchant, type TestMerchant } from "./auth.ts";
import type { TestDatabase } from "./db.ts";

export interface SmsBusiness {
  merchant: TestMerchant;
  businessId: string;
  queueId: string;
  name: string;
}

export async function createSmsBusiness(
  db: TestDatabase,
  options: {
    merchant?: TestMerchant;
    name?: string;
    language?: "fr" | "en";
    smsEnabled?: boolean;
    customMessage?: string | null;
    /** Open the queue (default true). */
    open?: boolean;
  } = {},
): Promise<SmsBusiness> {
  const merchant = options.merchant ?? (await createMerchant(db, { plan: "pro" }));
  const name = options.name ?? "Boulangerie Paul";
  const { rows } = await db.root.query<{ id: string }>(
    `insert into app_public.businesses (user_id, name, business_type, language, sms_notifications_enabled, custom_message)
     values ($1, $2, 'bakery', $3, $4, $5) returning id`,
    [merchant.userId, name, options.language ?? "fr", options.smsEnabled ?? true, options.customMessage ?? null],
  );
  const businessId = rows[0]!.id;
  // The business is born with its queue (identity trigger).
  const queue = await db.root.query<{ id: string }>(
    "update app_public.queues set is_queue_active = $2 where business_id = $1 returning id",
    [businessId, options.open ?? true],
  );
  return { merchant, businessId, queueId: queue.rows[0]!.id, name };
}

export const randomPhone = () => `+336${String(randomInt(0, 100_000_000)).padStart(8, "0")}`;

export interface TestEntry {
  id: string;
  phone: string;
  entryToken: string;
}

type Queryable = Pick<pg.PoolClient, "query">;

async function waitingCount(client: Queryable, queueId: string): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    "select count(*)::int as n from app_public.queue_entries where queue_id = $1 and status = 'waiting'",
    [queueId],
  );
  return rows[0]!.n;
}

async function event(client: Queryable, business: SmsBusiness, entryId: string | null, type: string): Promise<void> {
  await client.query(
    `insert into app_public.queue_events (queue_id, business_id, user_id, entry_id, event_type, actor, actor_user_id, waiting_count)
     values ($1, $2, $3, $4, $5, 'merchant', $3, $6)`,
    [business.queueId, business.businessId, business.merchant.userId, entryId, type, await waitingCount(client, business.queueId)],
  );
}

/** A customer joins: entry + entry_joined, with position and estimate as quoted. */
export async function joinDirect(
  client: Queryable,
  business: SmsBusiness,
  options: { phone?: string; waitMinutesPerPerson?: number } = {},
): Promise<TestEntry> {
  const phone = options.phone ?? randomPhone();
  const ahead = await waitingCount(client, business.queueId);
  const { rows } = await client.query<{ id: string; entry_token: string }>(
    `insert into app_public.queue_entries (queue_id, business_id, user_id, phone, ticket_day, ticket_number,
       quoted_wait_minutes, position_at_join)
     values ($1, $2, $3, $4, current_date,
       (select coalesce(max(ticket_number), 0) + 1 from app_public.queue_entries where queue_id = $1), $5, $6)
     returning id, entry_token`,
    [business.queueId, business.businessId, business.merchant.userId, phone, ahead * (options.waitMinutesPerPerson ?? 2), ahead + 1],
  );
  await event(client, business, rows[0]!.id, "entry_joined");
  return { id: rows[0]!.id, phone, entryToken: rows[0]!.entry_token };
}

const transitions = {
  entry_called: "status = 'called', called_at = now()",
  entry_served: "status = 'served', served_at = now()",
  entry_missed: "status = 'missed', missed_at = now()",
  entry_cancelled: "status = 'cancelled', cancelled_at = now()",
} as const;

/** One state change of an entry and its event, as the queue engine writes them. */
export async function changeDirect(
  client: Queryable,
  business: SmsBusiness,
  entryId: string,
  type: keyof typeof transitions,
): Promise<void> {
  await client.query(`update app_public.queue_entries set ${transitions[type]} where id = $1`, [entryId]);
  await event(client, business, entryId, type);
}

/** Runs fn in a committed transaction as the superuser. */
export async function committed<T>(db: TestDatabase, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.root.connect();
  try {
    await client.query("begin");
    const result = await fn(client);
    await client.query("commit");
    return result;
  } catch (error) {
    await client.query("rollback").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

export interface SmsLogRow {
  id: string;
  queue_entry_id: string | null;
  phone: string;
  message_type: string;
  message_content: string;
  status: string;
  provider_message_id: string | null;
  parts: number | null;
  cost_cents: number;
  attempts: number;
  error_code: number | null;
  provider_response: Record<string, unknown> | null;
}

export async function smsLogs(db: TestDatabase, where = "true", values: unknown[] = []): Promise<SmsLogRow[]> {
  const { rows } = await db.root.query<SmsLogRow>(
    `select * from app_public.sms_logs where ${where} order by created_at, message_type`,
    values,
  );
  return rows;
}
