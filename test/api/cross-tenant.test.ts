// Cross-tenant suite: every query field, connection and mutation of the
// merchant and anonymous schemas (read by introspection, so a new field is
// covered the day it appears), called as another merchant (B) and as
// anonymous with every identifier of merchant A's data — the account, its
// business, queue, entries, SMS logs, account events, billing statement — in
// every id-shaped argument, condition and patch. Nothing of A's comes back,
// every refusal is coded, and A's rows (a fingerprint of every row of every
// table that belongs to A) are the same afterwards. The same requests sent by
// A do return A's data: the probe reaches what it means to protect.
//
// Secrets that grant access by design (the printed QR token lets anyone
// join; an entry token is its customer's key) are not given to the
// attackers: holding them is being that customer, not another tenant.
import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isInterfaceType,
  isObjectType,
  type GraphQLInputType,
  type GraphQLOutputType,
  type IntrospectionQuery,
} from "postgraphile/graphql";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../helpers/db.ts";
import { createBusiness, createMerchant, join, phone, type BusinessFixture } from "../helpers/fixtures.ts";
import { literal, operationsOf, type FuzzOperation } from "../helpers/fuzz.ts";
import { useTestServer, type GraphQLErrorBody } from "../helpers/server.ts";

/**
 * Public by design, for anyone who knows an address: asking for a password
 * reset writes a reset token and an email for that account. The suite still
 * checks that nothing is returned and every refusal is coded.
 */
const CHANGES_TENANT_BY_DESIGN = new Set(["requestPasswordReset"]);

const ID_NAME = /(^id$|Id$|^nodeId$|^rowId$)/;

interface Identifiers {
  nodeIds: string[];
  uuids: string[];
  /** A's uuids by the column names that hold them (businessId → A's business…). */
  byName: Record<string, string[]>;
  email: string;
}

/** The uuid for an argument or field named `name`, variant k. */
function uuidFor(name: string, ids: Identifiers, k: number): string {
  const pool = ids.byName[name] ?? ids.uuids;
  return pool[k % pool.length]!;
}

/** A value for an input type, aimed at A's identifiers (variant k picks which). */
function valueFor(type: GraphQLInputType, name: string, ids: Identifiers, k: number, depth = 0): unknown {
  if (isNonNullType(type)) return valueFor(type.ofType, name, ids, k, depth);
  if (isListType(type)) return [valueFor(type.ofType, name, ids, k, depth + 1)];
  if (isEnumType(type)) return type.getValues()[0]!.name;
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields());
    const object: Record<string, unknown> = {};
    const patch = /Patch$/.test(type.name);
    let patched = false;
    // A condition filters on one identifier at a time (several would match nothing).
    const idFields = fields.filter((field) => ID_NAME.test(field.name) && ["UUID", "ID"].includes(getNamedType(field.type).name));
    const conditionField = /Condition$/.test(type.name) ? idFields[k % Math.max(idFields.length, 1)] : undefined;
    for (const field of fields) {
      const inner = getNamedType(field.type);
      const idLike = ID_NAME.test(field.name) && ["UUID", "ID"].includes(inner.name) && (!conditionField || field === conditionField);
      // Required fields always; identifiers always (conditions, inputs); one
      // harmless text field of a patch, so the update has something to do.
      if (isNonNullType(field.type) || idLike || (depth < 3 && isInputObjectType(inner) && !patch)) {
        object[field.name] = valueFor(field.type, field.name, ids, k, depth + 1);
      } else if (patch && !patched && inner.name === "String") {
        object[field.name] = "Changed by another tenant";
        patched = true;
      }
    }
    return object;
  }
  switch (getNamedType(type).name) {
    case "ID":
      return ids.nodeIds[k % ids.nodeIds.length];
    case "UUID":
      return uuidFor(name, ids, k);
    case "Int":
    case "Float":
      return 1;
    case "BigInt":
    case "BigFloat":
      return "1";
    case "Boolean":
      return true;
    case "Datetime":
      return "2026-01-01T00:00:00Z";
    case "Date":
      return "2026-01-01";
    case "JSON":
      return {};
    case "Cursor":
      return null;
    default:
      return /email/i.test(name) ? ids.email : "x";
  }
}

