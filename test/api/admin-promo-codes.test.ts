// Promo codes over real HTTP, the real Stripe SDK against the local fake (its
// catalog made by stripe:sync) and a real worker for the webhooks: an admin
// creates each kind (Stripe holds a coupon restricted to the plan products
// and a promotion code with the limits; an audit row each), a merchant
// applies one at checkout and its use is counted when the subscription
// starts; expired, exhausted, disabled and unknown codes are refused with
// their codes before any Stripe session; only an admin with a row can write.
import { describe, expect, it } from "vitest";
import { adminHeaders } from "../helpers/auth.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { createAdmin, createMerchant } from "../helpers/fixtures.ts";
import { CHECKOUT, deliver, sessionIdOf, useBillingEnvironment } from "../helpers/billing.ts";
import type { GraphQLErrorBody } from "../helpers/server.ts";

const db = useTestDatabase();
const env = useBillingEnvironment(db);

const FIELDS = "rowId code kind value currency duration durationMonths maxUses validFrom validUntil active timesUsed stripeCouponId stripePromotionCodeId createdBy";
const CREATE = `mutation ($input: AdminCreatePromoCodeInput!) { adminCreatePromoCode(input: $input) { promoCode { ${FIELDS} } } }`;
const DISABLE = `mutation ($input: AdminDisablePromoCodeInput!) { adminDisablePromoCode(input: $input) { promoCode { ${FIELDS} } } }`;

interface PromoCode {
  rowId: string;
  code: string;
  kind: string;
  value: number;
  currency: string | null;
  duration: string;
  durationMonths: number | null;
  maxUses: number | null;
  validFrom: string;
  validUntil: string | null;
  active: boolean;
  timesUsed: number;
  stripeCouponId: string;
  stripePromotionCodeId: string;
  createdBy: string;
}

type Headers = Record<string, string>;

async function create(headers: Headers, input: Record<string, unknown>) {
  const { body } = await env().server.graphql<{ adminCreatePromoCode: { promoCode: PromoCode } | null }>(CREATE, { input }, headers);
  return body;
}

async function created(headers: Headers, input: Record<string, unknown>): Promise<PromoCode> {
  const body = await create(headers, input);
  expect(body.errors).toBeUndefined();
  return body.data!.adminCreatePromoCode!.promoCode;
}

async function disable(headers: Headers, input: Record<string, unknown>) {
  const { body } = await env().server.graphql<{ adminDisablePromoCode: { promoCode: PromoCode } | null }>(DISABLE, { input }, headers);
  return body;
}

async function checkout(headers: Headers, input: Record<string, unknown>) {
  const { body } = await env().server.graphql<{ createCheckoutSession: { url: string } | null }>(CHECKOUT, { input }, headers);
  return body;
}

const firstError = (body: { errors?: unknown }) => (body.errors as GraphQLErrorBody[] | undefined)?.[0];

/** The plan products and the SMS overage product, as stripe:sync recorded them. */
async function products(): Promise<{ plans: string[]; overage: string[] }> {
  const { rows } = await db().root.query<{ kind: string; products: string[] }>(
    "select kind, array_agg(distinct stripe_product_id order by stripe_product_id) as products from app_private.stripe_prices group by kind",
  );
  const of = (kind: string) => rows.find((row) => row.kind === kind)!.products;
  return { plans: of("licensed"), overage: of("overage") };
}

async function timesUsed(id: string): Promise<number> {
  const { rows } = await db().root.query<{ times_used: number }>("select times_used from app_public.promo_codes where id = $1", [id]);
  return rows[0]!.times_used;
}

async function auditOf(targetId: string) {
  const { rows } = await db().root.query<{ admin_id: string; action: string; before: unknown; after: Record<string, unknown> | null; reason: string | null }>(
    "select admin_id, action, before, after, reason from app_public.admin_audit_log where target_type = 'promo_code' and target_id = $1 order by created_at, id",
    [targetId],
  );
  return rows;
}

/** The merchant subscribes with the code: checkout, paid at Stripe, webhooks processed by the worker. */
async function subscribeWith(headers: Headers, code: string) {
  const body = await checkout(headers, { plan: "basic", promotionCode: code });
  expect(body.errors).toBeUndefined();
  const sessionId = sessionIdOf(body.data!.createCheckoutSession!.url);
  return { sessionId, completion: env().fake.completeCheckout(sessionId) };
}

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

