// The stall test (issue 11): the documents that stopped the whole server —
// 2,000 aliases of a connection (an 88 KB text Grafast would plan for 15–40 s),
// businesses ↔ queues nested 34 levels, a page of 2^31 rows, and a small text
// whose fragments expand to 10,000 fields — are refused with their code in well
// under a second, each time as a document never seen before, while
// /health/live keeps answering: 20 of them in parallel, /health/live probed
// all along.
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../helpers/db.ts";
import { createBusiness } from "../helpers/fixtures.ts";
import { useTestServer } from "../helpers/server.ts";

const documents = {
  aliases: () => `{${Array.from({ length: 2000 }, (_, i) => ` a${i}: allQueueEntries(first: ${(i % 1000) + 1}) { totalCount }`).join("")} }`,
  nesting: () => {
    let inner = "name";
    for (let level = 0; level < 34; level++) inner = `queues { nodes { business { ${inner} } } }`;
    return `{ myBusinesses { nodes { ${inner} } } }`;
  },
  hugePage: () => "{ allQueueEntries(first: 2147483647) { nodes { rowId phone status } } }",
  fragments: () => `{ ${"...F ".repeat(2000)} } fragment F on Query { allQueueEntries(first: 1) { totalCount nodes { rowId phone } } }`,
};

const expectedCode: Record<keyof typeof documents, string> = {
  aliases: "QUERY_TOO_LARGE",
  nesting: "QUERY_TOO_COMPLEX",
  hugePage: "PAGE_TOO_LARGE",
  fragments: "QUERY_TOO_COMPLEX",
};

describe("stall", () => {
  const db = useTestDatabase();
  const server = useTestServer(db);

  it("the issue's 2,000-alias document is 88 KB, within the body limit: it is read, then refused", () => {
    const size = Buffer.byteLength(JSON.stringify({ query: documents.aliases() }));
    expect(size).toBeGreaterThan(80_000);
    expect(size).toBeLessThan(100_000);
  });

  it("20 abusive documents at once are refused with their code in well under a second while /health/live keeps answering", async () => {
    const { merchant } = await createBusiness(db());
    const url = server().url;
    // A server that has answered once (JIT-compiled, its schema's validation
    // caches built), as a running one is; then only new documents.
    for (const document of Object.values(documents)) await server().graphql(document(), undefined, merchant.headers);

    // The probe: /health/live back to back until the burst is over.
    let probing = true;
    const liveLatencies: number[] = [];
    const probe = (async () => {
      while (probing) {
        const started = performance.now();
        const response = await fetch(`${url}/health/live`);
        await response.arrayBuffer();
        expect(response.status).toBe(200);
        liveLatencies.push(performance.now() - started);
      }
    })();

    const names = Object.keys(documents) as Array<keyof typeof documents>;
    const answers = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const name = names[i % names.length]!;
        // A comment makes each a document the server has never seen.
        const query = `# request ${i} ${Math.random()}\n${documents[name]()}`;
        const started = performance.now();
        const { status, body } = await server().graphql(query, undefined, merchant.headers);
        return { name, status, code: body.errors?.[0]?.extensions?.code, ms: performance.now() - started };
      }),
    );
    probing = false;
    await probe;

    for (const answer of answers) {
      expect(answer, answer.name).toMatchObject({ status: 400, code: expectedCode[answer.name] });
      expect(answer.ms, answer.name).toBeLessThan(1_000);
    }
    expect(liveLatencies.length).toBeGreaterThan(0);
    expect(Math.max(...liveLatencies)).toBeLessThan(500);
  });
});
