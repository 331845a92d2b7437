// Rate limits over real HTTP (lib/http/rate-limit/): counted in PostgreSQL so
// that two API processes on one database count together, per client address
// (believed from X-Forwarded-For only under TRUST_PROXY) or account; joinQueue
// per address, phone number and queue; sign-ins slowed down after failures
// without keeping their owner out; 429 with Retry-After and RATE_LIMITED;
// RATE_LIMITS=off; a slow store falls back to counting in memory.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RateLimitSettings } from "../../lib/http/rate-limit/settings.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { createBusiness, phone } from "../helpers/fixtures.ts";
import { startTestServer, type GraphQLErrorBody, type TestServer } from "../helpers/server.ts";

const db = useTestDatabase();

const JOIN = `mutation Join($qrToken: String!, $phone: String!) {
  joinQueue(input: { qrToken: $qrToken, phone: $phone }) { result { ticketNumber } }
}`;
const REGISTER = `mutation Register($email: String!) {
  register(input: { email: $email, password: "the right password", firstName: "Eve", lastName: "Durand" }) { jwtToken }
}`;
const AUTHENTICATE = `mutation SignIn($email: String!, $password: String!) {
  authenticate(input: { email: $email, password: $password }) { jwtToken }
}`;

const from = (address: string) => ({ "x-forwarded-for": address });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const codesOf = (errors: GraphQLErrorBody[] | undefined) => (errors ?? []).map((error) => error.extensions?.code);

/** A server with rate limits on: `settings` changed from the defaults, the rest as in production. */
function useLimitedServer(settings: Partial<RateLimitSettings>, trustProxy: boolean | string[] = ["loopback"]): () => TestServer {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startTestServer(db(), { rateLimits: settings, trustProxy });
  });
  afterAll(async () => {
    await server?.close();
  });
  return () => server!;
}

