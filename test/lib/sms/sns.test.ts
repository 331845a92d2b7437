// How SNS errors are classified (lib/sms/sns.ts): retried, or given up at
// once. Publishing through a local SNS endpoint: test/tasks/send_sms.test.ts.
import { describe, expect, it } from "vitest";
import { classifySnsError } from "../../../lib/sms/sns.ts";

describe("classifySnsError", () => {
  const aws = (name: string, status: number | undefined, fault: "client" | "server" = "client") =>
    Object.assign(new Error(name), { name, $fault: fault, $metadata: { httpStatusCode: status } });

  it("retries throttling, 5xx, network failures and credential problems", () => {
    for (const error of [
      aws("ThrottledException", 429),
      aws("Throttling", 400),
      aws("InternalErrorException", 500, "server"),
      aws("ServiceUnavailable", 503, "server"),
      aws("ExpiredToken", 403),
      Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
    ]) {
      expect(classifySnsError(error).permanent).toBe(false);
    }
  });

  it("gives up on refusals of the message itself", () => {
    for (const error of [aws("InvalidParameterException", 400), aws("OptedOutException", 400), aws("EndpointDisabledException", 400)]) {
      expect(classifySnsError(error)).toMatchObject({ permanent: true, httpStatus: 400 });
    }
  });
});