describe("adminCreatePromoCode", () => {
  it("creates each kind: a coupon restricted to the plan products (never the SMS overage), a promotion code with the limits, an audit row", async () => {
    const admin = await createAdmin(db());
    const { fake } = env();
    const { plans, overage } = await products();
    const until = inDays(30);

    const percentage = await created(admin.headers, {
      code: "printemps-20",
      kind: "PERCENTAGE",
      value: 20,
      duration: "REPEATING",
      durationMonths: 3,
      maxUses: 10,
      validUntil: until,
    });
    expect(percentage).toMatchObject({
      code: "PRINTEMPS-20",
      kind: "percentage",
      value: 20,
      currency: null,
      duration: "repeating",
      durationMonths: 3,
      maxUses: 10,
      active: true,
      timesUsed: 0,
      createdBy: admin.adminId,
    });
    expect(new Date(percentage.validUntil!).toISOString()).toBe(until);
    const fixed = await created(admin.headers, { code: "CINQ-EUROS", kind: "FIXED_AMOUNT", value: 500 });
    expect(fixed).toMatchObject({ kind: "fixed_amount", value: 500, currency: "eur", duration: "once", durationMonths: null, maxUses: null });
    const free = await created(admin.headers, { code: "DEUX-MOIS", kind: "FREE_MONTHS", value: 2 });
    expect(free).toMatchObject({ kind: "free_months", value: 2, duration: "repeating", durationMonths: 2 });

    expect(fake.get(percentage.stripeCouponId, ["applies_to"])).toMatchObject({
      percent_off: 20,
      amount_off: null,
      duration: "repeating",
      duration_in_months: 3,
      applies_to: { products: plans },
    });
    expect(fake.get(fixed.stripeCouponId, ["applies_to"])).toMatchObject({ amount_off: 500, currency: "eur", duration: "once", applies_to: { products: plans } });
    expect(fake.get(free.stripeCouponId, ["applies_to"])).toMatchObject({ percent_off: 100, duration: "repeating", duration_in_months: 2, applies_to: { products: plans } });
    for (const code of [percentage, fixed, free]) {
      const { products: restricted } = fake.get(code.stripeCouponId, ["applies_to"])!.applies_to as { products: string[] };
      expect(restricted.length).toBeGreaterThan(0);
      for (const product of overage) expect(restricted).not.toContain(product);
    }
    expect(fake.get(percentage.stripePromotionCodeId)).toMatchObject({
      code: "PRINTEMPS-20",
      active: true,
      max_redemptions: 10,
      expires_at: Math.floor(new Date(until).getTime() / 1000),
      promotion: { type: "coupon", coupon: percentage.stripeCouponId },
    });
    expect(fake.get(fixed.stripePromotionCodeId)).toMatchObject({ code: "CINQ-EUROS", max_redemptions: null, expires_at: null });

    // Stripe first, with idempotency keys.
    const posts = fake.requests({ method: "POST" }).filter((request) => /^\/v1\/(coupons|promotion_codes)$/.test(request.path));
    expect(posts.length).toBe(6);
    for (const request of posts) expect(request.idempotencyKey).toMatch(/^waitify-(coupon|promotion-code)-/);

    for (const code of [percentage, fixed, free]) {
      const audit = await auditOf(code.rowId);
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ admin_id: admin.adminId, action: "create_promo_code", before: null });
      expect(audit[0]!.after).toMatchObject({ code: code.code, kind: code.kind, stripe_promotion_code_id: code.stripePromotionCodeId });
    }
  });

  it("refuses bad input and a taken code in SQL, before anything is sent to Stripe", async () => {
    const admin = await createAdmin(db());
    await created(admin.headers, { code: "DEJA-PRIS", kind: "PERCENTAGE", value: 10 });
    const before = env().fake.requests().length;
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ code: "ab", kind: "PERCENTAGE", value: 10 }, "VALIDATION", "Le code doit faire de 3 à 40 caractères : lettres, chiffres et tirets."],
      [{ code: "NO SPACE", kind: "PERCENTAGE", value: 10 }, "VALIDATION", "Le code doit faire de 3 à 40 caractères : lettres, chiffres et tirets."],
      [{ code: "TROP", kind: "PERCENTAGE", value: 101 }, "VALIDATION", "Un pourcentage de remise va de 1 à 100."],
      [{ code: "RIEN", kind: "FIXED_AMOUNT", value: 0 }, "VALIDATION", "Le montant de la remise, en centimes, doit être positif."],
      [{ code: "ANNEE", kind: "FREE_MONTHS", value: 25 }, "VALIDATION", "Le nombre de mois offerts va de 1 à 24."],
      [{ code: "MOIS-UNE-FOIS", kind: "FREE_MONTHS", value: 2, duration: "ONCE" }, "VALIDATION", expect.stringMatching(/^Durée invalide/)],
      [{ code: "SANS-MOIS", kind: "PERCENTAGE", value: 10, duration: "REPEATING" }, "VALIDATION", expect.stringMatching(/^Durée invalide/)],
      [{ code: "ZERO-FOIS", kind: "PERCENTAGE", value: 10, maxUses: 0 }, "VALIDATION", expect.stringMatching(/utilisations/)],
      [{ code: "PASSE", kind: "PERCENTAGE", value: 10, validUntil: inDays(-1) }, "VALIDATION", expect.stringMatching(/fin de validité/)],
      [{ code: "deja-pris", kind: "PERCENTAGE", value: 10 }, "ALREADY_EXISTS", "Le code promotionnel « DEJA-PRIS » existe déjà."],
    ];
    for (const [input, code, message] of cases) {
      const body = await create(admin.headers, input);
      expect(body.data?.adminCreatePromoCode ?? null, JSON.stringify(input)).toBeNull();
      expect(firstError(body), JSON.stringify(input)).toMatchObject({ message, extensions: { code } });
    }
    expect(env().fake.requests().slice(before)).toEqual([]);
  });

  it("is the admin's alone: absent from the merchant's and anonymous schemas; an admin token without an admin row cannot write", async () => {
    const merchant = await createMerchant(db());
    const input = { code: "INTRUS", kind: "PERCENTAGE", value: 50 };
    for (const headers of [merchant.headers, {}]) {
      expect(firstError(await create(headers, input))?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
      expect(firstError(await disable(headers, { promoCodeId: "00000000-0000-0000-0000-000000000000" }))?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    }
    const before = env().fake.requests().length;
    const forged = await create(adminHeaders(), input);
    expect(firstError(forged)?.extensions?.code).toBe("FORBIDDEN");
    const admin = await createAdmin(db());
    const code = await created(admin.headers, { code: "A-GARDER", kind: "PERCENTAGE", value: 5 });
    const requests = env().fake.requests().length;
    expect(firstError(await disable(adminHeaders(), { promoCodeId: code.rowId }))?.extensions?.code).toBe("FORBIDDEN");
    // Nothing reached Stripe for the forged token; the code is untouched.
    expect(env().fake.requests().length).toBe(requests);
    expect(env().fake.requests().slice(before, requests).filter((request) => request.path === "/v1/coupons")).toHaveLength(1);
    expect(env().fake.get(code.stripePromotionCodeId)).toMatchObject({ active: true });
    const { rows } = await db().root.query("select code from app_public.promo_codes where code = 'INTRUS'");
    expect(rows).toEqual([]);
  });
});