async function get(server: TestServer, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${path}`, { headers });
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body: (await response.json()) as { errors?: GraphQLErrorBody[] } };
}

/** A 429 as every limit answers it: Retry-After in whole seconds, and the coded body saying the same. */
function expectRateLimited(answer: { status: number; retryAfter?: string | null; body: { errors?: GraphQLErrorBody[] } }, maxSeconds: number) {
  expect(answer.status).toBe(429);
  const seconds = Number(answer.retryAfter);
  expect(seconds).toBeGreaterThanOrEqual(1);
  expect(seconds).toBeLessThanOrEqual(maxSeconds);
  expect(answer.body.errors).toHaveLength(1);
  expect(answer.body.errors![0]!.extensions).toEqual({ code: "RATE_LIMITED", retryAfterSeconds: seconds });
  expect(answer.body.errors![0]!.message).toMatch(/Trop de requêtes.*Too many requests/);
}

async function graphql(server: TestServer, query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
  const response = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body: (await response.json()) as { data?: Record<string, unknown>; errors?: GraphQLErrorBody[] } };
}

describe("requests per client, shared by two API processes", () => {
  const first = useLimitedServer({});
  const second = useLimitedServer({});

  it("refuses the 1001st request of a minute across both processes; other clients and /health are not affected", async () => {
    const client = from("198.51.100.1");
    const statuses: number[] = [];
    // 1000 requests, half to each process, 25 at a time.
    for (let batch = 0; batch < 40; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 25 }, (_, i) => get(i % 2 === 0 ? first() : second(), "/no-such-route", client)),
      );
      statuses.push(...answers.map((answer) => answer.status));
    }
    expect(statuses.filter((status) => status === 404)).toHaveLength(1000);
    expectRateLimited(await get(second(), "/no-such-route", client), 60);
    expectRateLimited(await get(first(), "/no-such-route", client), 60);
    // Another address, and the probes, still answer.
    expect((await get(first(), "/no-such-route", from("198.51.100.2"))).status).toBe(404);
    expect((await fetch(`${first().url}/health/live`, { headers: client })).status).toBe(200);
    // The count is one row in the shared table.
    const { rows } = await db().root.query<{ points: number }>("select points from app_private.rate_limits where key = $1", [
      "requests:address:198.51.100.1",
    ]);
    expect(rows[0]!.points).toBeGreaterThan(1000);
  });
});

describe("joinQueue", () => {
  const server = useLimitedServer({
    joinPerAddress: { points: 5, seconds: 600 },
    joinPerPhone: { points: 2, seconds: 3600 },
    joinPerQueue: { points: 8, seconds: 60 },
  });

  it("per phone number, however it is typed, whatever the address", async () => {
    const { qrToken } = await createBusiness(db());
    const tries = ["06 12 34 56 01", "+33 6 12 34 56 01", "0033612345601"];
    const first = await graphql(server(), JOIN, { qrToken, phone: tries[0] }, from("203.0.113.10"));
    expect(first.body.errors).toBeUndefined();
    const second = await graphql(server(), JOIN, { qrToken, phone: tries[1] }, from("203.0.113.11"));
    expect(codesOf(second.body.errors)).toEqual(["ALREADY_IN_QUEUE"]);
    expectRateLimited(await graphql(server(), JOIN, { qrToken, phone: tries[2] }, from("203.0.113.12")), 3600);
    // Another number is welcome.
    expect((await graphql(server(), JOIN, { qrToken, phone: phone(12345602) }, from("203.0.113.12"))).body.errors).toBeUndefined();
  });

  it("per address: five aliased joins count five, and a sixth is refused before anything runs", async () => {
    const { qrToken, queueId } = await createBusiness(db());
    const aliases = (count: number, offset: number) =>
      `mutation { ${Array.from({ length: count }, (_, i) => `j${i}: joinQueue(input: { qrToken: "${qrToken}", phone: "${phone(20000000 + offset + i)}" }) { result { ticketNumber } }`).join("\n")} }`;
    const five = await graphql(server(), aliases(5, 0), {}, from("203.0.113.20"));
    expect(five.status).toBe(200);
    expect(Object.keys(five.body.data!)).toHaveLength(5);
    expectRateLimited(await graphql(server(), JOIN, { qrToken, phone: phone(20000010) }, from("203.0.113.20")), 600);
    // Six at once from a fresh address: refused whole, nobody joined.
    expectRateLimited(await graphql(server(), aliases(6, 100), {}, from("203.0.113.21")), 600);
    const { rows } = await db().root.query<{ count: string }>("select count(*) from app_public.queue_entries where queue_id = $1", [queueId]);
    expect(Number(rows[0]!.count)).toBe(5);
    // Refused by its address's limit, that client spent nothing of the queue's
    // burst cap (8 a minute, 5 used): another address joins, twice.
    for (const [n, address] of [[20000011, "203.0.113.22"], [20000012, "203.0.113.23"]] as const) {
      expect((await graphql(server(), JOIN, { qrToken, phone: phone(n) }, from(address))).body.errors).toBeUndefined();
    }
  });

  it("per queue: a burst from many addresses and numbers is capped, other queues are not affected", async () => {
    const busy = await createBusiness(db());
    const quiet = await createBusiness(db());
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => graphql(server(), JOIN, { qrToken: busy.qrToken, phone: phone(30000000 + i) }, from(`203.0.113.${100 + i}`))),
    );
    expect(answers.filter((answer) => answer.status === 200 && !answer.body.errors)).toHaveLength(8);
    for (const refused of answers.filter((answer) => answer.status !== 200)) expectRateLimited(refused, 60);
    expect((await graphql(server(), JOIN, { qrToken: quiet.qrToken, phone: phone(30000099) }, from("203.0.113.99"))).body.errors).toBeUndefined();
  });
});

describe("GraphQL bodies read by the limits", () => {
  const server = useLimitedServer({});

  it("are handed on to grafserv intact, and one over GRAPHQL_MAX_BODY_BYTES is still 413 PAYLOAD_TOO_LARGE", async () => {
    const { qrToken } = await createBusiness(db());
    const text = `mutation { joinQueue(input: { qrToken: "${qrToken}", phone: "${phone(50000001)}" }) { result { ticketNumber } } }`;
    const asGraphQL = await fetch(`${server().url}/graphql`, { method: "POST", headers: { "content-type": "application/graphql", accept: "application/json", ...from("198.51.100.150") }, body: text });
    expect(asGraphQL.status).toBe(200);
    expect(((await asGraphQL.json()) as { data: { joinQueue: { result: { ticketNumber: number } } } }).data.joinQueue.result.ticketNumber).toBe(1);
    const huge = await graphql(server(), `{ __typename } # ${"x".repeat(200_000)}`, {}, from("198.51.100.150"));
    expect(huge.status).toBe(413);
    expect(codesOf(huge.body.errors)).toEqual(["PAYLOAD_TOO_LARGE"]);
  });
});