// What the probes select: identifiers and identifying texts (the markers), in
// the result, its connection's nodes, and the objects of a payload. Not every
// scalar: a field one role cannot select would refuse the whole answer, and a
// probe refused for that reason proves nothing about tenancy.
const PROBED_FIELD = /^(id|rowId|\w+Id|name|email|phone|clientName|qrCodeToken|detail|totalCount)$/;

function probeSelection(type: GraphQLOutputType, depth = 0): string {
  const named = getNamedType(type);
  if (!isObjectType(named) && !isInterfaceType(named)) return "";
  const parts = ["__typename"];
  for (const field of Object.values(named.getFields())) {
    if (field.args.some((arg) => isNonNullType(arg.type))) continue;
    const inner = getNamedType(field.type);
    if (!isObjectType(inner) && !isInterfaceType(inner)) {
      if (PROBED_FIELD.test(field.name)) parts.push(field.name);
    } else if (depth < 2 && (field.name === "nodes" || depth === 0)) {
      parts.push(`${field.name} ${probeSelection(field.type, depth + 1)}`);
    }
  }
  return `{ ${parts.join(" ")} }`;
}

/** The requests for one operation: one per identifier of A. */
function requestsFor(operation: FuzzOperation, ids: Identifiers): string[] {
  const variants = Math.max(ids.nodeIds.length, ids.uuids.length);
  const requests = new Set<string>();
  // Variant -1: the required arguments only (a bare connection: everything the caller may see).
  for (let k = -1; k < variants; k++) {
    const args = operation.field.args.filter((arg) => {
      const named = getNamedType(arg.type);
      if (isNonNullType(arg.type)) return true;
      return k >= 0 && ((ID_NAME.test(arg.name) && ["UUID", "ID"].includes(named.name)) || ["condition", "input"].includes(arg.name));
    });
    const list = args.map((arg) => `${arg.name}: ${literal(valueFor(arg.type, arg.name, ids, Math.max(k, 0)), arg.type)}`).join(", ");
    const call = list ? `${operation.field.name}(${list})` : operation.field.name;
    requests.add(`${operation.kind} CrossTenant { ${call} ${probeSelection(operation.field.type)} }`);
  }
  return [...requests];
}

