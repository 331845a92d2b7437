// Property-based fuzzing of every operation of the anonymous and merchant
// APIs, built from their introspected schemas (test/helpers/fuzz.ts): random
// arguments of the right and wrong types, NUL characters, huge strings,
// negative and huge numbers, malformed UUIDs and cursors, as variables or
// literals. Whatever comes back: no 5xx, no INTERNAL, every error coded, no
// database wording — and a refused mutation changes nothing (a fingerprint of
// every app_public row and of the job queue, before and after).
//
// Fixed seed, FUZZ_RUNS (10) runs per operation: about 1,000 requests, about
// 30 s on two busy cores; a failure prints the operation, the seed and the
// shrunk request.
import fc from "fast-check";
import { buildClientSchema, getIntrospectionQuery, type IntrospectionQuery } from "postgraphile/graphql";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../helpers/db.ts";
import { createBusiness, join, phone, type BusinessFixture } from "../helpers/fixtures.ts";
import { operationsOf, requestArb, type FuzzRequest, type KnownValues } from "../helpers/fuzz.ts";
import { useTestServer, type GraphQLErrorBody } from "../helpers/server.ts";

const SEED = 20261201;
const RUNS = Number(process.env.FUZZ_RUNS ?? 10);

/** Database wording that must never reach a client. */
const RAW_DATABASE_TEXT =
  /violates|duplicate key|relation "|column "|syntax error at|invalid input syntax|invalid input value for enum|SQLSTATE|null value in column|out of range for type|permission denied for|function \S+\(.*\) does not exist|byte sequence for encoding/i;

describe("fuzzing every operation", () => {
  const db = useTestDatabase();
  const server = useTestServer(db);
  let merchant: BusinessFixture;
  let known: KnownValues;
  let fingerprintQuery: string;

  beforeAll(async () => {
    merchant = await createBusiness(db());
    const other = await createBusiness(db(), { name: "Pharmacie du Port", businessType: "pharmacy", language: "en" });
    const entries = [await join(db(), merchant.qrToken, phone(1)), await join(db(), merchant.qrToken, phone(2)), await join(db(), other.qrToken, phone(3))];
    const ids = await db().root.query<{ id: string }>(
      "select id from app_public.queue_entries union all select id from app_public.users union all select id from app_public.businesses union all select id from app_public.queues",
    );
    const nodes = async (fixture: BusinessFixture) => {
      const { body } = await server().graphql<{ myBusinesses: { edges: { cursor: string; node: { id: string; queues: { nodes: { id: string }[] } } }[] }; allQueueEntries: { edges: { cursor: string; node: { id: string } }[] } }>(
        "{ myBusinesses { edges { cursor node { id queues { nodes { id } } } } } allQueueEntries(first: 2) { edges { cursor node { id } } } }",
        undefined,
        fixture.merchant.headers,
      );
      const data = body.data!;
      return {
        nodeIds: [...data.myBusinesses.edges.flatMap((edge) => [edge.node.id, ...edge.node.queues.nodes.map((queue) => queue.id)]), ...data.allQueueEntries.edges.map((edge) => edge.node.id)],
        cursors: [...data.myBusinesses.edges, ...data.allQueueEntries.edges].map((edge) => edge.cursor),
      };
    };
    const mine = await nodes(merchant);
    const theirs = await nodes(other);
    known = {
      uuids: ids.rows.map((row) => row.id),
      nodeIds: [...mine.nodeIds, ...theirs.nodeIds],
      cursors: [...mine.cursors, ...theirs.cursors],
      words: [
        merchant.qrToken,
        other.qrToken,
        ...entries.map((entry) => entry.entry_token),
        merchant.merchant.email,
        merchant.merchant.password,
        "basic",
        "pro",
        "enterprise",
        "bakery",
        "pharmacy",
        "fr",
        "en",
        "FR",
        "SN",
        "MONTH",
        "YEAR",
        "Principale",
      ],
    };
    const tables = await db().root.query<{ tablename: string }>("select tablename from pg_tables where schemaname = 'app_public' order by tablename");
    const parts = tables.rows.map(({ tablename }) => `(select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from app_public.${tablename} t)`);
    fingerprintQuery = `select concat_ws(',', ${parts.join(", ")}, (select count(*) from graphile_worker._private_jobs)) as fingerprint`;
  });

  const fingerprint = async () => (await db().root.query<{ fingerprint: string }>(fingerprintQuery)).rows[0]!.fingerprint;

  async function send(request: FuzzRequest, headers: Record<string, string>) {
    const response = await fetch(`${server().url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...headers },
      body: JSON.stringify(request),
    });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text) as { data?: Record<string, unknown> | null; errors?: GraphQLErrorBody[] } };
  }

  it("the fingerprint sees any change to a row", async () => {
    const before = await fingerprint();
    await db().root.query("update app_public.businesses set name = name || '!' where id = $1", [merchant.businessId]);
    expect(await fingerprint()).not.toBe(before);
    await db().root.query("update app_public.businesses set name = rtrim(name, '!') where id = $1", [merchant.businessId]);
  });

  it.each([["anonymous"], ["merchant"]] as const)("the %s API: no 5xx, no INTERNAL, every error coded, refused mutations change nothing", async (role) => {
    const headers = role === "merchant" ? merchant.merchant.headers : {};
    const introspection = await server().graphql<IntrospectionQuery>(getIntrospectionQuery(), undefined, headers);
    const operations = operationsOf(buildClientSchema(introspection.body.data!));
    expect(operations.length).toBeGreaterThan(role === "merchant" ? 60 : 15);

    for (const [index, operation] of operations.entries()) {
      await fc.assert(
        fc.asyncProperty(requestArb(operation, known), async (request) => {
          const before = operation.kind === "mutation" ? await fingerprint() : undefined;
          const { status, body } = await send(request, headers);
          const where = `${role} ${operation.kind} ${operation.field.name}: ${status} ${JSON.stringify(body).slice(0, 500)}`;
          expect(status, where).toBeLessThan(500);
          for (const error of body.errors ?? []) {
            expect(typeof error.extensions?.code, where).toBe("string");
            expect(error.extensions!.code, where).not.toBe("INTERNAL");
            expect(error.message, where).not.toMatch(RAW_DATABASE_TEXT);
          }
          const refused = (body.errors?.length ?? 0) > 0 && (body.data == null || body.data[operation.field.name] == null);
          if (before !== undefined && refused) expect(await fingerprint(), `${where}: a refused mutation changed data`).toBe(before);
        }),
        { seed: SEED + index + (role === "merchant" ? 1_000 : 0), numRuns: RUNS },
      );
    }
  }, 300_000);
});
