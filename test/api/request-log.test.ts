// One JSON line per HTTP request (lib/http/request-log.ts): its fields, the
// X-Request-Id header, and no query text, phone number or token in the log.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { logger } from "../../lib/logger.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { createBusiness } from "../helpers/fixtures.ts";
import { useTestServer } from "../helpers/server.ts";

interface RequestLine {
  level: string;
  message: string;
  requestId: string;
  method: string;
  route: string;
  status: number;
  latencyMs: number;
  role: string;
  operation?: string | null;
  queryHash?: string;
}

describe("request log", () => {
  const db = useTestDatabase();
  const server = useTestServer(db);
  let written: string[];
  let previousLevel: string;

  beforeEach(() => {
    // Tests run at LOG_LEVEL=warn; request lines are info.
    previousLevel = logger.level;
    logger.level = "info";
    written = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, "write").mockImplementation((chunk) => {
        written.push(String(chunk));
        return true;
      });
    }
  });
  afterEach(() => {
    vi.restoreAllMocks();
    logger.level = previousLevel;
  });

  const requestLines = () =>
    written
      .flatMap((chunk) => chunk.split("\n"))
      .filter(Boolean)
      .map((line) => JSON.parse(line) as RequestLine)
      .filter((line) => line.message === "request" || line.message === "request failed");

  it("writes one line per GraphQL request: id, route, role, operation, query hash, status, latency; never the text, the phone or the token", async () => {
    const { merchant } = await createBusiness(db());
    const query = `query FindCustomer { allQueueEntries(condition: { status: "+33611223344" }) { totalCount } }`;
    const response = await fetch(`${server().url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...merchant.headers },
      body: JSON.stringify({ query }),
    });
    expect(response.status).toBe(200);
    const requestId = response.headers.get("x-request-id");
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);

    const lines = requestLines();
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).toMatchObject({ level: "info", requestId, method: "POST", route: "/graphql", status: 200, role: "waitify_merchant", operation: "FindCustomer" });
    expect(line.queryHash).toMatch(/^[0-9a-f]{16}$/);
    expect(line.latencyMs).toBeGreaterThanOrEqual(0);
    const all = written.join("");
    expect(all).not.toContain("611223344");
    expect(all).not.toContain("allQueueEntries");
    expect(all).not.toContain(merchant.token);
  });

  it("keeps a phone written in a refused query out of every line, and logs the same hash for the same text", async () => {
    const query = `mutation Join { joinQueue(input: { qrToken: "nope", phone: "06 11 22 33 44", notAField: 1 }) { clientMutationId } }`;
    await server().graphql(query);
    await server().graphql(query);
    const lines = requestLines();
    expect(lines.map((line) => [line.status, line.role, line.operation])).toEqual([
      [400, "waitify_anonymous", "Join"],
      [400, "waitify_anonymous", "Join"],
    ]);
    expect(lines[0]!.queryHash).toBe(lines[1]!.queryHash);
    const all = written.join("");
    expect(all).not.toMatch(/06 11 22 33 44|0611223344|notAField/);
  });

  it("takes a proxy's request id when it looks like one, and names routes by pattern, not by secret", async () => {
    const response = await fetch(`${server().url}/e/secret-entry-token-123456`, { headers: { "x-request-id": "edge-1234abcd" } });
    expect(response.headers.get("x-request-id")).toBe("edge-1234abcd");
    const injected = await fetch(`${server().url}/health/live`, { headers: { "x-request-id": "bad id\u00e9 with spaces" } });
    expect(injected.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    await fetch(`${server().url}/no/such/route`);
    const lines = requestLines();
    expect(lines.map((line) => [line.route, line.status])).toEqual([
      ["/e/:token", 200],
      ["/health/live", 200],
      ["(not found)", 404],
    ]);
    expect(lines[0]!.requestId).toBe("edge-1234abcd");
    expect(written.join("")).not.toContain("secret-entry-token");
  });
});
