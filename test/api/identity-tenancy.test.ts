// Tenancy over HTTP: merchant A's businesses, queues and account, tried
// through every generated query and mutation as merchant B and as anonymous.
// Nothing of A is visible or changeable by either; A's own requests work.
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../helpers/db.ts";
import { createMerchant, type TestMerchant } from "../helpers/fixtures.ts";
import { useTestServer, type GraphQLErrorBody } from "../helpers/server.ts";

const db = useTestDatabase();
const server = useTestServer(db);

interface BusinessData {
  id: string;
  rowId: string;
  name: string;
  queues: { nodes: { id: string; rowId: string; qrCodeToken: string }[] };
}

describe("merchant A's data, seen by A, by merchant B and by anonymous", () => {
  let a: TestMerchant;
  let b: TestMerchant;
  let business: BusinessData;
  const anonymous: Record<string, string> = {};

  beforeAll(async () => {
    a = await createMerchant(db(), { plan: "pro", email: "owner-a@example.test" });
    b = await createMerchant(db(), { plan: "pro" });
    const { body } = await server().graphql<{ createBusiness: { business: BusinessData } }>(
      `mutation {
        createBusiness(input: { business: { name: "Boulangerie A", businessType: bakery, phoneNumber: "06 11 22 33 44",
          openingHours: { monday: { open: "07:00", close: "19:00" }, sunday: { closed: true } } } }) {
          business { id rowId name queues { nodes { id rowId qrCodeToken } } }
        }
      }`,
      {},
      a.headers,
    );
    expect(body.errors).toBeUndefined();
    business = body.data!.createBusiness.business;
    expect(business.queues.nodes).toHaveLength(1);
  });

  const queue = () => business.queues.nodes[0]!;

  /** Runs the operation as A, B and anonymous. */
  async function asEach<T>(query: string, variables: Record<string, unknown> = {}) {
    const [owner, other, anon] = await Promise.all(
      [a.headers, b.headers, anonymous].map((headers) => server().graphql<T>(query, variables, headers)),
    );
    return { owner: owner!.body, other: other!.body, anon: anon!.body };
  }

  /** Runs a mutation as B and as anonymous only (A's own run would change the data). */
  async function asIntruders<T>(query: string, variables: Record<string, unknown> = {}) {
    const [other, anon] = await Promise.all(
      [b.headers, anonymous].map((headers) => server().graphql<T>(query, variables, headers)),
    );
    return { other: other!.body, anon: anon!.body };
  }

  const codes = (errors?: GraphQLErrorBody[]) => (errors ?? []).map((error) => error.extensions?.code ?? error.message);
  /**
   * B's attempt changed nothing: either a NOT_FOUND error (our functions) or,
   * for PostGraphile's generated updates, a payload without a record (RLS hid
   * the row, so no row matched). The owner's re-read below proves no change.
   */
  const expectNothingDone = (body: { data?: Record<string, unknown> | null; errors?: GraphQLErrorBody[] }) => {
    if (body.errors) {
      expect(codes(body.errors)).toEqual(["NOT_FOUND"]);
      return;
    }
    const [payload] = Object.values(body.data ?? {}) as (Record<string, unknown> | null)[];
    expect(payload === null || Object.values(payload).every((value) => value === null)).toBe(true);
  };
  /** Anonymous's schema has no such field at all: a validation error, no data. */
  const expectNotInSchema = (body: { data?: unknown; errors?: GraphQLErrorBody[] }) => {
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0]?.message).toMatch(/Cannot query field|Unknown type|Unknown argument/);
  };

  it("reads: businessByRowId, business(id), node(id), queueByRowId, queue(id), queueByQrCodeToken", async () => {
    const query = `query($rowId: UUID!, $id: ID!, $queueRowId: UUID!, $queueId: ID!, $token: String!) {
      businessByRowId(rowId: $rowId) { name }
      business(id: $id) { name }
      node(id: $id) { id }
      queueByRowId(rowId: $queueRowId) { qrCodeToken }
      queue(id: $queueId) { qrCodeToken }
      queueByQrCodeToken(qrCodeToken: $token) { rowId }
    }`;
    const variables = { rowId: business.rowId, id: business.id, queueRowId: queue().rowId, queueId: queue().id, token: queue().qrCodeToken };
    const { owner, other, anon } = await asEach<Record<string, unknown>>(query, variables);
    expect(owner.errors).toBeUndefined();
    expect(owner.data).toMatchObject({ businessByRowId: { name: "Boulangerie A" }, business: { name: "Boulangerie A" }, node: { id: business.id } });
    expect(owner.data!.queueByQrCodeToken).toEqual({ rowId: queue().rowId });
    expect(other.errors).toBeUndefined();
    expect(other.data).toEqual({ businessByRowId: null, business: null, node: null, queueByRowId: null, queue: null, queueByQrCodeToken: null });
    expectNotInSchema(anon);
    // Through node alone (which anonymous has), nothing either.
    const node = await server().graphql<{ node: unknown }>("query($id: ID!) { node(id: $id) { id } }", { id: business.id }, anonymous);
    expect(node.body.data?.node ?? null).toBeNull();
  });

  it("lists: myBusinesses, allQueues, allUsers, currentUser, userByEmail", async () => {
    const query = `query($email: String!) {
      myBusinesses(includeDeleted: true) { nodes { rowId } }
      allQueues { nodes { rowId } }
      allUsers { nodes { rowId } }
      currentUser { rowId }
      userByEmail(email: $email) { rowId }
    }`;
    const { owner, other, anon } = await asEach<{
      myBusinesses: { nodes: { rowId: string }[] };
      allQueues: { nodes: { rowId: string }[] };
      allUsers: { nodes: { rowId: string }[] };
      currentUser: { rowId: string };
      userByEmail: { rowId: string } | null;
    }>(query, { email: a.email });
    expect(owner.errors).toBeUndefined();
    expect(owner.data!.myBusinesses.nodes).toEqual([{ rowId: business.rowId }]);
    expect(owner.data!.allQueues.nodes).toEqual([{ rowId: queue().rowId }]);
    expect(owner.data!.allUsers.nodes).toEqual([{ rowId: a.userId }]);
    expect(owner.data!.userByEmail).toEqual({ rowId: a.userId });
    expect(other.errors).toBeUndefined();
    expect(other.data!.myBusinesses.nodes).toEqual([]);
    expect(other.data!.allQueues.nodes).toEqual([]);
    expect(other.data!.allUsers.nodes).toEqual([{ rowId: b.userId }]);
    expect(other.data!.currentUser).toEqual({ rowId: b.userId });
    expect(other.data!.userByEmail).toBeNull();
    expectNotInSchema(anon);
  });

  it("updateBusiness / updateBusinessByRowId", async () => {
    for (const [mutation, variables] of [
      [`mutation($id: ID!) { updateBusiness(input: { id: $id, businessPatch: { name: "Hijacked" } }) { business { name } } }`, { id: business.id }],
      [`mutation($rowId: UUID!) { updateBusinessByRowId(input: { rowId: $rowId, businessPatch: { name: "Hijacked" } }) { business { name } } }`, { rowId: business.rowId }],
    ] as const) {
      const { other, anon } = await asIntruders<Record<string, unknown>>(mutation, variables);
      expectNothingDone(other);
      expectNotInSchema(anon);
    }
    const check = await server().graphql<{ businessByRowId: { name: string } }>(
      "query($rowId: UUID!) { businessByRowId(rowId: $rowId) { name } }",
      { rowId: business.rowId },
      a.headers,
    );
    expect(check.body.data!.businessByRowId.name).toBe("Boulangerie A");
  });

  it("updateQueue / updateQueueByRowId / regenerateQrToken / createQueue on A's business", async () => {
    for (const [mutation, variables] of [
      [`mutation($id: ID!) { updateQueue(input: { id: $id, queuePatch: { maxQueueSize: 1 } }) { queue { maxQueueSize } } }`, { id: queue().id }],
      [`mutation($rowId: UUID!) { updateQueueByRowId(input: { rowId: $rowId, queuePatch: { maxQueueSize: 1 } }) { queue { maxQueueSize } } }`, { rowId: queue().rowId }],
      [`mutation($rowId: UUID!) { regenerateQrToken(input: { queueId: $rowId }) { queue { qrCodeToken } } }`, { rowId: queue().rowId }],
      [`mutation($businessId: UUID!) { createQueue(input: { queue: { businessId: $businessId, name: "Mine" } }) { queue { rowId } } }`, { businessId: business.rowId }],
    ] as const) {
      const { other, anon } = await asIntruders<Record<string, unknown>>(mutation, variables);
      expectNothingDone(other);
      expectNotInSchema(anon);
    }
    const check = await server().graphql<{ queueByRowId: { maxQueueSize: number; qrCodeToken: string } }>(
      "query($rowId: UUID!) { queueByRowId(rowId: $rowId) { maxQueueSize qrCodeToken } }",
      { rowId: queue().rowId },
      a.headers,
    );
    expect(check.body.data!.queueByRowId).toEqual({ maxQueueSize: 50, qrCodeToken: queue().qrCodeToken });
  });

  it("deleteBusiness / restoreBusiness", async () => {
    for (const name of ["deleteBusiness", "restoreBusiness"]) {
      const { other, anon } = await asIntruders<Record<string, unknown>>(
        `mutation($rowId: UUID!) { ${name}(input: { businessId: $rowId }) { business { isActive } } }`,
        { rowId: business.rowId },
      );
      expect(codes(other.errors)).toEqual(["NOT_FOUND"]);
      expectNotInSchema(anon);
    }
  });

  it("updateUser / updateUserByRowId / updateUserByEmail on A's account", async () => {
    const { body } = await server().graphql<{ currentUser: { id: string } }>("{ currentUser { id } }", {}, a.headers);
    for (const [mutation, variables] of [
      [`mutation($id: ID!) { updateUser(input: { id: $id, userPatch: { firstName: "Mallory" } }) { user { firstName } } }`, { id: body.data!.currentUser.id }],
      [`mutation($rowId: UUID!) { updateUserByRowId(input: { rowId: $rowId, userPatch: { firstName: "Mallory" } }) { user { firstName } } }`, { rowId: a.userId }],
      [`mutation($email: String!) { updateUserByEmail(input: { email: $email, userPatch: { firstName: "Mallory" } }) { user { firstName } } }`, { email: a.email }],
    ] as const) {
      const { other, anon } = await asIntruders<Record<string, unknown>>(mutation, variables);
      expectNothingDone(other);
      expectNotInSchema(anon);
    }
    const me = await server().graphql<{ currentUser: { firstName: string } }>("{ currentUser { firstName } }", {}, a.headers);
    expect(me.body.data!.currentUser.firstName).toBe("Test");
  });

  it("the owner's own mutations work", async () => {
    const update = await server().graphql<{ updateQueueByRowId: { queue: { maxQueueSize: number; clientTimeoutMinutes: number } } }>(
      `mutation($rowId: UUID!) { updateQueueByRowId(input: { rowId: $rowId, queuePatch: { maxQueueSize: 80, clientTimeoutMinutes: 10 } }) { queue { maxQueueSize clientTimeoutMinutes } } }`,
      { rowId: queue().rowId },
      a.headers,
    );
    expect(update.body.errors).toBeUndefined();
    expect(update.body.data!.updateQueueByRowId.queue).toEqual({ maxQueueSize: 80, clientTimeoutMinutes: 10 });
    const regenerated = await server().graphql<{ regenerateQrToken: { queue: { qrCodeToken: string } } }>(
      `mutation($rowId: UUID!) { regenerateQrToken(input: { queueId: $rowId }) { queue { qrCodeToken } } }`,
      { rowId: queue().rowId },
      a.headers,
    );
    expect(regenerated.body.errors).toBeUndefined();
    expect(regenerated.body.data!.regenerateQrToken.queue.qrCodeToken).not.toBe(queue().qrCodeToken);
    const profile = await server().graphql<{ updateUserByRowId: { user: { phoneNumber: string } } }>(
      `mutation($rowId: UUID!) { updateUserByRowId(input: { rowId: $rowId, userPatch: { phoneNumber: "06 98 76 54 32" } }) { user { phoneNumber } } }`,
      { rowId: a.userId },
      a.headers,
    );
    expect(profile.body.data!.updateUserByRowId.user.phoneNumber).toBe("+33698765432");
  });
});

