// A called customer's timeout (scheduled by call_next for called_at + the
// queue's client timeout, one job per entry). Thin on purpose: SQL decides,
// under the queue lock, whether the entry is still called and overdue, marks
// it missed and, with auto-advance, calls the next customer. Served, missed
// or cancelled in the meantime: the SQL does nothing.
import type { Task } from "graphile-worker";
import { queueTimeoutPayload } from "./payloads.ts";

export const queueTimeout: Task<"queue_timeout"> = async (payload, helpers) => {
  // Typed by GraphileWorker.Tasks, but a job's payload is whatever was stored.
  const parsed = queueTimeoutPayload.safeParse(payload);
  if (!parsed.success) {
    // Retrying a malformed payload cannot succeed: log and drop it.
    helpers.logger.error("queue_timeout: invalid payload, job dropped", { payload });
    return;
  }
  const entryId = parsed.data.entry_id;
  const { rows } = await helpers.query<{ outcome: string }>("select app_private.expire_called_entry($1) as outcome", [
    entryId,
  ]);
  helpers.logger.debug(`queue_timeout: ${rows[0]?.outcome ?? "noop"}`, { entryId });
};
