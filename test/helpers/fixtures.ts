// What tests build in the database, set up as the superuser unless said
// otherwise: a merchant (through the real register path), a merchant's
// business with the queue it is born with, phone numbers, customers joining,
// queue entries and events written the way the queue engine writes them
// (trigger-level SMS tests), the SMS log rows that result, and the email
// templates' vars and the email logs.
import { randomBytes, randomInt } from "node:crypto";
import { adminToken, bearer, merchantToken } from "./auth.ts";
import { customerQuery, merchantQuery, type Queryable, type TestDatabase } from "./db.ts";

// ---------------------------------------------------------------- merchants

export type PlanName = "basic" | "pro" | "enterprise";

export interface TestMerchant {
  userId: string;
  email: string;
  password: string;
  token: string;
  /** Pass to server().graphql(query, variables, headers). */
  headers: Record<string, string>;
}

export interface MerchantOptions {
  email?: string;
  password?: string;
  /** Moves the account from the trial's basic plan to this one (status active). */
  plan?: PlanName;
  firstName?: string;
  lastName?: string;
}

/**
 * A merchant account created through app_public.register (the real SQL path:
 * trial, basic plan, bcrypt), optionally moved to another plan, with a valid
 * Authorization header for the test server.
 */
export async function createMerchant(db: TestDatabase, options: MerchantOptions = {}): Promise<TestMerchant> {
  const email = options.email ?? `merchant-${randomBytes(6).toString("hex")}@example.test`;
  const password = options.password ?? "correct horse battery";
  const { rows } = await db.root.query<{ user_id: string }>(
    "select (app_public.register($1, $2, $3, $4)).user_id",
    [email, password, options.firstName ?? "Test", options.lastName ?? "Merchant"],
  );
  const userId = rows[0]!.user_id;
  if (options.plan && options.plan !== "basic") {
    await db.root.query(
      `update app_public.users set subscription_plan_id = (select id from app_public.subscription_plans where name = $2),
         subscription_status = 'active'
       where id = $1`,
      [userId, options.plan],
    );
  }
  const token = merchantToken(userId);
  return { userId, email, password, token, headers: bearer(token) };
}

// ----------------------------------------------------------- administrators

export interface TestAdmin {
  adminId: string;
  email: string;
  password: string;
  token: string;
  headers: Record<string, string>;
}

/** An administrator created as `npm run admin:create` does (app_private.create_admin), with its session header. */
export async function createAdmin(db: TestDatabase, options: { email?: string; password?: string } = {}): Promise<TestAdmin> {
  const email = options.email ?? `admin-${randomBytes(6).toString("hex")}@example.test`;
  const password = options.password ?? "correct horse battery staple";
  const { rows } = await db.root.query<{ admin_id: string }>("select admin_id from app_private.create_admin($1, $2)", [email, password]);
  const adminId = rows[0]!.admin_id;
  const token = adminToken(adminId);
  return { adminId, email, password, token, headers: bearer(token) };
}

// ------------------------------------------------ a business and its queue

export interface BusinessFixture {
  merchant: TestMerchant;
  /** The merchant's user id (merchant.userId). */
  userId: string;
  businessId: string;
  name: string;
  /** The queue the business was born with. */
  queueId: string;
  qrToken: string;
}

export interface BusinessOptions {
  /** The owner; by default a new merchant on `plan`. */
  merchant?: TestMerchant;
  /** The new merchant's plan when no merchant is given (default enterprise: no business limit). */
  plan?: PlanName;
  /** Business name (default "Boulangerie Paul"). */
  name?: string;
  /** Default bakery (120 s of service unless averageServiceTime says otherwise). */
  businessType?: string;
  language?: "fr" | "en";
  country?: "FR" | "SN";
  /** SMS to customers (default on). */
  smsEnabled?: boolean;
  customMessage?: string | null;
  /** Open the queue (default true). */
  open?: boolean;
  /** Pause the (open) queue. */
  paused?: boolean;
  queueName?: string;
  maxQueueSize?: number;
  clientTimeoutMinutes?: number;
  autoAdvance?: boolean;
  /** Seconds per customer. */
  averageServiceTime?: number;
}

/**
 * A merchant's business with its queue, set up as the superuser: the business
 * row is inserted, identity's trigger gives it its queue, and the queue's
 * settings are then set. Settings not given keep the database's defaults.
 */
