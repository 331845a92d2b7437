// A called customer's timeout (scheduled by call_next for called_at + the
// queue's client timeout, one job per entry). Thin on purpose: SQL decides,
// under the queue lock, whether the entry is still called and overdue, marks
// it missed and, with auto-advance, calls the next customer. Served, missed
// or cancelled in the meantime: the SQL does nothing.
import type { Task } from "graphile-worker";

interface QueueTimeoutPayload {
  entry_id: string;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isPayload(payload: unknown): payload is QueueTimeoutPayload {
  return (
    typeof payload === "object" &&
    payload !== null &&
    typeof (payload as { entry_id?: unknown }).entry_id === "string" &&
    uuid.test((payload as { entry_id: string }).entry_id)
  );
}

export const queueTimeout: Task = async (payload, helpers) => {
  if (!isPayload(payload)) {
    // Retrying a malformed payload cannot succeed: log and drop it.
    helpers.logger.error("queue_timeout: invalid payload, job dropped", { payload });
    return;
  }
  const { rows } = await helpers.query<{ outcome: string }>("select app_private.expire_called_entry($1) as outcome", [
    payload.entry_id,
  ]);
  helpers.logger.debug(`queue_timeout: ${rows[0]?.outcome ?? "noop"}`, { entryId: payload.entry_id });
};
