// Every mistake a client can make gets a stable `extensions.code` (never
// INTERNAL, never a bare message): GraphQL it cannot parse or validate, bad
// variables, an operation name not in the document, bad cursors, an empty
// patch, negative offsets, NUL characters, bodies too large, wrong content
// types, methods and Accept headers, unknown routes. INTERNAL is left to real
// bugs: masked, logged once as one JSON line with the hash the client sees.
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ANONYMOUS_ROLE } from "../../lib/db/roles.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { createBusiness, type BusinessFixture } from "../helpers/fixtures.ts";
import { useTestServer, type GraphQLErrorBody } from "../helpers/server.ts";

interface Answer {
  status: number;
  headers: Headers;
  body: { data?: Record<string, unknown> | null; errors?: GraphQLErrorBody[] };
}

describe("client errors", () => {
  const db = useTestDatabase();
  // A function that fails the way a bug would (an SQLSTATE nobody maps), in
  // this test's database only, before the server introspects it.
  beforeAll(async () => {
    await db().root.query(`
      create function app_public.test_broken() returns int language plpgsql stable
        set search_path to pg_catalog, public, pg_temp
        as $$ begin raise exception 'broken for +33612345678' using errcode = 'XX000'; end $$;
      grant execute on function app_public.test_broken() to ${ANONYMOUS_ROLE};
    `);
  });
  const server = useTestServer(db);
  let fixture: BusinessFixture;
  beforeAll(async () => {
    fixture = await createBusiness(db());
  });
  afterEach(() => vi.restoreAllMocks());

  async function request(init: RequestInit & { path?: string } = {}): Promise<Answer> {
    const response = await fetch(`${server().url}${init.path ?? "/graphql"}`, init);
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: JSON.parse(text) as Answer["body"] };
  }

  const graphql = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    request({
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...fixture.merchant.headers, ...headers },
      body: JSON.stringify(body),
    });

  /** Every error of the answer has a string code, none is INTERNAL, none leaks grafserv's statusCode. */
  function codes(answer: Answer): string[] {
    const errors = answer.body.errors ?? [];
    for (const error of errors) {
      expect(typeof error.extensions?.code, JSON.stringify(error)).toBe("string");
      expect(error.extensions).not.toHaveProperty("statusCode");
    }
    return errors.map((error) => error.extensions!.code!);
  }

  describe("GraphQL requests that never run: 400 and a code", () => {
    it.each([
      ["GRAPHQL_PARSE_FAILED", "unparsable GraphQL", { query: "{ myBusinesses { " }],
      ["GRAPHQL_PARSE_FAILED", "a raw NUL character in the document", { query: "{ __typename \u0000 }" }],
      ["GRAPHQL_VALIDATION_FAILED", "an unknown field", { query: "{ myBusinesses { nodes { nope } } }" }],
      ["GRAPHQL_VALIDATION_FAILED", "a malformed UUID literal", { query: '{ businessByRowId(rowId: "not-a-uuid") { name } }' }],
      ["BAD_USER_INPUT", "a variable of the wrong type", { query: "query Q($n: Int) { allQueueEntries(first: $n) { totalCount } }", variables: { n: "ten" } }],
      ["BAD_USER_INPUT", "a required variable missing", { query: "query Q($id: UUID!) { businessByRowId(rowId: $id) { name } }" }],
      ["BAD_USER_INPUT", "a malformed UUID variable", { query: "query Q($id: UUID!) { businessByRowId(rowId: $id) { name } }", variables: { id: "123" } }],
      ["BAD_USER_INPUT", "a negative offset variable", { query: "query Q($o: Int) { allQueueEntries(offset: $o) { totalCount } }", variables: { o: -1 } }],
      ["OPERATION_NOT_FOUND", "an operation name not in the document", { query: "query A { __typename }", operationName: "B" }],
      ["OPERATION_NOT_FOUND", "several operations and no name", { query: "query A { __typename } query B { __typename }" }],
    ])("%s: %s", async (code, _what, body) => {
      const answer = await graphql(body);
      expect(answer.status).toBe(400);
      expect(answer.body.data).toBeUndefined();
      expect(codes(answer)).toEqual([code]);
    });

    it("keeps GraphQL's locations so the client can find its mistake", async () => {
      const answer = await graphql({ query: "{\n  myBusinesses { nodes { nope } }\n}" });
      expect(answer.body.errors![0]).toMatchObject({ locations: [{ line: 2, column: 26 }], extensions: { code: "GRAPHQL_VALIDATION_FAILED" } });
    });
  });

  describe("mistakes found while running: the field is null and the error coded", () => {
    it.each([
      ["INVALID_CURSOR", "a cursor that was never given out", '{ allQueueEntries(after: "bm9wZQ==") { totalCount } }'],
      ["INVALID_CURSOR", "a cursor of another ordering", '{ allQueueEntries(orderBy: TICKET_NUMBER_ASC, after: "WyJuYXR1cmFsIiwxXQ==") { totalCount } }'],
    ])("%s: %s", async (code, _what, query) => {
      const answer = await graphql({ query });
      expect(answer.status).toBe(200);
      expect(answer.body.data).toEqual({ allQueueEntries: null });
      expect(codes(answer)).toEqual([code]);
    });

    it("an empty patch is BAD_USER_INPUT and changes nothing", async () => {
      const before = await db().root.query("select name, updated_at from app_public.businesses where id = $1", [fixture.businessId]);
      const answer = await graphql({
        query: "mutation M($id: UUID!) { updateBusinessByRowId(input: { rowId: $id, businessPatch: {} }) { business { name } } }",
        variables: { id: fixture.businessId },
      });
      expect(codes(answer)).toEqual(["BAD_USER_INPUT"]);
      const after = await db().root.query("select name, updated_at from app_public.businesses where id = $1", [fixture.businessId]);
      expect(after.rows).toEqual(before.rows);
    });

    it("a NUL character in a string, literal or variable, is INVALID_TEXT — for the merchant and for a customer joining", async () => {
      const rename = await graphql({
        query: "mutation M($id: UUID!, $name: String!) { updateBusinessByRowId(input: { rowId: $id, businessPatch: { name: $name } }) { business { name } } }",
        variables: { id: fixture.businessId, name: "Boulangerie\u0000Paul" },
      });
      expect(codes(rename)).toEqual(["INVALID_TEXT"]);
      const joinQueue = await graphql(
        { query: `mutation { joinQueue(input: { qrToken: "${fixture.qrToken}", phone: "06 12 34 56 78\\u0000" }) { result { position } } }` },
        { authorization: "" },
      );
      expect(codes(joinQueue)).toEqual(["INVALID_TEXT"]);
      const { rows } = await db().root.query("select count(*)::int as n from app_public.queue_entries where queue_id = $1", [fixture.queueId]);
      expect(rows[0].n).toBe(0);
    });
  });

  describe("HTTP-level mistakes", () => {
    it("a body over GRAPHQL_MAX_BODY_BYTES: 413 PAYLOAD_TOO_LARGE", async () => {
      const answer = await graphql({ query: "{ __typename }", variables: { padding: "x".repeat(120_000) } });
      expect(answer.status).toBe(413);
      expect(codes(answer)).toEqual(["PAYLOAD_TOO_LARGE"]);
    });

    it("a content type other than JSON or GraphQL: 415 UNSUPPORTED_MEDIA_TYPE", async () => {
      const answer = await request({ method: "POST", headers: { "content-type": "text/plain" }, body: "{ __typename }" });
      expect(answer.status).toBe(415);
      expect(codes(answer)).toEqual(["UNSUPPORTED_MEDIA_TYPE"]);
    });

    it("GET or PUT on /graphql: 405 METHOD_NOT_ALLOWED, Allow: POST", async () => {
      for (const method of ["GET", "PUT", "DELETE"]) {
        const answer = await request({ method, headers: { accept: "application/json" } });
        expect(answer.status).toBe(405);
        expect(answer.headers.get("allow")).toBe("POST");
        expect(codes(answer)).toEqual(["METHOD_NOT_ALLOWED"]);
      }
    });

    it("an Accept header GraphQL cannot satisfy: 406 NOT_ACCEPTABLE", async () => {
      const answer = await graphql({ query: "{ __typename }" }, { accept: "text/csv" });
      expect(answer.status).toBe(406);
      expect(codes(answer)).toEqual(["NOT_ACCEPTABLE"]);
    });

    it.each([
      ["not JSON", "{ query: "],
      ["no query", "{}"],
      ["a query that is not a string", '{"query": 5}'],
      ["variables that are not an object", '{"query": "{ __typename }", "variables": [1]}'],
    ])("a body with %s: 400 BAD_REQUEST", async (_what, body) => {
      const answer = await request({ method: "POST", headers: { "content-type": "application/json" }, body });
      expect(answer.status).toBe(400);
      expect(codes(answer)).toEqual(["BAD_REQUEST"]);
    });

    it("an unknown route answers a JSON 404 NOT_FOUND, whatever the method", async () => {
      for (const [method, path] of [
        ["GET", "/nope"],
        ["POST", "/admin.php"],
        ["GET", "/assets/missing.js"],
        ["DELETE", "/health"],
      ]) {
        const answer = await request({ method, path });
        expect(answer.status, `${method} ${path}`).toBe(404);
        expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
        expect(codes(answer)).toEqual(["NOT_FOUND"]);
      }
    });
  });

  describe("real bugs", () => {
    it("are INTERNAL with a hash, logged once as one JSON line with that hash — no query text, phone numbers masked", async () => {
      const lines: string[] = [];
      const write = process.stderr.write.bind(process.stderr);
      vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
        lines.push(String(chunk));
        return write(chunk, ...(rest as []));
      });
      const marker = "client-errors-marker";
      const answer = await graphql({ query: `query Broken { testBroken } # ${marker}` });
      expect(codes(answer)).toEqual(["INTERNAL"]);
      const error = answer.body.errors![0]!;
      const { hash, errorId } = error.extensions as { hash: string; errorId: string };
      expect(error.message).toBe(`An error occurred (logged with hash: '${hash}', id: '${errorId}')`);
      expect(JSON.stringify(answer.body)).not.toMatch(/broken for|33612345678/);

      const logged = lines.filter((line) => line.includes(errorId));
      expect(logged).toHaveLength(1);
      expect(logged[0]!.trimEnd().split("\n")).toHaveLength(1);
      expect(JSON.parse(logged[0]!)).toMatchObject({ level: "error", message: "masked GraphQL error", hash, errorId, sqlstate: "XX000", path: "testBroken" });
      expect(logged[0]).not.toContain(marker);
      expect(logged[0]).not.toContain("+33612345678");
    });

    it("the same bug twice gets the same hash and two ids", async () => {
      const [first, second] = await Promise.all([graphql({ query: "{ testBroken }" }), graphql({ query: "{ testBroken }" })]);
      const a = first.body.errors![0]!.extensions!;
      const b = second.body.errors![0]!.extensions!;
      expect(a.hash).toBe(b.hash);
      expect(a.errorId).not.toBe(b.errorId);
    });
  });
});
