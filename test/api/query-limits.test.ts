// The query limits over HTTP, as a merchant's own tool (or an attacker) would
// meet them: each refused with HTTP 400 and its code, quickly, before anything
// is planned; the default page size applied to connections; Grafast's planning
// timeout answered as QUERY_TOO_COMPLEX.
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../helpers/db.ts";
import { createBusiness, join, phone, type BusinessFixture } from "../helpers/fixtures.ts";
import { useTestServer, type TestServer } from "../helpers/server.ts";

/** POSTs as the merchant and times the answer. */
async function timed(server: TestServer, query: string, headers: Record<string, string>, variables?: Record<string, unknown>) {
  const started = performance.now();
  const answer = await server.graphql(query, variables, headers);
  return { ...answer, ms: performance.now() - started, code: answer.body.errors?.[0]?.extensions?.code };
}

/** `levels` round trips myBusinesses → queues → business → queues …: 3 levels of selection each. */
function nesting(levels: number): string {
  let inner = "name";
  for (let level = 0; level < levels; level++) inner = `queues { nodes { business { ${inner} } } }`;
  return `{ myBusinesses { nodes { ${inner} } } }`;
}

describe("query limits (defaults)", () => {
  const db = useTestDatabase();
  const server = useTestServer(db);
  let fixture: BusinessFixture;
  beforeAll(async () => {
    fixture = await createBusiness(db());
  });

  it("a document within every limit runs", async () => {
    const query = "{ myBusinesses(first: 5) { nodes { queues(first: 5) { nodes { business { queues(first: 5) { nodes { name entries(first: 10) { totalCount } } } } } } } } }";
    const answer = await timed(server(), query, fixture.merchant.headers);
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
  });

  it.each([
    ["a query text over QUERY_MAX_BYTES", "QUERY_TOO_LARGE", "queryBytes", () => `{ __typename }#${"x".repeat(20_000)}`],
    ["31 aliases", "QUERY_TOO_COMPLEX", "aliases", () => `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: currentUser { email }`).join(" ")} }`],
    ["34 levels of businesses ↔ queues", "QUERY_TOO_COMPLEX", "depth", () => nesting(34)],
    ["one fragment spread 200 times", "QUERY_TOO_COMPLEX", "fields", () => `{ ${"...F ".repeat(200)} } fragment F on Query { currentUser { email firstName } }`],
    ["21 connections", "QUERY_TOO_COMPLEX", "lists", () => `{ myBusinesses(first: 1) { nodes { ${Array.from({ length: 20 }, (_, i) => `q${i}: queues(first: 1) { totalCount }`).join(" ")} } } }`],
    ["three nested connections of 100", "QUERY_TOO_COMPLEX", "cost", () => "{ myBusinesses(first: 100) { nodes { queues(first: 100) { nodes { entries(first: 100) { nodes { phone } } } } } } }"],
    ["first: 2147483647", "PAGE_TOO_LARGE", "pageSize", () => "{ allQueueEntries(first: 2147483647) { nodes { phone } } }"],
    ["offset: -1", "BAD_USER_INPUT", "offset", () => "{ allQueueEntries(offset: -1) { totalCount } }"],
  ])("%s: 400 %s (%s), in milliseconds", async (_name, code, limit, query) => {
    const answer = await timed(server(), query(), fixture.merchant.headers);
    expect(answer.status).toBe(400);
    expect(answer.body.data).toBeUndefined();
    expect(answer.body.errors).toHaveLength(1);
    expect(answer.body.errors![0]!.extensions).toMatchObject({ code, limit });
    expect(answer.ms).toBeLessThan(1_000);
  });

  it("a page size given in a variable is checked with its value: 1000 runs, 1001 is PAGE_TOO_LARGE", async () => {
    const query = "query Entries($n: Int) { allQueueEntries(first: $n) { totalCount } }";
    const allowed = await timed(server(), query, fixture.merchant.headers, { n: 1000 });
    expect(allowed.status).toBe(200);
    expect(allowed.body.errors).toBeUndefined();
    const refused = await timed(server(), query, fixture.merchant.headers, { n: 1001 });
    expect(refused.status).toBe(400);
    expect(refused.body.errors![0]!.extensions).toMatchObject({ code: "PAGE_TOO_LARGE", max: 1000, found: 1001 });
  });

  it("the anonymous API has the same limits", async () => {
    const answer = await timed(server(), `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: __typename`).join(" ")} }`, {});
    expect(answer.status).toBe(400);
    expect(answer.code).toBe("QUERY_TOO_COMPLEX");
  });
});

describe("default page size", () => {
  const db = useTestDatabase();
  const server = useTestServer(db, { limits: { defaultPageSize: 3, maxPageSize: 10 } });
  let fixture: BusinessFixture;
  beforeAll(async () => {
    fixture = await createBusiness(db());
    for (let n = 1; n <= 5; n++) await join(db(), fixture.qrToken, phone(n));
  });

  const tickets = async (args: string, variables?: Record<string, unknown>, declare = "") => {
    const { status, body } = await server().graphql<{ queueByRowId: { entries: { pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean }; nodes: { ticketNumber: number }[] } } }>(
      `query Tickets($id: UUID! ${declare}) { queueByRowId(rowId: $id) { entries(orderBy: TICKET_NUMBER_ASC ${args}) {
         pageInfo { hasNextPage hasPreviousPage } nodes { ticketNumber } } } }`,
      { id: fixture.queueId, ...variables },
      fixture.merchant.headers,
    );
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const entries = body.data!.queueByRowId.entries;
    return { tickets: entries.nodes.map((node) => node.ticketNumber), ...entries.pageInfo };
  };

  it("a connection without first or last returns the default page and says there is more", async () => {
    expect(await tickets("")).toMatchObject({ tickets: [1, 2, 3], hasNextPage: true });
    expect(await tickets(", first: null")).toMatchObject({ tickets: [1, 2, 3], hasNextPage: true });
    expect(await tickets(", first: $n", { n: null }, ", $n: Int")).toMatchObject({ tickets: [1, 2, 3], hasNextPage: true });
  });

  it("first and last given by the client are kept: last pages backwards, first may exceed the default", async () => {
    expect(await tickets(", first: 5")).toMatchObject({ tickets: [1, 2, 3, 4, 5], hasNextPage: false });
    expect(await tickets(", last: 2")).toMatchObject({ tickets: [4, 5], hasPreviousPage: true });
    expect(await tickets(", last: $n", { n: 4 }, ", $n: Int")).toMatchObject({ tickets: [2, 3, 4, 5] });
  });
});

describe("planning timeout", () => {
  const db = useTestDatabase();
  // Every other limit wide open: only the planning timeout can stop this document.
  const server = useTestServer(db, { limits: { planningTimeoutMs: 1, maxAliases: 1000, maxLists: 1000, maxFields: 10_000, maxCost: 1e9 } });

  it("a document that plans too long is refused with QUERY_TOO_COMPLEX and 400, never INTERNAL", async () => {
    const fixture = await createBusiness(db());
    const query = `{ ${Array.from({ length: 60 }, (_, i) => `a${i}: allQueueEntries(first: ${i + 1}) { nodes { phone status } }`).join(" ")} }`;
    const answer = await timed(server(), query, fixture.merchant.headers);
    expect(answer.status).toBe(400);
    expect(answer.code).toBe("QUERY_TOO_COMPLEX");
    expect(answer.body.errors![0]!.message).toMatch(/took too long to plan/);
  });
});