export async function createBusiness(db: TestDatabase, options: BusinessOptions = {}): Promise<BusinessFixture> {
  const merchant = options.merchant ?? (await createMerchant(db, { plan: options.plan ?? "enterprise" }));
  const name = options.name ?? "Boulangerie Paul";
  const business = await db.root.query<{ id: string }>(
    `insert into app_public.businesses (user_id, name, business_type, country, language, sms_notifications_enabled, custom_message)
     values ($1, $2, $3, $4, $5, $6, $7) returning id`,
    [
      merchant.userId,
      name,
      options.businessType ?? "bakery",
      options.country ?? "FR",
      options.language ?? "fr",
      options.smsEnabled ?? true,
      options.customMessage ?? null,
    ],
  );
  const businessId = business.rows[0]!.id;
  // Each business is born with a queue (identity's trigger); settle its settings.
  const queue = await db.root.query<{ id: string; qr_code_token: string }>(
    `update app_public.queues set
       name = coalesce($2, name),
       max_queue_size = coalesce($3, max_queue_size),
       client_timeout_minutes = coalesce($4, client_timeout_minutes),
       auto_advance_enabled = coalesce($5, auto_advance_enabled),
       average_service_time = coalesce($6, average_service_time),
       is_queue_active = $7,
       is_queue_paused = $8
     where business_id = $1 returning id, qr_code_token`,
    [
      businessId,
      options.queueName ?? null,
      options.maxQueueSize ?? null,
      options.clientTimeoutMinutes ?? null,
      options.autoAdvance ?? null,
      options.averageServiceTime ?? null,
      options.open ?? true,
      options.paused ?? false,
    ],
  );
  const row = queue.rows[0]!;
  return { merchant, userId: merchant.userId, businessId, name, queueId: row.id, qrToken: row.qr_code_token };
}

// ------------------------------------------------------------------ phones

/** French mobile numbers 06 00 00 00 00 + n, in E.164. */
export const phone = (n: number) => `+336${String(n).padStart(8, "0")}`;

/** A French mobile number drawn at random, in E.164. */
export const randomPhone = () => phone(randomInt(0, 100_000_000));

/**
 * Lets one number hold places in any number of queues (system_configs
 * max_places_per_phone, 3 by default), for a file's database: files about
 * other rules reuse phone(1), phone(2)… across many queues. The rule itself
 * is tested in test/db/sms/cap.test.ts and test/api/sms-cap.test.ts.
 */
export async function allowManyPlacesPerPhone(db: TestDatabase): Promise<void> {
  await db.root.query("update app_public.system_configs set value = '1000' where key = 'max_places_per_phone'");
}

// ---------------------------------------------- customers, through the API's SQL

/** What join_queue, entry_status and cancel_entry return to a customer. */
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

/** A queue_entries row (as the merchant functions return it). */
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
  const rows = await customerQuery<CustomerEntry>(db, "select * from app_public.join_queue($1, $2, $3)", [
    qrToken,
    phoneNumber,
    name ?? null,
  ]);
  return rows[0]!;
}

export interface QueueEventRow {
  event_type: string;
  actor: string;
  waiting_count: number;
  entry_id: string | null;
}

/**
 * The queue functions as a request calls them (each committed), and reads of
 * what they wrote, for the queue engine's SQL tests. `db` is the file's
 * useTestDatabase() accessor.
 */
export function queueCalls(db: () => TestDatabase) {
  return {
    /** entry_status as the customer. */
    status: async (token: string) =>
      (await customerQuery<CustomerEntry>(db(), "select * from app_public.entry_status($1)", [token]))[0]!,
    /** call_next as the merchant. */
    call: async (userId: string, queueId: string) =>
      (await merchantQuery<EntryRow>(db(), userId, "select * from app_public.call_next($1)", [queueId]))[0]!,
    /** Any merchant function of one id (open_queue, mark_served…) as the merchant. */
    merchantCall: async (userId: string, fn: string, id: string) =>
      (await merchantQuery<EntryRow & { is_queue_active: boolean; is_queue_paused: boolean }>(
        db(),
        userId,
        `select * from app_public.${fn}($1)`,
        [id],
      ))[0]!,
    /** The queue's events, oldest first (as root). */
    events: async (queueId: string) =>
      (
        await db().root.query<QueueEventRow>(
          "select event_type, actor, waiting_count, entry_id from app_public.queue_events where queue_id = $1 order by id",
          [queueId],
        )
      ).rows,
    /** An entry's row (as root). */
    entryByToken: async (token: string) =>
      (await db().root.query<EntryRow>("select * from app_public.queue_entries where entry_token = $1", [token])).rows[0]!,
  };
}

