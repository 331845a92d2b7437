// A whole day at a bakery, over GraphQL, with a real worker sending through
// the real AWS SDK to a local SNS endpoint: the exact SMS each customer gets,
// in order — confirmations, the reminder at two ahead, your turn, the timeout
// (missed, next one called), a customer's cancellation and the closing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SnsSmsSender } from "../../lib/sms/sns.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { startFakeSns, type PublishRequest } from "../helpers/fake-sns.ts";
import { createBusiness, createMerchant, type BusinessFixture } from "../helpers/fixtures.ts";
import { useTestServer } from "../helpers/server.ts";

const db = useTestDatabase();
// The endpoint must exist before the server's worker is built.
const fake = await startFakeSns();
const sender = new SnsSmsSender({
  region: "eu-west-3",
  endpoint: fake.url,
  credentials: { accessKeyId: "AKIATESTTESTTEST", secretAccessKey: "test-secret" },
});
const server = useTestServer(db, { worker: true, sms: sender });

afterAll(async () => {
  sender.destroy();
  await fake.close();
});

const BASE = "https://waitify.example";
let business: BusinessFixture;
let qrToken: string;

beforeAll(async () => {
  await db().root.query("update app_public.system_configs set value = $1 where key = 'public_url'", [BASE]);
  const merchant = await createMerchant(db(), { plan: "pro" });
  business = await createBusiness(db(), {
    merchant,
    name: "Boulangerie Paul",
    customMessage: "Pensez à votre carte fidélité.",
    open: false,
  });
  const { rows } = await db().root.query("select qr_code_token from app_public.queues where id = $1", [business.queueId]);
  qrToken = rows[0].qr_code_token;
});

/** Every message published since the last call, once `count` of them arrived. */
let seen = 0;
async function nextMessages(count: number): Promise<Array<[string, string]>> {
  const published = await fake.waitForPublished(seen + count);
  const batch = published.slice(seen, seen + count);
  seen += count;
  for (const request of batch) expectTransactional(request);
  return batch.map((request) => [request.phoneNumber, request.message]);
}

function expectTransactional(request: PublishRequest) {
  expect(request.attributes["AWS.SNS.SMS.SMSType"]).toEqual({ dataType: "String", stringValue: "Transactional" });
  expect(request.phoneNumber).toMatch(/^\+[1-9]\d{7,14}$/);
}

async function gql<T>(query: string, variables: Record<string, unknown>, headers?: Record<string, string>): Promise<T> {
  const { body } = await server().graphql<T>(query, variables, headers);
  expect(body.errors).toBeUndefined();
  return body.data!;
}

const join = async (phone: string) =>
  (
    await gql<{ joinQueue: { result: { entryToken: string; position: number } } }>(
      "mutation ($qr: String!, $phone: String!) { joinQueue(input: { qrToken: $qr, phone: $phone }) { result { entryToken position } } }",
      { qr: qrToken, phone },
    )
  ).joinQueue.result;

const merchant = () => business.merchant.headers;
const callNext = async () =>
  (
    await gql<{ callNext: { result: { rowId: string; phone: string } } }>(
      "mutation ($id: UUID!) { callNext(input: { queueId: $id }) { result { rowId phone } } }",
      { id: business.queueId },
      merchant(),
    )
  ).callNext.result;

const link = (token: string) => `${BASE}/e/${token}`;
const sorted = (messages: Array<[string, string]>) => [...messages].sort(([a], [b]) => a.localeCompare(b));

