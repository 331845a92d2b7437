// Concurrency of the queue functions (db/queue/customer.sql, merchant.sql)
// with real connections: many customers joining at the same moment never
// exceed the queue's size nor get in twice with one phone, and desks calling
// "next" at the same moment never get the same customer.
//
// To make the race real and not a matter of luck, a gate transaction holds
// the queue row's lock while every call is sent; once PostgreSQL shows them
// all waiting for that lock, the gate commits and they all contend at once
// (test/helpers/race.ts).
import type pg from "pg";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { failure, useTestDatabase } from "../../helpers/db.ts";
import { allowManyPlacesPerPhone, createBusiness, join, phone } from "../../helpers/fixtures.ts";
import { openConnections, race } from "../../helpers/race.ts";

describe("queue concurrency", () => {
  const db = useTestDatabase();
  beforeAll(() => allowManyPlacesPerPhone(db()));
  // Each test's connections are closed as soon as it ends, so that files
  // running in parallel keep theirs.
  let opened: pg.Client[] = [];
  afterEach(async () => {
    await Promise.all(opened.map((client) => client.end()));
    opened = [];
  });
  const connections = async (wanted: number) => {
    const clients = await openConnections(db(), wanted);
    opened.push(...clients);
    return clients;
  };

  it("80 joins at once on a queue of 50: exactly 50 in, 30 QUEUE_FULL", async () => {
    const q = await createBusiness(db(), { maxQueueSize: 50 });
    const clients = await connections(80);
    const outcomes = await race(
      db(),
      q.queueId,
      clients,
      { role: "waitify_anonymous" },
      Array.from({ length: 80 }, (_, i) => ({
        sql: "select * from app_public.join_queue($1, $2)",
        values: [q.qrToken, phone(i + 1)],
      })),
    );
    const admitted = outcomes.filter((o) => o.ok);
    expect(admitted).toHaveLength(50);
    expect(outcomes.filter((o) => !o.ok).map((o) => o.code)).toEqual(Array(30).fill("WT402"));
    // Positions and tickets 1..50, each once.
    const byNumber = (key: string) => admitted.map((o) => o.row![key] as number).sort((a, b) => a - b);
    const oneToFifty = Array.from({ length: 50 }, (_, i) => i + 1);
    expect(byNumber("position")).toEqual(oneToFifty);
    expect(byNumber("ticket_number")).toEqual(oneToFifty);
    const { rows } = await db().root.query<{ n: number; counts: number[] }>(
      `select count(*)::int as n, array_agg(waiting_count order by id) as counts
         from app_public.queue_events where queue_id = $1 and event_type = 'entry_joined'`,
      [q.queueId],
    );
    expect(rows[0]!.n).toBe(50);
    expect(rows[0]!.counts).toEqual(oneToFifty);
    const waiting = await db().root.query("select count(*)::int as n from app_public.queue_entries where queue_id = $1", [
      q.queueId,
    ]);
    expect(waiting.rows[0].n).toBe(50);
  });

  it("walk-ins and QR joins racing for the last 5 places: exactly 5 in, tickets and positions unique", async () => {
    const q = await createBusiness(db(), { maxQueueSize: 20 });
    for (let i = 1; i <= 15; i++) await join(db(), q.qrToken, phone(i));
    const clients = await connections(30);
    const merchant = { role: "waitify_merchant" as const, userId: q.userId };
    const calls = Array.from({ length: 30 }, (_, i) =>
      i % 2 === 0
        ? { sql: "select * from app_public.join_queue($1, $2)", values: [q.qrToken, phone(100 + i)] }
        : { sql: "select * from app_public.add_walk_in($1, $2)", values: [q.queueId, `Client ${i}`], as: merchant },
    );
    const outcomes = await race(db(), q.queueId, clients, { role: "waitify_anonymous" }, calls);
    const admitted = outcomes.filter((o) => o.ok);
    expect(admitted).toHaveLength(5);
    expect(outcomes.filter((o) => !o.ok).map((o) => o.code)).toEqual(Array(25).fill("WT402"));
    const { rows } = await db().root.query<{ waiting: number; tickets: number[]; positions: number[]; walk_ins: number }>(
      `select count(*)::int as waiting,
              array_agg(ticket_number order by ticket_number) as tickets,
              array_agg(position_at_join order by position_at_join) as positions,
              count(*) filter (where is_walk_in)::int as walk_ins
         from app_public.queue_entries where queue_id = $1 and status = 'waiting'`,
      [q.queueId],
    );
    const oneToTwenty = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(rows[0]!.waiting).toBe(20);
    expect(rows[0]!.tickets).toEqual(oneToTwenty);
    expect(rows[0]!.positions).toEqual(oneToTwenty);
    // The walk-ins stored are exactly those the race admitted.
    expect(rows[0]!.walk_ins).toBe(admitted.filter((o) => o.row!.is_walk_in === true).length);
    const joined = await db().root.query<{ counts: number[] }>(
      `select array_agg(waiting_count order by id) as counts
         from app_public.queue_events where queue_id = $1 and event_type = 'entry_joined'`,
      [q.queueId],
    );
    expect(joined.rows[0]!.counts).toEqual(oneToTwenty);
  });

  it("the same phone 10 times at once (typed 10 ways): 1 in, 9 ALREADY_IN_QUEUE", async () => {
    const q = await createBusiness(db());
    const clients = await connections(10);
    const ways = ["06 12 34 56 78", "+33612345678", "0033612345678", "06.12.34.56.78", "+33 (0)6 12 34 56 78"];
    const outcomes = await race(
      db(),
      q.queueId,
      clients,
      { role: "waitify_anonymous" },
      Array.from({ length: 10 }, (_, i) => ({
        sql: "select * from app_public.join_queue($1, $2)",
        values: [q.qrToken, ways[i % ways.length]],
      })),
    );
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
    expect(outcomes.filter((o) => !o.ok).map((o) => o.code)).toEqual(Array(9).fill("WT403"));
    const stored = await db().root.query("select phone from app_public.queue_entries where queue_id = $1", [q.queueId]);
    expect(stored.rows).toEqual([{ phone: "+33612345678" }]);
  });

  it("10 desks calling next at once get 10 different customers, the first 10 in join order", async () => {
    const q = await createBusiness(db());
    for (let i = 1; i <= 15; i++) await join(db(), q.qrToken, phone(i));
    const clients = await connections(10);
    const outcomes = await race(
      db(),
      q.queueId,
      clients,
      { role: "waitify_merchant", userId: q.userId },
      Array.from({ length: 10 }, () => ({ sql: "select * from app_public.call_next($1)", values: [q.queueId] })),
    );
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const phones = outcomes.map((o) => o.row!.phone as string);
    expect(new Set(phones).size).toBe(10);
    expect([...phones].sort()).toEqual(Array.from({ length: 10 }, (_, i) => phone(i + 1)));
    const counts = await db().root.query<{ status: string; n: number }>(
      "select status, count(*)::int as n from app_public.queue_entries where queue_id = $1 group by status order by status",
      [q.queueId],
    );
    expect(counts.rows).toEqual([
      { status: "called", n: 10 },
      { status: "waiting", n: 5 },
    ]);
    const jobs = await db().root.query(
      "select count(*)::int as n from graphile_worker._private_jobs where key like 'queue_timeout:%' and payload->>'entry_id' in (select id::text from app_public.queue_entries where queue_id = $1)",
      [q.queueId],
    );
    expect(jobs.rows[0].n).toBe(10);
  });

  it("joins and cancellations at once keep the rules: size and one phone per active place", async () => {
    const q = await createBusiness(db(), { maxQueueSize: 20 });
    const tokens: string[] = [];
    for (let i = 1; i <= 10; i++) tokens.push((await join(db(), q.qrToken, phone(i))).entry_token);
    const clients = await connections(40);
    const calls = [
      // 20 newcomers (3 of them twice) for 10 free places…
      ...Array.from({ length: 23 }, (_, i) => ({
        sql: "select 'join' as kind, * from app_public.join_queue($1, $2)",
        values: [q.qrToken, phone(100 + (i % 20))],
      })),
      // …5 cancellations of places held…
      ...tokens.slice(5).map((token) => ({ sql: "select 'cancel' as kind, * from app_public.cancel_entry($1)", values: [token] })),
    ];
    const outcomes = await race(db(), q.queueId, clients, { role: "waitify_anonymous" }, calls);
    expect(outcomes.slice(23).every((o) => o.ok)).toBe(true);
    const { rows } = await db().root.query<{ waiting: number; phones: number; active: number }>(
      `select count(*) filter (where status = 'waiting')::int as waiting,
              count(distinct phone) filter (where status in ('waiting', 'called'))::int as phones,
              count(*) filter (where status in ('waiting', 'called'))::int as active
         from app_public.queue_entries where queue_id = $1`,
      [q.queueId],
    );
    expect(rows[0]!.waiting).toBeLessThanOrEqual(20);
    expect(rows[0]!.phones).toBe(rows[0]!.active);
    const joined = outcomes.slice(0, 23).filter((o) => o.ok).length;
    expect(rows[0]!.waiting).toBe(10 - 5 + joined);
    expect(outcomes.slice(0, 23).filter((o) => !o.ok).every((o) => o.code === "WT402" || o.code === "WT403")).toBe(true);
  });

  it("the unique index backs the duplicate check up even without the lock", async () => {
    const q = await createBusiness(db());
    await join(db(), q.qrToken, phone(1));
    const duplicate = db().root.query(
      `insert into app_public.queue_entries (queue_id, business_id, user_id, phone, ticket_day, ticket_number, quoted_wait_minutes, position_at_join)
       select queue_id, business_id, user_id, phone, ticket_day, 99, 0, 1 from app_public.queue_entries where queue_id = $1`,
      [q.queueId],
    );
    expect(await failure(duplicate)).toMatchObject({ code: "23505" });
  });
});
