// Each query limit on its own, on parsed documents and a small schema shaped
// like PostGraphile's (connections with nodes, edges, pageInfo and totalCount):
// what passes at the limit, what is refused one step beyond, with which code.
import { buildSchema, getIntrospectionQuery, parse, type OperationDefinitionNode } from "postgraphile/graphql";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../lib/config.ts";
import {
  defaultQueryLimits,
  INTROSPECTION_MAX_DEPTH,
  limitsFromConfig,
  measureDocument,
  measureOperation,
  measureQueryText,
  type QueryLimits,
} from "../../../lib/graphql/limits.ts";

const schema = buildSchema(`
  type Query {
    business(id: ID!): Business
    allBusinesses(first: Int, last: Int, offset: Int, after: String): BusinessConnection!
    tags: [Tag!]!
    count: Int
  }
  type Business { id: ID!, name: String, queues(first: Int, last: Int, offset: Int): QueueConnection!, tags: [Tag!]! }
  type Queue { id: ID!, name: String, business: Business, entries(first: Int, last: Int): EntryConnection! }
  type Entry { id: ID!, phone: String }
  type Tag { label: String }
  type PageInfo { hasNextPage: Boolean! }
  type BusinessConnection { nodes: [Business]!, edges: [BusinessEdge]!, pageInfo: PageInfo!, totalCount: Int! }
  type BusinessEdge { cursor: String, node: Business }
  type QueueConnection { nodes: [Queue]!, pageInfo: PageInfo!, totalCount: Int! }
  type EntryConnection { nodes: [Entry]!, pageInfo: PageInfo!, totalCount: Int! }
`);

const limits = (changes: Partial<QueryLimits> = {}): QueryLimits => ({ ...defaultQueryLimits, ...changes });

/** measureDocument, then measureOperation on the first operation with these variables. */
function measure(query: string, changes: Partial<QueryLimits> = {}, variables: Record<string, unknown> = {}) {
  const document = parse(query);
  const shape = measureDocument(document, limits(changes));
  if (shape) return shape;
  const operation = document.definitions.find((definition) => definition.kind === "OperationDefinition") as OperationDefinitionNode;
  return measureOperation(schema, document, operation, variables, limits(changes));
}

const aliases = (n: number, field = "count") => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(" ")} }`;

describe("query text", () => {
  it("counts UTF-8 bytes, not characters: refused one byte over", () => {
    const atLimit = `{ count } #${"é".repeat(45)}`; // 11 + 90 bytes
    expect(Buffer.byteLength(atLimit)).toBe(101);
    expect(measureQueryText(atLimit, limits({ maxQueryBytes: 101 }))).toBeNull();
    expect(measureQueryText(atLimit, limits({ maxQueryBytes: 100 }))).toMatchObject({ code: "QUERY_TOO_LARGE", limit: "queryBytes", max: 100, found: 101 });
  });
});

describe("document shape", () => {
  it("aliases: the maximum passes, one more is QUERY_TOO_COMPLEX", () => {
    expect(measure(aliases(5), { maxAliases: 5 })).toBeNull();
    expect(measure(aliases(6), { maxAliases: 5 })).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit: "aliases", max: 5, found: 6 });
    // An alias that repeats the field's name is no alias.
    expect(measure("{ count: count }", { maxAliases: 0 })).toBeNull();
  });

  it("fields: counted with fragments expanded, each spread again", () => {
    const spreads = (n: number) => `query { ${"...F ".repeat(n)} } fragment F on Query { count tags { label } }`;
    expect(measure(spreads(3), { maxFields: 9 })).toBeNull();
    expect(measure(spreads(4), { maxFields: 9 })).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit: "fields", max: 9 });
  });

  it("a fragment bomb is refused as soon as its expansion passes the limit, without expanding it all", () => {
    // 2^40 fields once expanded; only a few hundred are visited.
    const levels = Array.from({ length: 40 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join("\n");
    const query = `{ ...F0 }\n${levels}\nfragment F40 on Query { count }`;
    const started = performance.now();
    expect(measure(query)).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit: "fields" });
    expect(performance.now() - started).toBeLessThan(200);
  });

  it("a fragment cycle is left to validation, not followed forever", () => {
    expect(measure("{ ...A } fragment A on Query { count ...B } fragment B on Query { ...A }")).toBeNull();
  });

  it("depth: root fields are at depth 1; the maximum passes, one more level is refused", () => {
    const nested = (levels: number) => {
      let inner = "id";
      for (let i = 1; i < levels; i++) inner = `business { ${inner} }`;
      return `{ business(id: 1) { ${inner} } }`;
    };
    expect(measure(nested(6), { maxDepth: 7 })).toBeNull(); // business + 5 business + id = 7
    expect(measure(nested(7), { maxDepth: 7 })).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit: "depth", max: 7, found: 8 });
  });

  it("introspection has its own depth ceiling: the standard introspection query passes a low limit, deeper introspection does not", () => {
    expect(measure(getIntrospectionQuery(), { maxDepth: 4 })).toBeNull();
    let ofType = "name";
    for (let i = 0; i < INTROSPECTION_MAX_DEPTH; i++) ofType = `ofType { ${ofType} }`;
    expect(measure(`{ __type(name: "Query") { ${ofType} } }`, { maxDepth: 4 })).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit: "depth" });
  });
});

