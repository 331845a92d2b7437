// send_email: sends one app_private.email_logs row (payload { email_log_id }).
// Enqueued by app_private.enqueue_email in the transaction of what causes the
// email (a password reset, a billing event); what to send, to whom and in
// which language was decided there (db/email/).
//
// Exactly once, as far as SMTP allows: the log is claimed with a row lock held
// until the server answered and the result is recorded, so a duplicated job
// waits and then finds it sent; a retried job skips a log recorded as sent.
// The only window for a duplicate is a crash between the server's acceptance
// and the commit of the record. Transient refusals (4xx, network) fail the job
// and graphile-worker retries it with backoff; a permanent one (5xx: unknown
// recipient…) or the last attempt fails the log at once.
import type { Task } from "graphile-worker";
import type pg from "pg";
import { EmailSendError, type EmailReceipt, type EmailSender } from "../lib/email/sender.ts";
import { log, maskEmail } from "../lib/logger.ts";
import { sendEmailPayload } from "./payloads.ts";

/**
 * The log id of a payload, checked (it is inlined into SQL below). A malformed
 * payload throws: the job fails, visibly, with this message as its last error.
 */
function emailLogId(payload: unknown): string {
  const parsed = sendEmailPayload.safeParse(payload);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "payload"}: ${issue.message}`);
    throw new Error(`send_email: payload must be { email_log_id: uuid } (${problems.join("; ")})`);
  }
  return parsed.data.email_log_id;
}

interface ClaimedEmail {
  id: string;
  to_address: string;
  subject: string;
  body: string;
  template: string;
}

// As in send_sms: the statements that open and close the transaction travel
// with their neighbour as one simple-protocol query. Values are inlined: the
// id is a checked uuid, the rest goes through escapeLiteral.
type Client = Pick<pg.PoolClient, "query" | "escapeLiteral">;

/** Opens the transaction and claims the log: its row, or undefined when there is nothing to send. */
async function claim(client: Client, id: string): Promise<ClaimedEmail | undefined> {
  const results = (await client.query(
    `begin; select id, to_address, subject, body, template from app_private.email_claim('${id}')`,
  )) as unknown as pg.QueryResult<ClaimedEmail>[];
  return results[1]!.rows[0];
}

function asSendError(error: unknown): EmailSendError {
  if (error instanceof EmailSendError) return error;
  return new EmailSendError(error instanceof Error ? error.message : String(error), {
    permanent: false,
    code: "Error",
    cause: error,
  });
}

export function makeSendEmail(sender: EmailSender): Task<"send_email"> {
  return async (payload, helpers) => {
    const id = emailLogId(payload);
    const { attempts, max_attempts: maxAttempts } = helpers.job;
    // Set when the job must fail (and be retried by graphile-worker) after the
    // transaction that recorded the attempt has committed.
    let retry: EmailSendError | undefined;
    await helpers.withPgClient(async (client) => {
      const literal = (value: string) => client.escapeLiteral(value);
      try {
        const email = await claim(client, id);
        if (!email) {
          // Sent, failed, or deleted already: nothing to do, never a second send.
          await client.query("commit");
          return;
        }
        let receipt: EmailReceipt;
        try {
          receipt = await sender.send({ to: email.to_address, subject: email.subject, text: email.body });
        } catch (error) {
          const failure = asSendError(error);
          const final = failure.permanent || attempts >= maxAttempts;
          await client.query(
            `select app_private.email_mark_failed('${id}', ${literal(failure.summary())}, ${final}); commit`,
          );
          const fields = {
            emailLogId: id,
            template: email.template,
            to: maskEmail(email.to_address),
            code: failure.code,
            responseCode: failure.responseCode ?? null,
            attempt: attempts,
          };
          if (final) log.warn("Email failed", fields);
          else retry = failure;
          return;
        }
        await client.query(`select app_private.email_mark_sent('${id}', ${literal(receipt.messageId)}); commit`);
      } catch (error) {
        await client.query("rollback").catch(() => {});
        throw error;
      }
    });
    // graphile-worker reschedules the job with exponential backoff.
    if (retry) throw retry;
  };
}