// ------------------------- entries and events written as the engine writes them

export interface TestEntry {
  id: string;
  phone: string;
  entryToken: string;
}

async function waitingCount(client: Queryable, queueId: string): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    "select count(*)::int as n from app_public.queue_entries where queue_id = $1 and status = 'waiting'",
    [queueId],
  );
  return rows[0]!.n;
}

async function event(client: Queryable, business: BusinessFixture, entryId: string | null, type: string): Promise<void> {
  await client.query(
    `insert into app_public.queue_events (queue_id, business_id, user_id, entry_id, event_type, actor, actor_user_id, waiting_count)
     values ($1, $2, $3, $4, $5, 'merchant', $3, $6)`,
    [business.queueId, business.businessId, business.userId, entryId, type, await waitingCount(client, business.queueId)],
  );
}

/**
 * A customer joins, written directly (one queue_events row per change, in the
 * caller's transaction): entry + entry_joined, with position and estimate as
 * quoted. Trigger-level tests use these to exercise the SMS contract without
 * the queue API; flow tests go through the real queue functions.
 */
export async function joinDirect(
  client: Queryable,
  business: BusinessFixture,
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
    [business.queueId, business.businessId, business.userId, phone, ahead * (options.waitMinutesPerPerson ?? 2), ahead + 1],
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

/** One state change of an entry and its event, written directly as the queue engine writes them. */
export async function changeDirect(
  client: Queryable,
  business: BusinessFixture,
  entryId: string,
  type: keyof typeof transitions,
): Promise<void> {
  await client.query(`update app_public.queue_entries set ${transitions[type]} where id = $1`, [entryId]);
  await event(client, business, entryId, type);
}

// --------------------------------------------------------------------- SMS

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

/** sms_logs rows matching `where`, oldest first. */
export async function smsLogs(db: TestDatabase, where = "true", values: unknown[] = []): Promise<SmsLogRow[]> {
  const { rows } = await db.root.query<SmsLogRow>(
    `select * from app_public.sms_logs where ${where} order by created_at, message_type`,
    values,
  );
  return rows;
}

// ------------------------------------------------------------------- email

/** The email templates (migrations/current/2-email.sql) and the vars each needs from its caller. */
export const emailTemplateVars: Record<string, Record<string, unknown>> = {
  password_reset: { link: "https://waitify.example/reset-password#token=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", minutes: 60 },
  payment_failed: { amount_cents: 1900, link: "https://pay.example/in_1" },
  payment_failed_read_only: { amount_cents: 1900, link: "https://pay.example/in_1" },
  account_suspended: { amount_cents: 4900, link: "https://pay.example/in_1" },
  trial_ending: { trial_end_date: "2026-03-01", link: "https://waitify.example/billing" },
  invoice_due: { amount_cents: 1900, due_date: "2026-03-04", link: "https://pay.example/in_2" },
  invoice_unpaid_1d: { amount_cents: 1900, due_date: "2026-03-04", link: "https://pay.example/in_2" },
  invoice_unpaid_7d: { amount_cents: 1900, due_date: "2026-03-04", suspension_date: "2026-04-03", link: "https://pay.example/in_2" },
  payment_succeeded: { amount_cents: 123456, link: "https://pay.example/in_3" },
  sms_cap_reached: { business: "Boulangerie Paul", cap_parts: 300, cap_date: "2026-03-04", link: "https://waitify.example" },
};

export interface EmailLogRow {
  id: string;
  user_id: string;
  to_address: string;
  template: string;
  language: string;
  subject: string;
  body: string;
  status: string;
  attempts: number;
  provider_message_id: string | null;
  error: string | null;
  dedupe_key: string | null;
  sent_at: Date | null;
}

/** app_private.email_logs rows matching `where`, oldest first. */
export async function emailLogs(db: TestDatabase, where = "true", values: unknown[] = []): Promise<EmailLogRow[]> {
  const { rows } = await db.root.query<EmailLogRow>(
    `select * from app_private.email_logs where ${where} order by created_at, id`,
    values,
  );
  return rows;
}