describe("another tenant and anonymous reach nothing of merchant A", () => {
  const db = useTestDatabase();
  const server = useTestServer(db);
  let a: BusinessFixture;
  let b: BusinessFixture;
  let ids: Identifiers;
  /** Values of A's that must never appear in an attacker's data. */
  let markers: string[];
  let fingerprintQuery: string;
  const schemas = new Map<string, FuzzOperation[]>();

  beforeAll(async () => {
    a = await createBusiness(db(), { name: "Boulangerie Alpha-7c1e" });
    b = await createBusiness(db(), { name: "Pharmacie Beta" });
    const entries = [await join(db(), a.qrToken, phone(71), "Client Alpha"), await join(db(), a.qrToken, phone(72))];
    // A's account has events, a statement and SMS logs (the joins above).
    await db().root.query("update app_public.users set subscription_plan_id = (select id from app_public.subscription_plans where name = 'pro') where id = $1", [a.userId]);
    await db().root.query("select app_private.compute_statement($1, date_trunc('month', now())::date)", [a.userId]);
    const uuidRows = await db().root.query<{ id: string }>(
      `select id::text from app_public.users where id = $1
       union all select id::text from app_public.businesses where user_id = $1
       union all select id::text from app_public.queues where business_id in (select id from app_public.businesses where user_id = $1)
       union all select id::text from app_public.queue_entries where business_id in (select id from app_public.businesses where user_id = $1)
       union all select id::text from app_public.sms_logs where user_id = $1
       union all select id::text from app_public.billing_statements where user_id = $1`,
      [a.userId],
    );
    const entryRows = await db().root.query<{ id: string }>("select id::text from app_public.queue_entries where business_id = $1", [a.businessId]);
    const entryIds = entryRows.rows.map((row) => row.id);
    const nodeData = await server().graphql<{
      currentUser: { id: string };
      myBusinesses: { nodes: { id: string; queues: { nodes: { id: string }[] } }[] };
      allQueueEntries: { nodes: { id: string }[] };
      allSmsLogs: { nodes: { id: string }[] };
      allAccountEvents: { nodes: { id: string; rowId: string }[] };
      allBillingStatements: { nodes: { id: string }[] };
    }>(
      `{ currentUser { id } myBusinesses { nodes { id queues { nodes { id } } } } allQueueEntries { nodes { id } }
         allSmsLogs { nodes { id } } allAccountEvents { nodes { id rowId } } allBillingStatements { nodes { id } } }`,
      undefined,
      a.merchant.headers,
    );
    expect(nodeData.body.errors).toBeUndefined();
    const data = nodeData.body.data!;
    ids = {
      nodeIds: [
        data.currentUser.id,
        ...data.myBusinesses.nodes.flatMap((business) => [business.id, ...business.queues.nodes.map((queue) => queue.id)]),
        ...data.allQueueEntries.nodes.map((entry) => entry.id),
        ...data.allSmsLogs.nodes.map((log) => log.id),
        ...data.allAccountEvents.nodes.map((event) => event.id),
        ...data.allBillingStatements.nodes.map((statement) => statement.id),
      ],
      uuids: uuidRows.rows.map((row) => row.id),
      byName: {
        userId: [a.userId],
        businessId: [a.businessId],
        queueId: [a.queueId],
        queueEntryId: entryIds,
      },
      email: a.merchant.email,
    };
    expect(data.allQueueEntries.nodes).toHaveLength(2);
    expect(data.allSmsLogs.nodes.length).toBeGreaterThanOrEqual(2);
    expect(data.allAccountEvents.nodes.length).toBeGreaterThanOrEqual(1);
    expect(data.allBillingStatements.nodes).toHaveLength(1);
    markers = [...ids.nodeIds, ...ids.uuids, a.merchant.email, a.name, "Client Alpha", a.qrToken, ...entries.map((entry) => entry.entry_token), phone(71), phone(72)];

    // Every row of A's, in every table that says whose it is.
    const tables = await db().root.query<{ schema: string; name: string; owner_column: string }>(`
      select c.table_schema as schema, c.table_name as name,
             (array_agg(c.column_name order by case c.column_name when 'user_id' then 0 when 'business_id' then 1 else 2 end))[1] as owner_column
        from information_schema.columns c
        join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
       where c.table_schema in ('app_public', 'app_private') and c.column_name in ('user_id', 'business_id', 'queue_id')
       group by 1, 2 order by 1, 2`);
    const scope: Record<string, string> = {
      user_id: "$1::uuid",
      business_id: "(select id from app_public.businesses where user_id = $1::uuid)",
      queue_id: "(select q.id from app_public.queues q join app_public.businesses b on b.id = q.business_id where b.user_id = $1::uuid)",
    };
    const parts = tables.rows.map(
      ({ schema, name, owner_column: column }) =>
        `'${name}:' || (select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from ${schema}.${name} t where ${column} in (${scope[column]}))`,
    );
    parts.push(`'users:' || (select md5(t::text) from app_public.users t where id = $1::uuid)`);
    fingerprintQuery = `select concat_ws(',', ${parts.join(", ")}) as fingerprint`;

    for (const [role, headers] of [["merchant", b.merchant.headers], ["anonymous", {}]] as const) {
      const introspection = await server().graphql<IntrospectionQuery>(getIntrospectionQuery(), undefined, headers);
      schemas.set(role, operationsOf(buildClientSchema(introspection.body.data!)));
    }
  });

  const fingerprint = async () => (await db().root.query<{ fingerprint: string }>(fingerprintQuery, [a.userId])).rows[0]!.fingerprint;

  async function send(query: string, headers: Record<string, string>) {
    const response = await fetch(`${server().url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...headers },
      body: JSON.stringify({ query }),
    });
    return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: GraphQLErrorBody[] } };
  }

  it("the fingerprint covers A's rows and sees a change to any of them", async () => {
    expect(fingerprintQuery).toMatch(/queue_entries:/);
    expect(fingerprintQuery).toMatch(/account_events:/);
    expect(fingerprintQuery).toMatch(/billing_statements:/);
    const before = await fingerprint();
    await db().root.query("update app_public.queue_entries set client_name = 'Changed' where business_id = $1 and client_name = 'Client Alpha'", [a.businessId]);
    expect(await fingerprint()).not.toBe(before);
    await db().root.query("update app_public.queue_entries set client_name = 'Client Alpha' where business_id = $1 and client_name = 'Changed'", [a.businessId]);
  });

  it("the same requests sent by A reach A's data (the probe is aimed right)", async () => {
    const reached: string[] = [];
    for (const operation of schemas.get("merchant")!.filter((candidate) => candidate.kind === "query")) {
      for (const query of requestsFor(operation, ids)) {
        const { body } = await send(query, a.merchant.headers);
        if (markers.some((marker) => JSON.stringify(body.data ?? null).includes(marker))) {
          reached.push(operation.field.name);
          break;
        }
      }
    }
    expect(reached).toEqual(expect.arrayContaining(["myBusinesses", "allQueueEntries", "allSmsLogs", "allAccountEvents", "allBillingStatements", "node"]));
  }, 120_000);

  it.each([["merchant"], ["anonymous"]] as const)(
    "as %s: nothing of A's returned, every refusal coded, A's rows unchanged",
    async (role) => {
      const headers = role === "merchant" ? b.merchant.headers : {};
      const operations = schemas.get(role)!;
      expect(operations.length).toBeGreaterThan(role === "merchant" ? 60 : 15);
      const problems: string[] = [];
      let requests = 0;
      for (const operation of operations) {
        const before = await fingerprint();
        for (const query of requestsFor(operation, ids)) {
          requests++;
          const { status, body } = await send(query, headers);
          const where = `${role} ${operation.field.name}: ${query.slice(0, 300)} → ${status} ${JSON.stringify(body).slice(0, 300)}`;
          const data = JSON.stringify(body.data ?? null);
          const leaked = markers.filter((marker) => data.includes(marker));
          if (leaked.length > 0) problems.push(`${where}: returned ${leaked.join(", ")}`);
          // Error texts may echo what the caller sent, never what they did not.
          const errorText = JSON.stringify(body.errors ?? []);
          if ([a.name, "Client Alpha", phone(71), phone(72), a.qrToken].some((marker) => errorText.includes(marker))) problems.push(`${where}: an error names A's data`);
          if (status >= 500) problems.push(`${where}: ${status}`);
          for (const error of body.errors ?? []) {
            if (typeof error.extensions?.code !== "string" || error.extensions.code === "INTERNAL") problems.push(`${where}: uncoded or INTERNAL error`);
          }
        }
        if (operation.kind === "mutation" && !CHANGES_TENANT_BY_DESIGN.has(operation.field.name) && (await fingerprint()) !== before) {
          problems.push(`${role} ${operation.field.name}: changed A's rows`);
        }
      }
      expect(requests).toBeGreaterThan(operations.length);
      expect(problems).toEqual([]);
    },
    300_000,
  );

  it.each(["qr.svg", "qr.png", "poster.pdf"])("GET /queues/<A's queue>/%s: 404 for B, 401 for anonymous", async (file) => {
    const url = `${server().url}/queues/${a.queueId}/${file}`;
    const other = await fetch(url, { headers: b.merchant.headers });
    expect(other.status).toBe(404);
    expect(((await other.json()) as { errors: GraphQLErrorBody[] }).errors[0]!.extensions!.code).toBe("NOT_FOUND");
    expect((await fetch(url)).status).toBe(401);
    // A gets it: the refusal is about the tenant, not the route.
    expect((await fetch(url, { headers: a.merchant.headers })).status).toBe(200);
  });

  it("a fresh merchant with nothing sees no rows at all in any connection", async () => {
    const empty = await createMerchant(db());
    const { body } = await server().graphql<Record<string, { totalCount: number }>>(
      "{ allQueueEntries { totalCount } allSmsLogs { totalCount } allAccountEvents { totalCount } allBillingStatements { totalCount } myBusinesses { totalCount } }",
      undefined,
      empty.headers,
    );
    expect(body.errors).toBeUndefined();
    expect(body.data!.allQueueEntries!.totalCount).toBe(0);
    expect(body.data!.allSmsLogs!.totalCount).toBe(0);
    expect(body.data!.allBillingStatements!.totalCount).toBe(0);
    expect(body.data!.myBusinesses!.totalCount).toBe(0);
  });
});