describe("page sizes", () => {
  it("first and last up to the maximum pass; one more is PAGE_TOO_LARGE, as a literal or a variable", () => {
    expect(measure("{ allBusinesses(first: 10) { totalCount } }", { maxPageSize: 10 })).toBeNull();
    expect(measure("{ allBusinesses(last: 11) { totalCount } }", { maxPageSize: 10 })).toMatchObject({ code: "PAGE_TOO_LARGE", limit: "pageSize", max: 10, found: 11 });
    const query = "query($n: Int) { allBusinesses(first: $n) { totalCount } }";
    expect(measure(query, { maxPageSize: 10 }, { n: 10 })).toBeNull();
    expect(measure(query, { maxPageSize: 10 }, { n: 2147483647 })).toMatchObject({ code: "PAGE_TOO_LARGE", found: 2147483647 });
    expect(measure(query, { maxPageSize: 10 }, { n: null })).toBeNull();
  });

  it("negative first, last and offset are BAD_USER_INPUT, wherever they are nested", () => {
    for (const args of ["first: -1", "last: -5", "offset: -1"]) {
      expect(measure(`{ allBusinesses(first: 1) { nodes { queues(${args}) { totalCount } } } }`)).toMatchObject({ code: "BAD_USER_INPUT" });
    }
    expect(measure("query($o: Int) { allBusinesses(offset: $o) { totalCount } }", {}, { o: -3 })).toMatchObject({ code: "BAD_USER_INPUT", found: -3 });
    expect(measure("{ allBusinesses(offset: 1000000) { totalCount } }")).toBeNull();
  });
});

describe("cost and lists", () => {
  it("each list multiplies what it holds by its page size: nested connections add up to the estimate", () => {
    // allBusinesses 1 + 10 nodes; queues: 10 connections + 10×5 nodes; entries: 50 connections + 50×2 nodes = 221.
    const query = "{ allBusinesses(first: 10) { nodes { name queues(first: 5) { nodes { entries(first: 2) { nodes { phone } } } } } } }";
    expect(measure(query, { maxCost: 221 })).toBeNull();
    expect(measure(query, { maxCost: 220 })).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit: "cost", max: 220 });
  });

  it("a connection without first or last counts the default page size; totalCount and pageInfo cost nothing per row", () => {
    const query = "{ allBusinesses { totalCount pageInfo { hasNextPage } nodes { id } } }";
    // 1 connection + 1 pageInfo + 7 nodes
    expect(measure(query, { defaultPageSize: 7, maxCost: 9 })).toBeNull();
    expect(measure(query, { defaultPageSize: 8, maxCost: 9 })).toMatchObject({ limit: "cost" });
  });

  it("edges count their page like nodes; first and last together bound the page by the smaller", () => {
    expect(measure("{ allBusinesses(first: 4, last: 3) { edges { node { id } } } }", { maxCost: 7 })).toBeNull(); // 1 + 3 edges + 3 nodes
    expect(measure("{ allBusinesses(first: 4, last: 3) { edges { node { id } } } }", { maxCost: 6 })).toMatchObject({ limit: "cost" });
  });

  it("a page size given by a variable is costed with its value", () => {
    const query = "query($n: Int) { allBusinesses(first: $n) { nodes { queues(first: $n) { nodes { id } } } } }";
    expect(measure(query, { maxCost: 1000 }, { n: 10 })).toBeNull(); // 1 + 10 + 10 + 100
    expect(measure(query, { maxCost: 1000 }, { n: 40 })).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit: "cost" });
  });

  it("lists: connections and plain lists of objects count; a connection's nodes and edges do not count again", () => {
    const query = "{ a: allBusinesses(first: 1) { nodes { tags { label } } edges { node { id } } } b: allBusinesses(first: 1) { totalCount } tags { label } }";
    // a, a.nodes.tags, b, tags
    expect(measure(query, { maxLists: 4 })).toBeNull();
    expect(measure(query, { maxLists: 3 })).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit: "lists", max: 3, found: 4 });
  });

  it("introspection is not costed, but its nested lists are capped", () => {
    expect(measure(getIntrospectionQuery(), { maxCost: 1, maxLists: 1 })).toBeNull();
    expect(measure("{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }")).toMatchObject({
      code: "QUERY_TOO_COMPLEX",
      limit: "introspectionLists",
    });
  });
});

describe("configuration", () => {
  it("the configured defaults are the library's defaults; PLANNING_TIMEOUT_MS defaults longer outside production", () => {
    expect(limitsFromConfig(loadConfig({ NODE_ENV: "production" }))).toEqual(defaultQueryLimits);
    expect(limitsFromConfig(loadConfig({ NODE_ENV: "development" })).planningTimeoutMs).toBe(500);
    expect(limitsFromConfig(loadConfig({ NODE_ENV: "production", PLANNING_TIMEOUT_MS: "250" })).planningTimeoutMs).toBe(250);
  });

  it("QUERY_LIMITS=off turns the limits off; inconsistent limits stop start-up naming the variable", () => {
    expect(limitsFromConfig(loadConfig({ QUERY_LIMITS: "off" })).enabled).toBe(false);
    expect(() => loadConfig({ PAGE_SIZE_DEFAULT: "500", PAGE_SIZE_MAX: "100" })).toThrowError(/PAGE_SIZE_DEFAULT: must not be larger than PAGE_SIZE_MAX/);
    expect(() => loadConfig({ QUERY_MAX_BYTES: "200000" })).toThrowError(/QUERY_MAX_BYTES/);
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: "60000", HTTP_REQUEST_TIMEOUT_MS: "30000" })).toThrowError(/HTTP_HEADERS_TIMEOUT_MS/);
    expect(() => loadConfig({ QUERY_MAX_DEPTH: "deep" })).toThrowError(/QUERY_MAX_DEPTH/);
  });
});
