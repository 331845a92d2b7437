// The SMS outbox in SQL (db/sms/outbox.sql): queue events become sms_logs
// rows and send_sms jobs in the same transaction, once, and only when the
// business wants SMS; the reminder at two ahead; who reads sms_logs. No
// worker runs here: the jobs stay queued. The texts themselves:
// templates.test.ts.
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../lib/config.ts";
import { publishSmsSettings } from "../../../lib/sms/settings.ts";
import { asAnonymous, asMerchant, asRoot, useTestDatabase } from "../../helpers/db.ts";
import { changeDirect, createBusiness, joinDirect, smsLogs, type BusinessFixture } from "../../helpers/fixtures.ts";

const db = useTestDatabase();

async function jobsFor(logIds: string[]) {
  const { rows } = await db().root.query<{ key: string; payload: { sms_log_id: string }; max_attempts: number }>(
    // The public jobs view hides payloads: read graphile-worker's table.
    `select j.key, j.payload, j.max_attempts
       from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
      where t.identifier = 'send_sms' and j.payload->>'sms_log_id' = any($1::text[])`,
    [logIds],
  );
  return rows;
}

beforeAll(async () => {
  // What each process does at start with PUBLIC_URL (trailing slash removed by the config).
  await publishSmsSettings(db().ownerUrl, loadConfig({ PUBLIC_URL: "https://waitify.example/" }));
});

describe("confirmation on join", () => {
  let business: BusinessFixture;
  beforeAll(async () => {
    business = await createBusiness(db(), { name: "Boulangerie Paul" });
  });

  it("records the French text with place, estimate, business and status link, and enqueues one job keyed by the log", async () => {
    const entries = await asRoot(db(), async (client) => {
      const first = await joinDirect(client, business);
      const second = await joinDirect(client, business, { waitMinutesPerPerson: 6 });
      return [first, second];
    }, { commit: true });
    const logs = await smsLogs(db(), "business_id = $1", [business.businessId]);
    expect(logs).toHaveLength(2);
    expect(logs.map((log) => [log.queue_entry_id, log.message_type, log.status, log.phone])).toEqual(
      expect.arrayContaining([
        [entries[0]!.id, "confirmation", "pending", entries[0]!.phone],
        [entries[1]!.id, "confirmation", "pending", entries[1]!.phone],
      ]),
    );
    const second = logs.find((log) => log.queue_entry_id === entries[1]!.id)!;
    expect(second.message_content).toBe(
      `Votre place #2 chez Boulangerie Paul est confirmée, temps d'attente: 6min. Suivi: https://waitify.example/e/${entries[1]!.entryToken}`,
    );
    const jobs = await jobsFor(logs.map((log) => log.id));
    expect(jobs).toHaveLength(2);
    for (const log of logs) {
      const job = jobs.find((candidate) => candidate.payload.sms_log_id === log.id)!;
      expect(job.key).toBe(`sms:${log.id}`);
      expect(job.max_attempts).toBe(6);
    }
  });

  it("a rolled-back join leaves no log and no job", async () => {
    const before = await db().root.query("select count(*)::int as n from graphile_worker.jobs");
    let entryId = "";
    await asRoot(db(), async (client) => {
      entryId = (await joinDirect(client, business)).id;
      const inside = await client.query("select count(*)::int as n from app_public.sms_logs where queue_entry_id = $1", [entryId]);
      expect(inside.rows[0].n).toBe(1);
    });
    expect(await smsLogs(db(), "queue_entry_id = $1", [entryId])).toEqual([]);
    const after = await db().root.query("select count(*)::int as n from graphile_worker.jobs");
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });
});

describe("when not to send", () => {
  it("SMS turned off: no log and no job, the entry and its event are still there", async () => {
    const business = await createBusiness(db(), { smsEnabled: false });
    const entry = await asRoot(db(), (client) => joinDirect(client, business), { commit: true });
    expect(await smsLogs(db(), "business_id = $1", [business.businessId])).toEqual([]);
    const status = await db().root.query(
      "select e.status, (select count(*)::int from app_public.queue_events v where v.entry_id = e.id) as events from app_public.queue_entries e where e.id = $1",
      [entry.id],
    );
    expect(status.rows[0]).toEqual({ status: "waiting", events: 1 });
  });

  it("at most one message of each type per entry, at most five per entry", async () => {
    const business = await createBusiness(db());
    const entry = await asRoot(db(), async (client) => {
      const entry = await joinDirect(client, business);
      // A replayed event does not text twice.
      await client.query(
        `insert into app_public.queue_events (queue_id, business_id, user_id, entry_id, event_type, actor, waiting_count)
         values ($1, $2, $3, $4, 'entry_joined', 'customer', 1)`,
        [business.queueId, business.businessId, business.merchant.userId, entry.id],
      );
      return entry;
    }, { commit: true });
    expect(await smsLogs(db(), "queue_entry_id = $1", [entry.id])).toHaveLength(1);

    const ids = await asRoot(db(), async (client) => {
      const results: (string | null)[] = [];
      for (const type of ["confirmation", "reminder", "your_turn", "missed", "cancelled", "reminder"]) {
        const { rows } = await client.query("select app_private.enqueue_sms($1, $2) as id", [entry.id, type]);
        results.push(rows[0].id);
      }
      return results;
    }, { commit: true });
    // confirmation existed; four new types; the repeated reminder is refused.
    expect(ids.map((id) => id !== null)).toEqual([false, true, true, true, true, false]);
    expect(await smsLogs(db(), "queue_entry_id = $1", [entry.id])).toHaveLength(5);
  });
});