describe("business rules reach the client as coded errors", () => {
  it("PLAN_LIMIT past the plan, VALIDATION for bad values, INVALID_PHONE, never a raw database error", async () => {
    const merchant = await createMerchant(db());
    const create = (business: Record<string, unknown>) =>
      server().graphql<{ createBusiness: { business: { rowId: string } } }>(
        "mutation($business: BusinessInput!) { createBusiness(input: { business: $business }) { business { rowId } } }",
        { business },
        merchant.headers,
      );
    const badHours = await create({ name: "Bad hours", openingHours: { monday: { open: "19:00", close: "07:00" } } });
    expect(badHours.body.errors?.[0]?.extensions?.code).toBe("VALIDATION");
    expect(badHours.body.errors?.[0]?.message).toMatch(/Horaires d'ouverture invalides/);
    const badPhone = await create({ name: "Bad phone", phoneNumber: "123" });
    expect(badPhone.body.errors?.[0]?.extensions?.code).toBe("INVALID_PHONE");

    const first = await create({ name: "First" });
    expect(first.body.errors).toBeUndefined();
    const second = await create({ name: "Second" });
    expect(second.body.data?.createBusiness ?? null).toBeNull();
    expect(second.body.errors?.[0]?.extensions?.code).toBe("PLAN_LIMIT");
    expect(second.body.errors?.[0]?.message).toMatch(/forfait « basic »/);

    const queueId = (
      await db().root.query<{ id: string }>("select id from app_public.queues where business_id = $1", [first.body.data!.createBusiness.business.rowId])
    ).rows[0]!.id;
    const tooBig = await server().graphql(
      `mutation($rowId: UUID!) { updateQueueByRowId(input: { rowId: $rowId, queuePatch: { maxQueueSize: 500 } }) { queue { maxQueueSize } } }`,
      { rowId: queueId },
      merchant.headers,
    );
    expect(tooBig.body.errors?.[0]?.extensions?.code).toBe("VALIDATION");
    const text = JSON.stringify(tooBig.body);
    expect(tooBig.body.errors?.[0]?.message).toBe("A value is out of the allowed range.");
    expect(text).not.toMatch(/violates|at .*\.(js|ts):\d+/);

    // Soft delete and restore over HTTP, then the limit applies to the restore.
    const deleted = await server().graphql<{ deleteBusiness: { business: { isActive: boolean } } }>(
      "mutation($id: UUID!) { deleteBusiness(input: { businessId: $id }) { business { isActive } } }",
      { id: first.body.data!.createBusiness.business.rowId },
      merchant.headers,
    );
    expect(deleted.body.data!.deleteBusiness.business.isActive).toBe(false);
    const list = await server().graphql<{ myBusinesses: { nodes: unknown[] } }>("{ myBusinesses { nodes { rowId } } }", {}, merchant.headers);
    expect(list.body.data!.myBusinesses.nodes).toEqual([]);
    expect((await create({ name: "Replacement" })).body.errors).toBeUndefined();
    const restore = await server().graphql(
      "mutation($id: UUID!) { restoreBusiness(input: { businessId: $id }) { business { isActive } } }",
      { id: first.body.data!.createBusiness.business.rowId },
      merchant.headers,
    );
    expect(restore.body.errors?.[0]?.extensions?.code).toBe("PLAN_LIMIT");
  });
});
