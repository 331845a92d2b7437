// The codes grafserv's own HTTP refusals get, and the clean-up of their bodies.
import { describe, expect, it } from "vitest";
import { codeErrorBody, codeForStatus } from "../../../lib/graphql/http-errors.ts";

describe("HTTP error codes", () => {
  it.each([
    [400, "BAD_REQUEST"],
    [404, "NOT_FOUND"],
    [405, "METHOD_NOT_ALLOWED"],
    [406, "NOT_ACCEPTABLE"],
    [413, "PAYLOAD_TOO_LARGE"],
    [415, "UNSUPPORTED_MEDIA_TYPE"],
    [418, "BAD_REQUEST"],
    [500, "INTERNAL"],
  ])("status %i is %s", (status, code) => {
    expect(codeForStatus(status)).toBe(code);
  });

  it("codes every error that has no code, keeps the codes there are, and drops grafserv's statusCode", () => {
    const body = {
      errors: [
        { message: "Too much data", extensions: { statusCode: 413 } },
        { message: "Already coded", extensions: { code: "QUERY_TOO_LARGE", limit: "queryBytes" } },
        { message: "No extensions" },
      ],
    };
    expect(codeErrorBody(body, 413)).toEqual({
      errors: [
        { message: "Too much data", extensions: { code: "PAYLOAD_TOO_LARGE" } },
        { message: "Already coded", extensions: { code: "QUERY_TOO_LARGE", limit: "queryBytes" } },
        { message: "No extensions", extensions: { code: "PAYLOAD_TOO_LARGE" } },
      ],
    });
  });

  it("leaves a body without an errors list as it is", () => {
    expect(codeErrorBody({ data: { a: 1 } }, 400)).toEqual({ data: { a: 1 } });
    expect(codeErrorBody("text", 400)).toBe("text");
  });
});