describe("reminder at two ahead", () => {
  it("goes once to the entry that now has exactly two people ahead, never to one who joined that close", async () => {
    const business = await createBusiness(db());
    const entries = await asRoot(db(), async (client) => {
      const list = [];
      for (let i = 0; i < 6; i++) list.push(await joinDirect(client, business));
      return list;
    }, { commit: true });
    const reminded = async () =>
      (await smsLogs(db(), "business_id = $1 and message_type = 'reminder'", [business.businessId])).map((log) =>
        entries.findIndex((entry) => entry.id === log.queue_entry_id),
      );
    // #1 called: #2 #3 #4 waiting… #4 has two ahead (joined with three ahead).
    await asRoot(db(), (client) => changeDirect(client, business, entries[0]!.id, "entry_called"), { commit: true });
    expect(await reminded()).toEqual([3]);
    // #1 served: nobody leaves the waiting line, nothing new.
    await asRoot(db(), (client) => changeDirect(client, business, entries[0]!.id, "entry_served"), { commit: true });
    expect(await reminded()).toEqual([3]);
    // #3 cancels: #5 now has #2 and #4 ahead.
    await asRoot(db(), (client) => changeDirect(client, business, entries[2]!.id, "entry_cancelled"), { commit: true });
    expect((await reminded()).sort()).toEqual([3, 4]);
    // #2 called: #6 has #4 and #5 ahead.
    await asRoot(db(), (client) => changeDirect(client, business, entries[1]!.id, "entry_called"), { commit: true });
    expect((await reminded()).sort()).toEqual([3, 4, 5]);
    const text = (await smsLogs(db(), "queue_entry_id = $1 and message_type = 'reminder'", [entries[5]!.id]))[0]!;
    expect(text.message_content).toBe(
      `Plus que 2 clients devant vous chez Boulangerie Paul. Suivi: https://waitify.example/e/${entries[5]!.entryToken}`,
    );
  });

  it("closing a queue cancels everyone waiting: a cancelled SMS each, and no reminder to people cancelled a moment later", async () => {
    const business = await createBusiness(db());
    const entries = await asRoot(db(), async (client) => {
      const list = [];
      for (let i = 0; i < 5; i++) list.push(await joinDirect(client, business));
      return list;
    }, { commit: true });
    await asRoot(db(), async (client) => {
      for (const entry of entries) await changeDirect(client, business, entry.id, "entry_cancelled");
      await client.query(
        `insert into app_public.queue_events (queue_id, business_id, user_id, event_type, actor, actor_user_id, waiting_count)
         values ($1, $2, $3, 'queue_closed', 'merchant', $3, 0)`,
        [business.queueId, business.businessId, business.merchant.userId],
      );
    }, { commit: true });
    const logs = await smsLogs(db(), "business_id = $1 and message_type <> 'confirmation'", [business.businessId]);
    expect(logs.map((log) => log.message_type)).toEqual(Array(5).fill("cancelled"));
  });
});

describe("who sees sms_logs", () => {
  it("the owner reads their own logs, another merchant and customers nothing; nobody enqueues directly", async () => {
    const business = await createBusiness(db());
    const other = await createBusiness(db());
    await asRoot(db(), (client) => joinDirect(client, business), { commit: true });
    await asMerchant(db(), business.merchant.userId, async (client) => {
      const { rows } = await client.query("select business_id from app_public.sms_logs");
      expect(rows.length).toBeGreaterThan(0);
      expect(new Set(rows.map((row) => row.business_id))).toEqual(new Set([business.businessId]));
    });
    await asMerchant(db(), other.merchant.userId, async (client) => {
      const { rows } = await client.query("select 1 from app_public.sms_logs where business_id = $1", [business.businessId]);
      expect(rows).toEqual([]);
    });
    await asAnonymous(db(), async (client) => {
      await expect(client.query("select 1 from app_public.sms_logs")).rejects.toThrow(/permission denied/);
    });
    await asMerchant(db(), business.merchant.userId, async (client) => {
      await expect(client.query("select app_private.enqueue_sms(gen_random_uuid(), 'confirmation')")).rejects.toThrow(
        /permission denied/,
      );
    });
  });
});