describe("a merchant applies a code at checkout", () => {
  it("the session's discounts carry the promotion code; the completed checkout counts one use, once", async () => {
    const admin = await createAdmin(db());
    const code = await created(admin.headers, { code: "BIENVENUE", kind: "PERCENTAGE", value: 30, duration: "FOREVER", maxUses: 5 });
    const merchant = await createMerchant(db());
    const { sessionId, completion } = await subscribeWith(merchant.headers, " bienvenue ");
    const session = env().fake.checkoutSession(sessionId);
    expect(session.discounts).toEqual([{ promotion_code: code.stripePromotionCodeId }]);
    expect(session.allowPromotionCodes).toBeUndefined();
    expect(await timesUsed(code.rowId)).toBe(0);

    await deliver(env(), db(), completion.events);
    expect(await timesUsed(code.rowId)).toBe(1);
    // The same events again (Stripe delivers more than once), and a later update: still one.
    await deliver(env(), db(), [env().fake.event("customer.subscription.updated", completion.subscription), ...completion.events.slice(0, 2)]);
    expect(await timesUsed(code.rowId)).toBe(1);
    expect(env().fake.get(code.stripePromotionCodeId)).toMatchObject({ times_redeemed: 1 });
    // The plan line of the first invoice was discounted at Stripe, not the SMS overage.
    const invoice = env().fake.get(completion.invoice.id)!;
    const lines = (invoice.lines as { data: Array<{ discount_amounts: unknown[]; pricing: { price_details: { price: string } } }> }).data;
    const discounted = lines.filter((line) => line.discount_amounts.length > 0).map((line) => line.pricing.price_details.price);
    expect(discounted).toEqual([env().prices.waitify_basic_monthly]);
  });

  it("expired, not yet valid, exhausted, disabled or unknown: the coded error and no Stripe session", async () => {
    const admin = await createAdmin(db());
    const { fake } = env();
    const expired = await created(admin.headers, { code: "FINI", kind: "PERCENTAGE", value: 10, validUntil: inDays(1) });
    // Time passes: the code's end is behind us.
    await db().root.query("update app_public.promo_codes set valid_from = now() - interval '3 days', valid_until = now() - interval '1 second' where id = $1", [expired.rowId]);
    await created(admin.headers, { code: "BIENTOT", kind: "PERCENTAGE", value: 10, validFrom: inDays(2) });
    const exhausted = await created(admin.headers, { code: "UNIQUE", kind: "FIXED_AMOUNT", value: 500, maxUses: 1 });
    const disabled = await created(admin.headers, { code: "RETIRE", kind: "PERCENTAGE", value: 10 });

    const first = await createMerchant(db());
    const { completion } = await subscribeWith(first.headers, "UNIQUE");
    await deliver(env(), db(), completion.events);
    expect(await timesUsed(exhausted.rowId)).toBe(1);

    const off = await disable(admin.headers, { promoCodeId: disabled.rowId, reason: "campagne terminée" });
    expect(off.errors).toBeUndefined();
    expect(off.data!.adminDisablePromoCode!.promoCode).toMatchObject({ active: false });
    expect(fake.get(disabled.stripePromotionCodeId)).toMatchObject({ active: false });
    const audit = await auditOf(disabled.rowId);
    expect(audit.map((row) => row.action)).toEqual(["create_promo_code", "disable_promo_code"]);
    expect(audit[1]).toMatchObject({ admin_id: admin.adminId, before: { active: true }, after: { active: false }, reason: "campagne terminée" });
    // Disabling again changes and records nothing.
    expect((await disable(admin.headers, { promoCodeId: disabled.rowId })).errors).toBeUndefined();
    expect(await auditOf(disabled.rowId)).toHaveLength(2);

    const merchant = await createMerchant(db());
    const sessions = fake.requests({ method: "POST", path: "/v1/checkout/sessions" }).length;
    const cases: Array<[string, string, string]> = [
      ["FINI", "PROMOTION_CODE_EXPIRED", "Ce code promotionnel n'est pas valable à cette date."],
      ["BIENTOT", "PROMOTION_CODE_EXPIRED", "Ce code promotionnel n'est pas valable à cette date."],
      ["UNIQUE", "PROMOTION_CODE_EXHAUSTED", "Ce code promotionnel a atteint son nombre maximal d'utilisations."],
      ["RETIRE", "PROMOTION_CODE_INVALID", "Code promotionnel invalide ou expiré."],
      ["INCONNU", "PROMOTION_CODE_INVALID", "Code promotionnel invalide ou expiré."],
    ];
    for (const [code, errorCode, message] of cases) {
      const body = await checkout(merchant.headers, { plan: "basic", promotionCode: code });
      expect(body.data?.createCheckoutSession ?? null, code).toBeNull();
      expect(firstError(body), code).toMatchObject({ message, extensions: { code: errorCode } });
    }
    expect(fake.requests({ method: "POST", path: "/v1/checkout/sessions" })).toHaveLength(sessions);
  });

  it("a code whose start is ahead is inactive at Stripe until then; the first checkout once valid activates it", async () => {
    const admin = await createAdmin(db());
    // Far enough ahead for the creation and the first checkout to happen before it on a loaded machine.
    const startsAt = new Date(Date.now() + 6_000);
    const code = await created(admin.headers, { code: "DEMAIN", kind: "PERCENTAGE", value: 15, validFrom: startsAt.toISOString() });
    expect(env().fake.get(code.stripePromotionCodeId)).toMatchObject({ active: false, metadata: { waitify_starts_at: String(Math.floor(startsAt.getTime() / 1000)) } });
    const merchant = await createMerchant(db());
    expect(firstError(await checkout(merchant.headers, { plan: "basic", promotionCode: "DEMAIN" }))?.extensions?.code).toBe("PROMOTION_CODE_EXPIRED");
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, startsAt.getTime() - Date.now() + 1_100)));
    const body = await checkout(merchant.headers, { plan: "basic", promotionCode: "DEMAIN" });
    expect(body.errors).toBeUndefined();
    expect(env().fake.get(code.stripePromotionCodeId)).toMatchObject({ active: true, metadata: { waitify_promo_code: "DEMAIN" } });
    expect((env().fake.get(code.stripePromotionCodeId)!.metadata as Record<string, string>).waitify_starts_at).toBeUndefined();
  });

  it("free months are for monthly plans only", async () => {
    const admin = await createAdmin(db());
    await created(admin.headers, { code: "UN-MOIS", kind: "FREE_MONTHS", value: 1 });
    const merchant = await createMerchant(db());
    const yearly = await checkout(merchant.headers, { plan: "basic", interval: "YEAR", promotionCode: "UN-MOIS" });
    expect(firstError(yearly)).toMatchObject({ extensions: { code: "PROMOTION_CODE_INVALID" }, message: expect.stringMatching(/mensuel/) });
    expect((await checkout(merchant.headers, { plan: "basic", promotionCode: "UN-MOIS" })).errors).toBeUndefined();
  });

  it("two merchants racing for the last use: both get a session, Stripe lets one pay with it, times_used stops at max_uses", async () => {
    const admin = await createAdmin(db());
    const code = await created(admin.headers, { code: "DERNIERE", kind: "PERCENTAGE", value: 50, maxUses: 1 });
    const [a, b] = [await createMerchant(db()), await createMerchant(db())];
    const [first, second] = await Promise.all([
      checkout(a.headers, { plan: "basic", promotionCode: "DERNIERE" }),
      checkout(b.headers, { plan: "basic", promotionCode: "DERNIERE" }),
    ]);
    expect([first.errors, second.errors]).toEqual([undefined, undefined]);
    const [sessionA, sessionB] = [first, second].map((body) => sessionIdOf(body.data!.createCheckoutSession!.url));
    // Both pay at the same moment: Stripe's max_redemptions decides, the second payment with the code is refused.
    const outcomes = [sessionA!, sessionB!].map((id) => {
      try {
        return env().fake.completeCheckout(id);
      } catch (error) {
        return error as Error;
      }
    });
    const paid = outcomes.filter((outcome) => !(outcome instanceof Error));
    expect(paid).toHaveLength(1);
    expect(String(outcomes.find((outcome) => outcome instanceof Error))).toMatch(/can no longer be redeemed/);
    // Its webhooks delivered twice at once.
    const events = (paid[0] as { events: Parameters<typeof deliver>[2] }).events;
    await Promise.all([deliver(env(), db(), events), deliver(env(), db(), events)]);
    expect(await timesUsed(code.rowId)).toBe(1);
    expect(env().fake.get(code.stripePromotionCodeId)).toMatchObject({ times_redeemed: 1, active: false });
    // The third merchant is told at once.
    const late = await checkout((await createMerchant(db())).headers, { plan: "basic", promotionCode: "DERNIERE" });
    expect(firstError(late)?.extensions?.code).toBe("PROMOTION_CODE_EXHAUSTED");
  });
});

describe("reading promo codes", () => {
  it("admins list them; merchants have no such field", async () => {
    const admin = await createAdmin(db());
    await created(admin.headers, { code: "LISTE", kind: "PERCENTAGE", value: 5 });
    const query = `{ allPromoCodes(condition: { code: "LISTE" }) { nodes { code timesUsed } } }`;
    const read = await env().server.graphql<{ allPromoCodes: { nodes: unknown[] } }>(query, {}, admin.headers);
    expect(read.body.data?.allPromoCodes.nodes).toEqual([{ code: "LISTE", timesUsed: 0 }]);
    const merchant = await createMerchant(db());
    const refused = await env().server.graphql(query, {}, merchant.headers);
    expect(firstError(refused.body)?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });
});
