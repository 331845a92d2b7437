// Races on one queue with real connections, for the queue engine's
// concurrency tests: every call is sent while a gate transaction holds the
// queue row's lock; once PostgreSQL shows them all waiting for that lock, the
// gate commits and they all contend at once, so the race is real and not a
// matter of luck.
import pg from "pg";
import type { RequestRole } from "../../lib/db/roles.ts";
import { withDatabase } from "../../lib/db/urls.ts";
import { enterRole, type TestDatabase } from "./db.ts";

export interface Outcome {
  ok: boolean;
  code?: string;
  row?: Record<string, unknown>;
}

/** Who runs a call: a request role and, for a merchant, the user id claim. */
export interface RaceRole {
  role: RequestRole;
  userId?: string;
}

export interface RaceCall {
  sql: string;
  values: unknown[];
  /** Overrides race()'s `as` for this call (customers joining while the merchant adds walk-ins). */
  as?: RaceRole;
}

/**
 * Connections for the race: `wanted`, or fewer when the server cannot spare
 * them while other test files run; then each connection carries several of
 * the concurrent calls.
 */
export async function openConnections(db: TestDatabase, wanted: number): Promise<pg.Client[]> {
  const { rows } = await db.root.query<{ spare: number }>(
    `select current_setting('max_connections')::int / 2 - (select count(*) from pg_stat_activity)::int as spare`,
  );
  const count = Math.max(8, Math.min(wanted, rows[0]!.spare));
  const clients = Array.from({ length: count }, () => new pg.Client({ connectionString: withDatabase(db.rootUrl, db.name) }));
  await Promise.all(clients.map((client) => client.connect()));
  return clients;
}

const roleKey = (as: RaceRole) => `${as.role}:${as.userId ?? ""}`;

/** A statement whose locks hold every call back until the race starts. */
export interface RaceGate {
  sql: string;
  values: unknown[];
}

/**
 * Runs every call (each as its `as`, else as `as`), spread over the
 * connections (shared out between the roles in proportion to their calls,
 * each connection switched to its role for its session), while `queueId`'s
 * row is locked (or whatever `gate` locks: several queues, when each call
 * goes to another one); releases the lock once every busy connection is
 * blocked on it, and returns each call's outcome in the order of `calls`.
 */
export async function race(
  db: TestDatabase,
  queueId: string | RaceGate,
  clients: pg.Client[],
  as: RaceRole,
  calls: RaceCall[],
): Promise<Outcome[]> {
  // Calls by role, each with its index in `calls`.
  const groups = new Map<string, { as: RaceRole; indexes: number[] }>();
  calls.forEach((call, index) => {
    const who = call.as ?? as;
    const group = groups.get(roleKey(who)) ?? { as: who, indexes: [] };
    group.indexes.push(index);
    groups.set(roleKey(who), group);
  });
  if (groups.size > clients.length) throw new Error("fewer connections than roles in the race");
  // Connections per role, in proportion to its calls (at least one each).
  const lanesOf: Array<{ as: RaceRole; indexes: number[]; clients: pg.Client[] }> = [];
  const list = [...groups.values()];
  let next = 0;
  list.forEach((group, i) => {
    const fair = Math.max(1, Math.round((clients.length * group.indexes.length) / calls.length));
    // Leave one connection for each role still to serve.
    const share = Math.min(group.indexes.length, fair, clients.length - next - (list.length - i - 1));
    lanesOf.push({ ...group, clients: clients.slice(next, next + share) });
    next += share;
  });
  await Promise.all(
    lanesOf.flatMap((group) => group.clients.map((client) => enterRole(client, group.as.role, { userId: group.as.userId, session: true }))),
  );

  const gate = await db.root.connect();
  try {
    await gate.query("begin");
    const lock = typeof queueId === "string" ? { sql: "select 1 from app_public.queues where id = $1 for update", values: [queueId] } : queueId;
    await gate.query(lock.sql, lock.values);
    const outcomes: Outcome[] = new Array(calls.length);
    const lanes = lanesOf.flatMap((group) =>
      group.clients.map(async (client, lane) => {
        for (let i = lane; i < group.indexes.length; i += group.clients.length) {
          const index = group.indexes[i]!;
          const { sql, values } = calls[index]!;
          try {
            const { rows } = await client.query(sql, values);
            outcomes[index] = { ok: true, row: rows[0] };
          } catch (error) {
            outcomes[index] = { ok: false, code: (error as { code?: string }).code };
          }
        }
      }),
    );
    // Every connection with a call is now blocked behind the gate's lock.
    const pids = lanesOf.flatMap((group) => group.clients.map((client) => (client as unknown as { processID: number }).processID));
    for (let attempt = 0; ; attempt++) {
      const { rows } = await gate.query<{ n: number }>(
        "select count(*)::int as n from pg_stat_activity where pid = any($1) and wait_event_type = 'Lock'",
        [pids],
      );
      if (rows[0]!.n === pids.length) break;
      if (attempt > 500) throw new Error(`only ${rows[0]!.n} of ${pids.length} connections reached the lock`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await gate.query("commit");
    await Promise.all(lanes);
    return outcomes;
  } finally {
    gate.release();
  }
}
