// The workers of one pool take the pool's liveness lock together
// (lib/worker-liveness.ts, hold): with concurrency 4 they must share one lock
// query on the liveness connection. Before, each sent its own at once, and
// pg 8 queued them with a DeprecationWarning at every start ("calling
// client.query() when the client is already executing a query"), a call
// pg 9 will refuse. This file runs in a process of its own (vitest forks),
// so the warning, which Node emits once per process, cannot have been used up
// by another file.
import { afterAll, describe, expect, it } from "vitest";
import { startWorker, type WorkerHandle } from "../../lib/worker.ts";
import { useTestDatabase } from "../helpers/db.ts";

const db = useTestDatabase();
const warnings: string[] = [];
process.on("warning", (warning) => warnings.push(`${warning.name}: ${warning.message}`));
let worker: WorkerHandle | undefined;

afterAll(async () => {
  await worker?.stop();
});

describe("a worker pool's liveness lock", () => {
  it("is taken by one query for all the pool's workers, without a pg warning", async () => {
    worker = await startWorker({ connectionString: db().ownerUrl, concurrency: 4, schedule: false });
    const deadline = Date.now() + 10_000;
    let locks: Array<{ pid: number; locks: number }> = [];
    while (Date.now() < deadline) {
      ({ rows: locks } = await db().root.query<{ pid: number; locks: number }>(
        `select a.pid, count(l.pid)::int as locks
           from pg_stat_activity a
           left join pg_locks l on l.pid = a.pid and l.locktype = 'advisory' and l.granted
          where a.datname = current_database() and a.application_name = 'waitify-worker-liveness'
          group by a.pid`,
      ));
      if (locks[0]?.locks === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(locks.map((row) => row.locks)).toEqual([1]);
    expect(worker.state()).toBe("running");
    // Warnings are emitted on the next tick: give them one.
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.filter((warning) => warning.includes("already executing a query"))).toEqual([]);
  });
});
