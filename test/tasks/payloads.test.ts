// The tasks' payloads (tasks/payloads.ts): each task checks what a job
// carries before acting. queue_timeout logs and drops a malformed payload
// (a retry could not succeed); send_sms throws, so that the job fails with a
// clear message. Both accept any uuid PostgreSQL prints, whatever its version.
import type { JobHelpers } from "graphile-worker";
import { describe, expect, it } from "vitest";
import { queueTimeoutPayload, sendSmsPayload } from "../../tasks/payloads.ts";
import { queueTimeout } from "../../tasks/queue_timeout.ts";
import { makeSendSms } from "../../tasks/send_sms.ts";
import type { SmsSender } from "../../lib/sms/sender.ts";

const malformed: unknown[] = [
  null,
  "0b7c3a52-1d2e-4f3a-9b8c-7d6e5f4a3b2c",
  [],
  {},
  { entry_id: 42, sms_log_id: 42 },
  { entry_id: "not-a-uuid", sms_log_id: "not-a-uuid" },
  { entry_id: "0b7c3a52-1d2e-4f3a-9b8c-7d6e5f4a3b2", sms_log_id: "0b7c3a52-1d2e-4f3a-9b8c-7d6e5f4a3b2" },
  { entry_id: "0b7c3a52-1d2e-4f3a-9b8c-7d6e5f4a3b2c'; --", sms_log_id: "0b7c3a52-1d2e-4f3a-9b8c-7d6e5f4a3b2c'; --" },
];

/** Job helpers that record what a task logs and queries, and run nothing. */
function fakeHelpers() {
  const logged: Array<[string, unknown]> = [];
  const queries: unknown[][] = [];
  const logger = {
    error: (message: string, meta?: unknown) => logged.push([message, meta]),
    debug: () => {},
  };
  const query = async (...args: unknown[]) => {
    queries.push(args);
    return { rows: [{ outcome: "noop" }] };
  };
  const withPgClient = async () => {
    queries.push(["withPgClient"]);
  };
  const helpers = { logger, query, withPgClient, job: { attempts: 1, max_attempts: 6 } } as unknown as JobHelpers;
  return { helpers, logged, queries };
}

const sender: SmsSender = {
  provider: "log",
  send: async () => {
    throw new Error("must not be called");
  },
} as unknown as SmsSender;

describe("payload schemas", () => {
  it("accept a uuid of any version or case, as the old check did, and keep only the known key", () => {
    for (const id of ["0b7c3a52-1d2e-4f3a-9b8c-7d6e5f4a3b2c", "00000000-0000-0000-0000-000000000001", "0B7C3A52-1D2E-4F3A-9B8C-7D6E5F4A3B2C"]) {
      expect(queueTimeoutPayload.parse({ entry_id: id, extra: true })).toEqual({ entry_id: id });
      expect(sendSmsPayload.parse({ sms_log_id: id })).toEqual({ sms_log_id: id });
    }
  });

  it("refuse anything else", () => {
    for (const payload of malformed) {
      expect(queueTimeoutPayload.safeParse(payload).success, JSON.stringify(payload)).toBe(false);
      expect(sendSmsPayload.safeParse(payload).success, JSON.stringify(payload)).toBe(false);
    }
  });
});

describe("a malformed payload", () => {
  it("queue_timeout logs it and returns (the job completes, no retry), touching nothing", async () => {
    for (const payload of malformed) {
      const { helpers, logged, queries } = fakeHelpers();
      await expect(queueTimeout(payload as never, helpers)).resolves.toBeUndefined();
      expect(logged).toEqual([["queue_timeout: invalid payload, job dropped", { payload }]]);
      expect(queries).toEqual([]);
    }
  });

  it("send_sms throws a clear message (the job fails), touching nothing", async () => {
    const task = makeSendSms(sender);
    for (const payload of malformed) {
      const { helpers, queries } = fakeHelpers();
      await expect(task(payload as never, helpers)).rejects.toThrow(/^send_sms: payload must be \{ sms_log_id: uuid \} \(/);
      expect(queries).toEqual([]);
    }
    const { helpers } = fakeHelpers();
    await expect(task({ sms_log_id: "nope" }, helpers)).rejects.toThrow(
      "send_sms: payload must be { sms_log_id: uuid } (sms_log_id: Invalid GUID)",
    );
  });

  it("a valid payload goes on to the database", async () => {
    const { helpers, queries } = fakeHelpers();
    await queueTimeout({ entry_id: "0b7c3a52-1d2e-4f3a-9b8c-7d6e5f4a3b2c" }, helpers);
    expect(queries).toEqual([["select app_private.expire_called_entry($1) as outcome", ["0b7c3a52-1d2e-4f3a-9b8c-7d6e5f4a3b2c"]]]);
    await makeSendSms(sender)({ sms_log_id: "0b7c3a52-1d2e-4f3a-9b8c-7d6e5f4a3b2c" }, fakeHelpers().helpers);
  });
});
