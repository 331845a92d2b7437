// `npm run db:seed` (development only): something to look at on the first
// start — a demo merchant, a bakery whose queue is open, and a few customers
// waiting. Everything goes through the same SQL API the pages use (register,
// an insert under the merchant's RLS, open_queue, join_queue), as the
// authenticator switching roles, so the seed can never create a state the
// product could not reach itself. Running it again changes nothing: each step
// first looks for what it would create.
import pg from "pg";
import { ANONYMOUS_ROLE, MERCHANT_ROLE } from "./roles.ts";

export const DEMO_EMAIL = "demo@waitify.test";
export const DEMO_PASSWORD = "waitify-demo";
export const DEMO_BUSINESS = "Boulangerie Démo";

// Numbers from a range ARCEP keeps for fiction (09 77 42 xx xx; its mobile
// fiction range is not a valid mobile number for our rules): they can never
// reach a real person, whatever SMS provider is configured.
const DEMO_CUSTOMERS = [
  { phone: "+33977420001", name: "Camille" },
  { phone: "+33977420002", name: "Léo" },
  { phone: "+33977420003", name: null },
  { phone: "+33977420004", name: "Inès" },
];

export interface SeedResult {
  email: string;
  password: string;
  userId: string;
  businessId: string;
  queueId: string;
  qrToken: string;
  waiting: number;
  /** Finished visits of past days written by this run (0 when the history was there already). */
  pastVisits: number;
  /** What this run created (empty when everything was there already). */
  created: string[];
}

/** Runs one step as a request role, in the transaction, then returns to the authenticator. */
async function asRole<T>(client: pg.ClientBase, role: string, userId: string | null, step: () => Promise<T>): Promise<T> {
  await client.query(`set local role ${role}`);
  await client.query("select set_config('jwt.claims.user_id', $1, true)", [userId ?? ""]);
  // On failure the whole transaction is rolled back: no reset to do then.
  const result = await step();
  await client.query("reset role");
  return result;
}

/** Past days of activity given to the demo business (with their analytics). */
export const DEMO_PAST_DAYS = 7;

/**
 * Seeds the database at `authUrl` (the authenticator's URL); idempotent. With
 * `ownerUrl`, the demo business also gets DEMO_PAST_DAYS finished days of
 * visits and their daily figures: the past cannot be made through the API,
 * so the owner writes it (app_private.seed_demo_history, db/analytics/seed.sql).
 */
export async function seedDemo(authUrl: string, options: { ownerUrl?: string } = {}): Promise<SeedResult> {
  const client = new pg.Client({ connectionString: authUrl });
  await client.connect();
  const created: string[] = [];
  try {
    await client.query("begin");
    // Two seeds at once must not both create the account.
    await client.query("select pg_advisory_xact_lock(hashtext('waitify:db:seed'))");

    const userId = await asRole(client, ANONYMOUS_ROLE, null, async () => {
      // A failed sign-in aborts its statement: a savepoint keeps the transaction usable.
      await client.query("savepoint demo_sign_in");
      const existing = await client
        .query<{ user_id: string }>("select (app_public.authenticate($1, $2)).user_id", [DEMO_EMAIL, DEMO_PASSWORD])
        .catch(async (error: { code?: string }) => {
          // WTCRD = INVALID_CREDENTIALS (lib/errors.ts): no such account yet.
          if (error.code !== "WTCRD") throw error;
          await client.query("rollback to savepoint demo_sign_in");
          return null;
        });
      if (existing) return existing.rows[0]!.user_id;
      created.push("account");
      const registered = await client.query<{ user_id: string }>(
        "select (app_public.register($1, $2, 'Démo', 'Marchand')).user_id",
        [DEMO_EMAIL, DEMO_PASSWORD],
      );
      return registered.rows[0]!.user_id;
    });
    const business = await asRole(client, MERCHANT_ROLE, userId, async () => {
      const found = await client.query<{ id: string }>(
        "select id from app_public.businesses where name = $1 and is_active order by created_at limit 1",
        [DEMO_BUSINESS],
      );
      if (found.rows[0]) return found.rows[0];
      created.push("business");
      const inserted = await client.query<{ id: string }>(
        `insert into app_public.businesses (name, business_type, city, country, language, custom_message)
         values ($1, 'bakery', 'Paris', 'FR', 'fr', 'Le pain sort du four à 17 h.') returning id`,
        [DEMO_BUSINESS],
      );
      return inserted.rows[0]!;
    });

    const queue = await asRole(client, MERCHANT_ROLE, userId, async () => {
      const { rows } = await client.query<{ id: string; qr_code_token: string; is_queue_active: boolean }>(
        "select id, qr_code_token, is_queue_active from app_public.queues where business_id = $1 order by created_at limit 1",
        [business.id],
      );
      const row = rows[0]!;
      if (!row.is_queue_active) {
        created.push("queue opened");
        await client.query("select app_public.open_queue($1)", [row.id]);
      }
      return row;
    });

    // Customers join only while nobody waits: a second run leaves the queue as it is.
    const waitingNow = await asRole(client, ANONYMOUS_ROLE, null, async () => {
      const status = await client.query<{ waiting_count: number }>(
        "select waiting_count from app_public.queue_status($1)",
        [queue.qr_code_token],
      );
      let waiting = status.rows[0]!.waiting_count;
      if (waiting === 0) {
        for (const customer of DEMO_CUSTOMERS) {
          await client.query("select app_public.join_queue($1, $2, $3)", [queue.qr_code_token, customer.phone, customer.name]);
        }
        created.push(`${DEMO_CUSTOMERS.length} customers`);
        waiting = DEMO_CUSTOMERS.length;
      }
      return waiting;
    });

    await client.query("commit");
    const history = options.ownerUrl ? await seedHistory(options.ownerUrl, business.id) : { visits: 0, saasAccounts: 0 };
    const pastVisits = history.visits;
    if (pastVisits > 0) created.push(`${DEMO_PAST_DAYS} past days`);
    if (history.saasAccounts > 0) created.push(`${history.saasAccounts} back-office demo accounts`);
    return {
      email: DEMO_EMAIL,
      password: DEMO_PASSWORD,
      userId,
      businessId: business.id,
      queueId: queue.id,
      qrToken: queue.qr_code_token,
      waiting: waitingNow,
      pastVisits,
      created,
    };
  } catch (error) {
    await client.query("rollback").catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
}

/**
 * The demo business's past days, and the back office's demo accounts with
 * six months of subscription history (db/admin/seed.sql); each once (0 when
 * it is there already).
 */
async function seedHistory(ownerUrl: string, businessId: string): Promise<{ visits: number; saasAccounts: number }> {
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  try {
    const { rows } = await owner.query<{ visits: number }>("select app_private.seed_demo_history($1, $2) as visits", [
      businessId,
      DEMO_PAST_DAYS,
    ]);
    const saas = await owner.query<{ accounts: number }>("select app_private.seed_demo_saas_history() as accounts");
    return { visits: rows[0]!.visits, saasAccounts: saas.rows[0]!.accounts };
  } finally {
    await owner.end();
  }
}
