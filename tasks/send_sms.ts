// send_sms: sends one sms_logs row (payload { sms_log_id }). Enqueued by
// app_private.enqueue_sms in the transaction of the queue change; the rules
// (what to send, to whom, cost, counters) are in SQL (db/sms/outbox.sql and db/sms/delivery.sql).
//
// Exactly once, as far as a provider without idempotency keys allows: the log
// is claimed with a row lock held until the provider answered and the result
// is recorded, so a duplicated job waits and then finds it sent; a retried job
// skips a log recorded as sent. The only window for a duplicate is a crash
// between the provider's acceptance and the commit of the record.
import type { Task } from "graphile-worker";
import type pg from "pg";
import { log, maskPhone } from "../lib/logger.ts";
import { smsTotal } from "../lib/observability/metrics.ts";
import { countSmsParts } from "../lib/sms/parts.ts";
import { SmsSendError, type SmsReceipt, type SmsSender } from "../lib/sms/sender.ts";
import { sendSmsPayload } from "./payloads.ts";

/**
 * The log id of a payload, checked (it is inlined into SQL below). A malformed
 * payload throws: the job fails, visibly, with this message as its last error.
 */
function smsLogId(payload: unknown): string {
  const parsed = sendSmsPayload.safeParse(payload);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "payload"}: ${issue.message}`);
    throw new Error(`send_sms: payload must be { sms_log_id: uuid } (${problems.join("; ")})`);
  }
  return parsed.data.sms_log_id;
}

interface ClaimedLog {
  id: string;
  phone: string;
  message_content: string;
  message_type: string;
}

// Round trips are most of a send's cost, so each statement that opens or
// closes the transaction travels with its neighbour as one simple-protocol
// query. Values are inlined: the id is a checked uuid, the rest goes through
// escapeLiteral.
type Client = Pick<pg.PoolClient, "query" | "escapeLiteral">;

/** Opens the transaction and claims the log: its row, or undefined when there is nothing to send. */
async function claim(client: Client, id: string): Promise<ClaimedLog | undefined> {
  const results = (await client.query(
    `begin; select id, phone, message_content, message_type from app_private.sms_claim('${id}')`,
  )) as unknown as pg.QueryResult<ClaimedLog>[];
  return results[1]!.rows[0];
}

/** Runs one recording statement and commits. */
async function recordAndCommit(client: Client, statement: string): Promise<void> {
  await client.query(`${statement}; commit`);
}

export function makeSendSms(sender: SmsSender): Task<"send_sms"> {
  return async (payload, helpers) => {
    const id = smsLogId(payload);
    const { attempts, max_attempts: maxAttempts } = helpers.job;
    // Set when the job must fail (and be retried by graphile-worker) after the
    // transaction that recorded the attempt has committed.
    let retry: SmsSendError | undefined;
    await helpers.withPgClient(async (client) => {
      const literal = (value: string) => client.escapeLiteral(value);
      try {
        const sms = await claim(client, id);
        if (!sms) {
          // Sent, failed, or deleted already: nothing to do, never a second send.
          await client.query("commit");
          return;
        }
        let receipt: SmsReceipt | undefined;
        try {
          receipt = await sender.send({ phone: sms.phone, body: sms.message_content });
        } catch (error) {
          const failure =
            error instanceof SmsSendError
              ? error
              : new SmsSendError(error instanceof Error ? error.message : String(error), {
                  permanent: false,
                  code: "Error",
                  cause: error,
                });
          const final = failure.permanent || attempts >= maxAttempts;
          const response = JSON.stringify({ ...failure.toJSON(), attempt: attempts, maxAttempts });
          await recordAndCommit(
            client,
            `select app_private.sms_mark_failed('${id}', ${literal(response)}::jsonb, ${final})`,
          );
          const fields = { smsLogId: id, type: sms.message_type, to: maskPhone(sms.phone), code: failure.code, attempt: attempts };
          smsTotal.inc({ type: sms.message_type, provider: sender.provider, outcome: final ? "failed" : "retried" });
          if (final) log.warn("SMS failed (5001)", fields);
          else retry = failure;
          return;
        }
        const { parts } = countSmsParts(sms.message_content);
        await recordAndCommit(
          client,
          `select app_private.sms_mark_sent('${id}', ${literal(receipt.messageId)}, ${parts}, ` +
            `${literal(JSON.stringify(receipt.response))}::jsonb)`,
        );
        smsTotal.inc({ type: sms.message_type, provider: sender.provider, outcome: "sent" });
      } catch (error) {
        await client.query("rollback").catch(() => {});
        throw error;
      }
    });
    // graphile-worker reschedules the job with exponential backoff.
    if (retry) throw retry;
  };
}
