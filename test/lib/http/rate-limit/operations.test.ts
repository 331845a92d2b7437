// Which rate-limited mutations a request asks for, read from its document:
// aliases, fragments, several fields, variables, the operation that runs.
import { describe, expect, it } from "vitest";
import { bodyRequests, emailKey, limitedFieldsOf, phoneKey } from "../../../../lib/http/rate-limit/operations.ts";
import { addressKey } from "../../../../lib/http/rate-limit/client.ts";

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const fieldsOf = (query: string, variables?: Record<string, unknown>, operationName?: string) =>
  limitedFieldsOf(bodyRequests(json({ query, variables, operationName }), "application/json"));

describe("limitedFieldsOf", () => {
  it("counts every aliased joinQueue, with its phone and QR token from literals or variables", () => {
    const query = `mutation J($p: String!, $input: JoinQueueInput!) {
      a: joinQueue(input: { qrToken: "q1", phone: "06 12 34 56 78" }) { clientMutationId }
      b: joinQueue(input: { qrToken: "q1", phone: $p }) { clientMutationId }
      c: joinQueue(input: $input) { clientMutationId }
      d: joinQueue(input: { qrToken: "q2", phone: "+33612345679" }) { clientMutationId }
      e: joinQueue(input: { qrToken: "q2" }) { clientMutationId }
    }`;
    const found = fieldsOf(query, { p: "+33 6 12 34 56 78", input: { qrToken: "q3", phone: "0033612345678" } });
    expect(found.joins).toEqual([
      { qrToken: "q1", phone: "06 12 34 56 78" },
      { qrToken: "q1", phone: "+33 6 12 34 56 78" },
      { qrToken: "q3", phone: "0033612345678" },
      { qrToken: "q2", phone: "+33612345679" },
      { qrToken: "q2", phone: undefined },
    ]);
    expect(found.authFields).toBe(0);
  });

  it("finds fields through fragments and inline fragments, and only in the operation that runs", () => {
    const query = `
      fragment Two on Mutation { x: authenticate(input: { email: " Eve@Example.TEST ", password: "p" }) { jwtToken } ...Cycle }
      fragment Cycle on Mutation { ...Two }
      mutation Run { ...Two ... on Mutation { register(input: { email: "new@example.test" }) { jwtToken } } }
      mutation Other { joinQueue(input: { qrToken: "q", phone: "0612345678" }) { clientMutationId } }
      query Read { __typename }`;
    const found = fieldsOf(query, undefined, "Run");
    expect(found.logins).toEqual([{ responseKey: "x", email: "eve@example.test" }]);
    expect(found.emails).toEqual(["new@example.test"]);
    expect(found.authFields).toBe(2);
    expect(found.joins).toEqual([]);
    // No operation name and several operations: grafserv refuses it, every one is counted.
    expect(fieldsOf(query).joins).toHaveLength(1);
  });

  it("reads application/graphql bodies; ignores queries, unparseable documents and other content types", () => {
    const join = `mutation { joinQueue(input: { qrToken: "q", phone: "0612345678" }) { clientMutationId } }`;
    expect(limitedFieldsOf(bodyRequests(Buffer.from(join), "application/graphql")).joins).toHaveLength(1);
    expect(limitedFieldsOf(bodyRequests(Buffer.from(join), "text/plain")).joins).toHaveLength(0);
    expect(fieldsOf(`query { joinQueue: __typename }`).joins).toHaveLength(0);
    expect(fieldsOf(`mutation { joinQueue(input: {`).joins).toHaveLength(0);
    // Names escaped in JSON are still found once the body is decoded.
    const escaped = Buffer.from(JSON.stringify({ query: join }).replace("joinQueue", "join\\u0051ueue"));
    expect(limitedFieldsOf(bodyRequests(escaped, "application/json")).joins).toHaveLength(1);
  });
});

describe("keys", () => {
  it("gives every accepted way of typing one number the same key", () => {
    const keys = ["06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678", "+33 (0)6 12 34 56 78", "+33612345678", "06.12.34.56.78"].map(phoneKey);
    expect(new Set(keys)).toEqual(new Set(["612345678"]));
    expect(phoneKey("+221 77 123 45 67")).toBe(phoneKey("77 123 45 67"));
    expect(phoneKey("06 12 34 56 79")).not.toBe(phoneKey("06 12 34 56 78"));
  });

  it("reduces addresses so that one client cannot pass for many", () => {
    expect(addressKey("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(addressKey("2001:db8:1:2:aaaa::1")).toBe(addressKey("2001:db8:1:2:bbbb:cccc:dddd:eeee"));
    expect(addressKey("2001:db8:1:2::1")).not.toBe(addressKey("2001:db8:1:3::1"));
    expect(emailKey("  Eve@Example.test ")).toBe("eve@example.test");
  });
});
