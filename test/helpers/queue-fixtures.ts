// Fixtures for the queue engine's tests: a merchant (real register path) with
// a business and its queue, set up as root, and small helpers to call the
// queue functions as the role a request would have.
import type pg from "pg";
import { createMerchant, type TestMerchant } from "./auth.ts";
import { asAnonymous, asMerchant, type TestDatabase } from "./db.ts";

export interface QueueFixture {
  merchant: TestMerchant;
  userId: string;
  businessId: string;
  queueId: string;
  qrToken: string;
}

export interface QueueOptions {
  merchant?: TestMerchant;
  name?: string;
  language?: "fr" | "en";
  country?: "FR" | "SN";
  businessType?: string;
  maxQueueSize?: number;
  clientTimeoutMinutes?: number;
  autoAdvance?: boolean;
  averageServiceTime?: number;
  /** Open the queue (default true). */
  open?: boolean;
}

export async function createQueue(db: TestDatabase, options: QueueOptions = {}): Promise<QueueFixture> {
  const merchant = options.merchant ?? (await createMerchant(db, { plan: "enterprise" }));
  const business = await db.root.query<{ id: string }>(
    `insert into app_public.businesses (user_id, name, business_type, country, language)
     values ($1, $2, $3, $4, $5) returning id`,
    [
      merchant.userId,
      options.name ?? "Boulangerie Martin",
      options.businessType ?? "bakery",
      options.country ?? "FR",
      options.language ?? "fr",
    ],
  );
  const businessId = business.rows[0]!.id;
  // Each business is born with a queue (identity's trigger); settle its settings.
  const queue = await db.root.query<{ id: string; qr_code_token: string }>(
    `update app_public.queues set
       max_queue_size = coalesce($2, max_queue_size),
       client_timeout_minutes = coalesce($3, client_timeout_minutes),
       auto_advance_enabled = coalesce($4, auto_advance_enabled),
       average_service_time = coalesce($5, average_service_time),
       is_queue_active = $6
     where business_id = $1 returning id, qr_code_token`,
    [
      businessId,
      options.maxQueueSize ?? null,
      options.clientTimeoutMinutes ?? null,
      options.autoAdvance ?? null,
      options.averageServiceTime ?? null,
      options.open ?? true,
    ],
  );
  const row = queue.rows[0]!;
  return { merchant, userId: merchant.userId, businessId, queueId: row.id, qrToken: row.qr_code_token };
}

/** French mobile numbers 06 00 00 00 00 + n, in E.164. */
export const phone = (n: number) => `+336${String(n).padStart(8, "0")}`;

export interface CustomerEntry {
  entry_token: string;
  status: string;
  ticket_number: number;
  position: number | null;
  people_ahead: number | null;
  estimated_wait_minutes: number | null;
  client_name: string | null;
  business_name: string;
  queue_name: string;
  language: string;
  custom_message: string | null;
  joined_at: Date;
  called_at: Date | null;
  call_expires_at: Date | null;
}

export interface EntryRow {
  id: string;
  queue_id: string;
  phone: string;
  status: string;
  ticket_number: number;
  called_at: Date | null;
  served_at: Date | null;
  actual_service_time: number | null;
  quoted_wait_minutes: number;
  position_at_join: number;
}

/** join_queue as an anonymous customer, committed. */
export async function join(db: TestDatabase, qrToken: string, phoneNumber: string, name?: string): Promise<CustomerEntry> {
  const rows = await asCustomer<CustomerEntry>(db, "select * from app_public.join_queue($1, $2, $3)", [
    qrToken,
    phoneNumber,
    name ?? null,
  ]);
  return rows[0]!;
}

/** A committed call as a request role: each runs in its own transaction, like a request. */
export async function asCustomer<T extends pg.QueryResultRow>(
  db: TestDatabase,
  sql: string,
  values: unknown[] = [],
): Promise<T[]> {
  return inTransaction(db, "waitify_anonymous", null, sql, values);
}

export async function asOwner<T extends pg.QueryResultRow>(
  db: TestDatabase,
  userId: string,
  sql: string,
  values: unknown[] = [],
): Promise<T[]> {
  return inTransaction(db, "waitify_merchant", userId, sql, values);
}

async function inTransaction<T extends pg.QueryResultRow>(
  db: TestDatabase,
  role: string,
  userId: string | null,
  sql: string,
  values: unknown[],
): Promise<T[]> {
  const client = await db.root.connect();
  try {
    await client.query("begin");
    await client.query(`set local role ${role}`);
    if (userId) await client.query("select set_config('jwt.claims.user_id', $1, true)", [userId]);
    const { rows } = await client.query<T>(sql, values);
    await client.query("commit");
    return rows;
  } catch (error) {
    await client.query("rollback");
    throw error;
  } finally {
    client.release();
  }
}

/** The SQLSTATE and message a promise rejected with. */
export async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    const { code, message } = error as { code: string; message: string };
    return { code, message };
  }
  throw new Error("expected a failure");
}

export { asAnonymous, asMerchant };
