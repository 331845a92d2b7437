// Realtime in SQL (db/realtime/channels.sql): the channel a subscription may
// listen to, asked as the request's role at subscribe time. A customer's token
// leads to their queue's channel; a queue's channel is for whoever may read
// the queue; the account's channel is the session's own; every refusal is a
// coded error, the same one the rest of the API gives in that case.
import { describe, expect, it } from "vitest";
import { asAdmin, asAnonymous, asMerchant, failure, useTestDatabase, type TestDatabase } from "../../helpers/db.ts";
import { createBusiness, join, phone } from "../../helpers/fixtures.ts";

const one = async (run: Promise<{ rows: Array<{ channel: string }> }>) => (await run).rows[0]!.channel;

describe("realtime (SQL): channels", () => {
  const db = useTestDatabase();
  const entryChannel = (database: TestDatabase, token: string) =>
    asAnonymous(database, (client) => one(client.query("select app_hidden.entry_channel($1) as channel", [token])));
  const queueChannelAs = (userId: string, queueId: string) =>
    asMerchant(db(), userId, (client) => one(client.query("select app_hidden.queue_channel($1) as channel", [queueId])));

  it("entry_channel: the customer's token gives their queue's channel; an unknown token is entryStatus's ENTRY_NOT_FOUND", async () => {
    const q = await createBusiness(db());
    const entry = await join(db(), q.qrToken, phone(1));
    expect(await entryChannel(db(), entry.entry_token)).toBe(`waitify:queue:${q.queueId}`);
    // Signed-in callers may follow a place too (the merchant's schema has entryChanged).
    expect(
      await asMerchant(db(), q.userId, (client) => one(client.query("select app_hidden.entry_channel($1) as channel", [entry.entry_token]))),
    ).toBe(`waitify:queue:${q.queueId}`);

    const unknown = await failure(entryChannel(db(), "x".repeat(32)));
    const statusOfUnknown = await failure(
      asAnonymous(db(), (client) => client.query("select app_public.entry_status($1)", ["x".repeat(32)])),
    );
    expect(unknown).toEqual({ code: "WTNFD", message: "Inscription introuvable." });
    expect(unknown).toEqual(statusOfUnknown);
  });

  it("queue_channel: the owner and the admin get it; another merchant gets callNext's NOT_FOUND; anonymous UNAUTHENTICATED", async () => {
    const q = await createBusiness(db());
    const other = await createBusiness(db());
    expect(await queueChannelAs(q.userId, q.queueId)).toBe(`waitify:queue:${q.queueId}`);
    expect(await asAdmin(db(), (client) => one(client.query("select app_hidden.queue_channel($1) as channel", [q.queueId])))).toBe(
      `waitify:queue:${q.queueId}`,
    );

    const refused = await failure(queueChannelAs(other.userId, q.queueId));
    const callNext = await failure(
      asMerchant(db(), other.userId, (client) => client.query("select app_public.call_next($1)", [q.queueId])),
    );
    expect(refused).toEqual({ code: "WTNFD", message: "File d'attente introuvable." });
    expect(refused).toEqual(callNext);
    // A queue that does not exist reads the same: existence does not leak.
    expect(await failure(queueChannelAs(other.userId, "00000000-0000-4000-8000-000000000000"))).toEqual(refused);

    expect(
      await failure(asAnonymous(db(), (client) => client.query("select app_hidden.queue_channel($1)", [q.queueId]))),
    ).toEqual({ code: "WTUNA", message: "Connexion requise." });
  });

  it("account_channel: the session's own account; anonymous UNAUTHENTICATED", async () => {
    const q = await createBusiness(db());
    expect(await asMerchant(db(), q.userId, (client) => one(client.query("select app_hidden.account_channel() as channel")))).toBe(
      `waitify:account:${q.userId}`,
    );
    expect(await failure(asAnonymous(db(), (client) => client.query("select app_hidden.account_channel()")))).toEqual({
      code: "WTUNA",
      message: "Connexion requise.",
    });
  });

  it("are callable by the request roles but not exposed by PostGraphile (app_hidden), and only entry_channel is SECURITY DEFINER", async () => {
    const { rows } = await db().root.query<{ name: string; definer: boolean; anonymous: boolean; merchant: boolean; admin: boolean }>(
      `select p.proname as name, p.prosecdef as definer,
              has_function_privilege('waitify_anonymous', p.oid, 'execute') as anonymous,
              has_function_privilege('waitify_merchant', p.oid, 'execute') as merchant,
              has_function_privilege('waitify_admin', p.oid, 'execute') as admin
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = 'app_hidden' and p.proname like '%channel%'
        order by 1`,
    );
    expect(rows).toEqual([
      { name: "account_channel", definer: false, anonymous: true, merchant: true, admin: true },
      { name: "channel_name", definer: false, anonymous: true, merchant: true, admin: true },
      { name: "entry_channel", definer: true, anonymous: true, merchant: true, admin: true },
      { name: "queue_channel", definer: false, anonymous: true, merchant: true, admin: true },
    ]);
  });
});