describe("a day at the bakery", () => {
  it("/health reports the SMS provider", async () => {
    const response = await fetch(`${server().url}/health`);
    // The provider, and the delivery state as the database sees it (nothing sent yet).
    expect(((await response.json()) as { sms: unknown }).sms).toEqual({
      provider: "sns",
      status: "ok",
      pending: 0,
      oldestPendingSeconds: null,
      lastFailureSeconds: null,
      failuresLastHour: 0,
      cappedLastHour: {},
    });
  });

  it("texts exactly the expected messages, in order", async () => {
    await gql("mutation ($id: UUID!) { openQueue(input: { queueId: $id }) { clientMutationId } }", { id: business.queueId }, merchant());

    // Morning: five customers scan the QR code (national numbers, stored and texted in E.164).
    const phones = ["06 11 11 11 01", "06 11 11 11 02", "06 11 11 11 03", "06 11 11 11 04", "06 11 11 11 05"];
    const e164 = phones.map((phone) => `+33${phone.replace(/\s/g, "").slice(1)}`);
    const [a, b, c, d, e] = [0, 1, 2, 3, 4].map((i) => e164[i]!);
    const tokens: string[] = [];
    for (const [i, phone] of phones.entries()) {
      const entry = await join(phone);
      tokens.push(entry.entryToken);
      expect(await nextMessages(1)).toEqual([
        [
          e164[i],
          `Votre place #${i + 1} chez Boulangerie Paul est confirmée, temps d'attente: ${i * 2}min. ` +
            `Pensez à votre carte fidélité. Suivi: ${link(entry.entryToken)}`,
        ],
      ]);
    }
    const [ta, tb, tc, td, te] = tokens as [string, string, string, string, string];

    // A is called; D now has two people ahead (B, C).
    expect((await callNext()).phone).toBe(a);
    expect(sorted(await nextMessages(2))).toEqual(
      sorted([
        [a, `C'est votre tour chez Boulangerie Paul ! Présentez-vous au comptoir. Pensez à votre carte fidélité. ${link(ta)}`],
        [d, `Plus que 2 clients devant vous chez Boulangerie Paul. Suivi: ${link(td)}`],
      ]),
    );
    const aId = (await db().root.query("select id from app_public.queue_entries where entry_token = $1", [ta])).rows[0].id;
    await gql("mutation ($id: UUID!) { markServed(input: { entryId: $id }) { clientMutationId } }", { id: aId }, merchant());

    // C gives up from the status page; E now has two ahead (B, D).
    await gql("mutation ($t: String!) { cancelEntry(input: { entryToken: $t }) { clientMutationId } }", { t: tc });
    expect(sorted(await nextMessages(2))).toEqual(
      sorted([
        [c, `Votre place chez Boulangerie Paul a été annulée. ${link(tc)}`],
        [e, `Plus que 2 clients devant vous chez Boulangerie Paul. Suivi: ${link(te)}`],
      ]),
    );

    // B is called and does not come: the timeout marks B missed and calls D.
    const called = await callNext();
    expect(called.phone).toBe(b);
    expect(await nextMessages(1)).toEqual([
      [b, `C'est votre tour chez Boulangerie Paul ! Présentez-vous au comptoir. Pensez à votre carte fidélité. ${link(tb)}`],
    ]);
    // Time passes: B's call is older than the queue's timeout, and the timeout job is due now.
    await db().root.query("update app_public.queue_entries set called_at = now() - interval '6 minutes' where id = $1", [called.rowId]);
    await db().root.query(
      "select graphile_worker.add_job('queue_timeout', json_build_object('entry_id', $1::uuid), job_key := 'queue_timeout:' || $1, run_at := now())",
      [called.rowId],
    );
    expect(sorted(await nextMessages(2))).toEqual(
      sorted([
        [b, `Votre tour chez Boulangerie Paul est passé. Rescannez le QR code. ${link(tb)}`],
        [d, `C'est votre tour chez Boulangerie Paul ! Présentez-vous au comptoir. Pensez à votre carte fidélité. ${link(td)}`],
      ]),
    );

    // F joins with one person ahead (E): confirmation, and no reminder ever.
    const f = "+33611111106";
    const tf = (await join("06 11 11 11 06")).entryToken;
    expect(await nextMessages(1)).toEqual([
      [f, `Votre place #2 chez Boulangerie Paul est confirmée, temps d'attente: 2min. Pensez à votre carte fidélité. Suivi: ${link(tf)}`],
    ]);

    // Evening: closing cancels E and F (D, called, stays with the desk).
    await gql("mutation ($id: UUID!) { closeQueue(input: { queueId: $id }) { clientMutationId } }", { id: business.queueId }, merchant());
    expect(sorted(await nextMessages(2))).toEqual(
      sorted([
        [e, `Votre place chez Boulangerie Paul a été annulée. ${link(te)}`],
        [f, `Votre place chez Boulangerie Paul a été annulée. ${link(tf)}`],
      ]),
    );

    // Nothing else was sent, nothing failed, and the log agrees with SNS
    // (once the worker recorded the last answer).
    for (let i = 0; i < 400; i++) {
      const pending = await db().root.query(
        "select count(*)::int as n from app_public.sms_logs where business_id = $1 and status = 'pending'",
        [business.businessId],
      );
      if (pending.rows[0].n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const { rows } = await db().root.query(
      "select status, count(*)::int as n, sum(parts)::int as parts from app_public.sms_logs where business_id = $1 group by status",
      [business.businessId],
    );
    expect(fake.requests).toHaveLength(seen);
    expect(rows).toEqual([{ status: "sent", n: seen, parts: expect.any(Number) }]);
    const counts = await db().root.query(
      "select phone, sms_sent_count from app_public.queue_entries where business_id = $1 order by phone",
      [business.businessId],
    );
    expect(counts.rows.map((row) => row.sms_sent_count)).toEqual([2, 3, 2, 3, 3, 2]);

    // The owner reads the month's usage (what billing will invoice) over GraphQL.
    const usage = await gql<{
      smsUsageTotal: number;
      smsUsageByBusiness: { nodes: Array<{ businessName: string; messages: number; parts: number }> };
    }>("{ smsUsageTotal smsUsageByBusiness { nodes { businessName messages parts } } }", {}, merchant());
    expect(usage.smsUsageByBusiness.nodes).toEqual([{ businessName: "Boulangerie Paul", messages: seen, parts: rows[0].parts }]);
    expect(usage.smsUsageTotal).toBe(rows[0].parts);
    // Customers see no SMS log.
    const anonymous = await server().graphql("{ allSmsLogs { totalCount } }");
    expect(anonymous.body.errors?.[0]?.message).toMatch(/Cannot query field/);
  });

  it("a business with SMS off texts nobody, and the status page still has the news", async () => {
    const quiet = await createBusiness(db(), { smsEnabled: false, name: "Pharmacie du Port" });
    const { rows } = await db().root.query("select qr_code_token from app_public.queues where id = $1", [quiet.queueId]);
    const before = fake.requests.length;
    const entry = (
      await gql<{ joinQueue: { result: { entryToken: string } } }>(
        "mutation ($qr: String!) { joinQueue(input: { qrToken: $qr, phone: \"0611111199\" }) { result { entryToken } } }",
        { qr: rows[0].qr_code_token },
      )
    ).joinQueue.result;
    const status = await gql<{ entryStatus: { status: string; position: number } }>(
      "query ($t: String!) { entryStatus(entryToken: $t) { status position } }",
      { t: entry.entryToken },
    );
    expect(status.entryStatus).toEqual({ status: "waiting", position: 1 });
    const logs = await db().root.query("select count(*)::int as n from app_public.sms_logs where business_id = $1", [quiet.businessId]);
    expect(logs.rows[0].n).toBe(0);
    // Prove the worker is idle rather than slow: a job enqueued after the join has run.
    await db().root.query("select graphile_worker.add_job('send_sms', json_build_object('sms_log_id', gen_random_uuid()), job_key := 'probe')");
    for (let i = 0; i < 200; i++) {
      const pending = await db().root.query("select count(*)::int as n from graphile_worker._private_jobs where key = 'probe'");
      if (pending.rows[0].n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(fake.requests.length).toBe(before);
  });
});
