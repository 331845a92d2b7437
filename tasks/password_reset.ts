// password_reset: the worker's half of app_public.request_password_reset
// (payload { email }). SQL decides everything — is there an active account
// with this address, is it under its hourly limit — and, if so, creates the
// token and queues the email (app_private.issue_password_reset). Done here,
// out of the request, so that the request costs the same whether or not the
// address has an account. Nothing is logged that would tell which.
import type { Task } from "graphile-worker";
import { passwordResetPayload } from "./payloads.ts";

export const passwordReset: Task<"password_reset"> = async (payload, helpers) => {
  const parsed = passwordResetPayload.safeParse(payload);
  if (!parsed.success) {
    // Retrying a malformed payload cannot succeed: log (without the payload:
    // it may be an address) and drop it.
    helpers.logger.error("password_reset: invalid payload, job dropped");
    return;
  }
  await helpers.query("select app_private.issue_password_reset($1)", [parsed.data.email]);
};