describe("sign-in", () => {
  const server = useLimitedServer({
    loginFreeFailures: 3,
    loginMaxDelaySeconds: 900,
    loginAccountFreeFailures: 6,
    loginAccountMaxDelaySeconds: 2,
    authPerAddress: { points: 12, seconds: 900 },
  });

  it("slows a guesser down with growing delays while the owner, from elsewhere, signs in", async () => {
    const email = "owner@example.test";
    expect((await graphql(server(), REGISTER, { email }, from("192.0.2.1"))).body.errors).toBeUndefined();
    const guesser = from("192.0.2.66");
    const guess = () => graphql(server(), AUTHENTICATE, { email: "  Owner@Example.test", password: "wrong guess" }, guesser);
    // Three free failures, then the fourth closes the pair for 1 s.
    for (let attempt = 0; attempt < 4; attempt++) expect(codesOf((await guess()).body.errors)).toEqual(["INVALID_CREDENTIALS"]);
    expectRateLimited(await guess(), 1);
    // Even the right password waits, from that address…
    expectRateLimited(await graphql(server(), AUTHENTICATE, { email, password: "the right password" }, guesser), 1);
    // …while the owner, from home, signs in now.
    const owner = await graphql(server(), AUTHENTICATE, { email, password: "the right password" }, from("192.0.2.2"));
    expect(typeof (owner.body.data!.authenticate as { jwtToken: string }).jwtToken).toBe("string");
    // The owner's success forgot the account's failures, not the guesser's delay: next failure, 2 s.
    await sleep(1_100);
    expect(codesOf((await guess()).body.errors)).toEqual(["INVALID_CREDENTIALS"]);
    const refused = await guess();
    expectRateLimited(refused, 2);
    expect(refused.retryAfter).toBe("2");
  });

  it("an account guessed from many addresses is closed only briefly, then its owner signs in", async () => {
    const email = "target@example.test";
    expect((await graphql(server(), REGISTER, { email }, from("192.0.2.3"))).body.errors).toBeUndefined();
    // Seven failures from seven addresses: past the account's six free ones.
    for (let i = 0; i < 7; i++) {
      const answer = await graphql(server(), AUTHENTICATE, { email, password: `guess ${i}` }, from(`192.0.2.${10 + i}`));
      expect(codesOf(answer.body.errors)).toEqual(["INVALID_CREDENTIALS"]);
    }
    // Everyone waits, the owner too — but at most loginAccountMaxDelaySeconds.
    expectRateLimited(await graphql(server(), AUTHENTICATE, { email, password: "the right password" }, from("192.0.2.4")), 2);
    await sleep(1_100);
    const owner = await graphql(server(), AUTHENTICATE, { email, password: "the right password" }, from("192.0.2.4"));
    expect(owner.body.errors).toBeUndefined();
  });

  it("sign-in and account mutations are limited per address, a document's fields each counted", async () => {
    const address = from("192.0.2.200");
    const resets = `mutation { ${Array.from({ length: 12 }, (_, i) => `r${i}: requestPasswordReset(input: { email: "nobody${i}@example.test" }) { clientMutationId }`).join(" ")} }`;
    expect((await graphql(server(), resets, {}, address)).status).toBe(200);
    expectRateLimited(await graphql(server(), REGISTER, { email: "late@example.test" }, address), 900);
    expect((await graphql(server(), REGISTER, { email: "late@example.test" }, from("192.0.2.201"))).body.errors).toBeUndefined();
  });
});

describe("TRUST_PROXY", () => {
  const trusting = useLimitedServer({ requests: { points: 3, seconds: 60 } }, ["loopback"]);
  const notTrusting = useLimitedServer({ requests: { points: 3, seconds: 60 } }, false);

  it("off (the default): X-Forwarded-For is ignored, every request counts against the socket's address", async () => {
    for (let i = 0; i < 3; i++) expect((await get(notTrusting(), "/nope", from(`203.0.113.${i}`))).status).toBe(404);
    expectRateLimited(await get(notTrusting(), "/nope", from("203.0.113.250")), 60);
  });

  it("on, for the local proxy: each forwarded address counts alone; a client cannot prepend its way out", async () => {
    for (let i = 0; i < 3; i++) expect((await get(trusting(), "/nope", from("198.51.100.7"))).status).toBe(404);
    expectRateLimited(await get(trusting(), "/nope", from("198.51.100.7")), 60);
    // A forged address in front of the one the (trusted) proxy appended changes nothing.
    expectRateLimited(await get(trusting(), "/nope", from("10.9.9.9, 198.51.100.7")), 60);
    expect((await get(trusting(), "/nope", from("198.51.100.8"))).status).toBe(404);
  });
});

describe("RATE_LIMITS=off", () => {
  const server = useLimitedServer({ enabled: false, requests: { points: 2, seconds: 60 } });

  it("counts nothing and refuses nothing", async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => get(server(), "/nope", from("198.51.100.77"))));
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(404));
    const { rows } = await db().root.query("select key from app_private.rate_limits where key like '%198.51.100.77%'");
    expect(rows).toEqual([]);
  });
});

describe("a slow store", () => {
  const server = useLimitedServer({ requests: { points: 3, seconds: 60 }, storeTimeoutMs: 100 });

  it("does not hold requests: past the timeout each process counts in memory, the limit still holds", async () => {
    const locker = await db().root.connect();
    try {
      await locker.query("begin");
      await locker.query("lock table app_private.rate_limits in access exclusive mode");
      const started = Date.now();
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await get(server(), "/nope", from("198.51.100.99"))).status);
      expect(statuses).toEqual([404, 404, 404, 429]);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await locker.query("rollback");
      locker.release();
    }
  });
});
