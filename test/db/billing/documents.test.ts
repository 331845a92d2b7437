// db/billing/documents.sql, payments-export.sql and admin/payments-export.sql:
// statement numbers (assigned once, never redrawn by a recompute), the
// printable document of a statement (figures, VAT rounding, Stripe links,
// who may read it) and the CSV rows of payments (the merchant's own; the
// admin's filters and their coded errors).
import { beforeAll, describe, expect, it } from "vitest";
import { asAdmin, asMerchant, failure, useTestDatabase } from "../../helpers/db.ts";
import { createAdmin, createBusiness, createMerchant, type TestAdmin, type TestMerchant } from "../../helpers/fixtures.ts";
import { insertInvoice, insertStatement, linkStatementInvoice } from "../../helpers/billing-documents.ts";
import { invoice, linkCustomer, seedStripePrices, subscription } from "../../helpers/stripe-objects.ts";

const db = useTestDatabase();
let admin: TestAdmin;
beforeAll(async () => {
  admin = await createAdmin(db());
});

const documentAs = (userId: string | null, statementId: string) =>
  userId
    ? asMerchant(db(), userId, async (client) => (await client.query("select app_hidden.statement_document($1) as d", [statementId])).rows[0].d)
    : asAdmin(db(), async (client) => (await client.query("select app_hidden.statement_document($1) as d", [statementId])).rows[0].d, { adminId: admin.adminId });

describe("statement numbers", () => {
  it("are WTF-<year>-<counter>, unique and increasing, drawn once: a recomputed month keeps its number and draws none", async () => {
    await seedStripePrices(db());
    const shop = await createBusiness(db(), { plan: "basic", name: "Numbered" });
    const customer = await linkCustomer(db(), shop.userId);
    await db().root.query("select app_private.apply_stripe_subscription($1)", [
      JSON.stringify(subscription({ customer, status: "active", plan: "basic", created: new Date(Date.UTC(2026, 9, 1)) })),
    ]);
    const first = await db().root.query("select (app_private.compute_statement($1, '2026-10-01')).number", [shop.userId]);
    const second = await db().root.query("select (app_private.compute_statement($1, '2026-11-01')).number", [shop.userId]);
    const year = new Date().getUTCFullYear();
    const [a, b] = [first.rows[0].number as string, second.rows[0].number as string];
    expect(a).toMatch(new RegExp(`^WTF-${year}-\\d{6,}$`));
    expect(Number(b.slice(9))).toBe(Number(a.slice(9)) + 1);
    // Recomputing both months (pending, then one invoiced) rewrites figures, never numbers, and draws no number.
    await db().root.query("update app_public.billing_statements set status = 'invoiced' where number = $1", [a]);
    await db().root.query("select app_private.compute_statement($1, '2026-10-01'), app_private.compute_statement($1, '2026-11-01')", [shop.userId]);
    const again = await db().root.query("select number from app_public.billing_statements where user_id = $1 order by period_start", [shop.userId]);
    expect(again.rows.map((row) => row.number)).toEqual([a, b]);
    const next = await insertStatement(db(), { userId: shop.userId, periodStart: "2026-12-01" });
    expect(Number(next.number.slice(9))).toBe(Number(b.slice(9)) + 1);
  });

  it("are unique and of the documented shape (constraints)", async () => {
    const merchant = await createMerchant(db());
    const statement = await insertStatement(db(), { userId: merchant.userId, periodStart: "2026-06-01" });
    const other = await insertStatement(db(), { userId: merchant.userId, periodStart: "2026-07-01" });
    expect((await failure(db().root.query("update app_public.billing_statements set number = $1 where id = $2", [statement.number, other.id]))).code).toBe("23505");
    expect((await failure(db().root.query("update app_public.billing_statements set number = 'INV-1' where id = $1", [other.id]))).code).toBe("23514");
  });
});

describe("the Stripe invoice of a statement", () => {
  /** A subscription invoice as Stripe sends it, with its usage period. */
  const stripeInvoice = (customer: string, start: string, end: string, status: "open" | "paid" | "void" = "open") => ({
    ...invoice({ customer, status }),
    period_start: Date.parse(start) / 1000,
    period_end: Date.parse(end) / 1000,
    hosted_invoice_url: `https://invoice.stripe.test/i/${start}/${status}`,
  });
  const linkOf = async (statementId: string) =>
    (await db().root.query("select i.hosted_invoice_url from app_private.statement_invoices l join app_private.invoices i using (stripe_invoice_id) where l.statement_id = $1", [statementId])).rows.map((row) => row.hosted_invoice_url);

  it("is the invoice whose usage period ends at the month's end, void ones skipped; linked whichever comes first", async () => {
    const merchant = await createMerchant(db());
    const customer = await linkCustomer(db(), merchant.userId);
    const november = await insertStatement(db(), { userId: merchant.userId, periodStart: "2026-11-01" });
    const apply = (object: object) => db().root.query("select app_private.apply_stripe_invoice($1)", [JSON.stringify(object)]);
    // Not November's: the first invoice (an instant), December's period, a void one.
    await apply(stripeInvoice(customer, "2026-11-10T00:00:00Z", "2026-11-10T00:00:00Z"));
    await apply(stripeInvoice(customer, "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"));
    await apply(stripeInvoice(customer, "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", "void"));
    expect(await linkOf(november.id)).toEqual([]);
    // November's invoice (the subscription began on the 10th): linked when mirrored.
    await apply(stripeInvoice(customer, "2026-11-10T00:00:00Z", "2026-12-01T00:00:00Z"));
    expect(await linkOf(november.id)).toEqual(["https://invoice.stripe.test/i/2026-11-10T00:00:00Z/open"]);
    // The statement computed after the invoice is mirrored: linked when created.
    await seedStripePrices(db());
    await db().root.query("select app_private.apply_stripe_subscription($1)", [
      JSON.stringify(subscription({ customer, status: "active", plan: "basic", created: new Date(Date.UTC(2026, 10, 10)) })),
    ]);
    const december = await db().root.query("select (app_private.compute_statement($1, '2026-12-01')).id", [merchant.userId]);
    expect(await linkOf(december.rows[0].id)).toEqual(["https://invoice.stripe.test/i/2026-12-01T00:00:00Z/open"]);
  });
});

describe("a statement's status", () => {
  it("follows the Stripe invoice that bills it: pending while a draft, then invoiced, failed, paid; void", async () => {
    const merchant = await createMerchant(db());
    const customer = await linkCustomer(db(), merchant.userId);
    const october = await insertStatement(db(), { userId: merchant.userId, periodStart: "2026-10-01" });
    const statusOf = async (id: string) =>
      (await db().root.query("select status from app_public.billing_statements where id = $1", [id])).rows[0].status as string;
    const apply = (changes: { status: string; attemptCount?: number }, invoiceId = "in_october_2026") =>
      db().root.query("select app_private.apply_stripe_invoice($1)", [
        JSON.stringify({
          ...invoice({ id: invoiceId, customer, status: changes.status as "draft" | "open" | "paid", attemptCount: changes.attemptCount }),
          period_start: Date.parse("2026-10-01T00:00:00Z") / 1000,
          period_end: Date.parse("2026-11-01T00:00:00Z") / 1000,
        }),
      ]);
    const steps: Array<[{ status: string; attemptCount?: number }, string]> = [
      [{ status: "draft" }, "pending"],
      [{ status: "open" }, "invoiced"],
      [{ status: "open", attemptCount: 1 }, "failed"],
      [{ status: "paid", attemptCount: 2 }, "paid"],
    ];
    for (const [change, expected] of steps) {
      await apply(change);
      expect([change.status, change.attemptCount ?? 0, await statusOf(october.id)]).toEqual([change.status, change.attemptCount ?? 0, expected]);
    }

    // A statement written after its invoice is open starts invoiced, and compute_statement says so.
    await seedStripePrices(db());
    await db().root.query("select app_private.apply_stripe_subscription($1)", [
      JSON.stringify(subscription({ customer, status: "active", plan: "basic", created: new Date(Date.UTC(2026, 9, 1)) })),
    ]);
    await db().root.query("select app_private.apply_stripe_invoice($1)", [
      JSON.stringify({
        ...invoice({ id: "in_november_2026", customer, status: "open" }),
        period_start: Date.parse("2026-11-01T00:00:00Z") / 1000,
        period_end: Date.parse("2026-12-01T00:00:00Z") / 1000,
      }),
    ]);
    const november = await db().root.query("select (s).id, (s).status from (select app_private.compute_statement($1, '2026-11-01') as s) x", [merchant.userId]);
    expect(november.rows[0].status).toBe("invoiced");
    // Stripe voids it: so does the statement.
    await db().root.query("select app_private.apply_stripe_invoice($1)", [
      JSON.stringify({
        ...invoice({ id: "in_november_2026", customer, status: "void" }),
        period_start: Date.parse("2026-11-01T00:00:00Z") / 1000,
        period_end: Date.parse("2026-12-01T00:00:00Z") / 1000,
      }),
    ]);
    expect(await statusOf(november.rows[0].id)).toBe("void");
  });
});

describe("app_hidden.statement_document", () => {
  let owner: TestMerchant;
  let stranger: TestMerchant;
  let statementId: string;
  let number: string;
  let invoiceId: string;

  beforeAll(async () => {
    const shop = await createBusiness(db(), { plan: "basic", name: "Boulangerie Paul" });
    owner = shop.merchant;
    await db().root.query("update app_public.businesses set address = '3 rue Haute', zip_code = '35000', city = 'Rennes' where id = $1", [shop.businessId]);
    stranger = await createMerchant(db());
    // Plan 19.00 + 250 parts over the quota × 0.03 = 26.50 excl. VAT.
    ({ id: statementId, number } = await insertStatement(db(), { userId: owner.userId, smsIncluded: 1000, smsUsed: 1250, createdAt: "2026-12-01T02:00:00Z" }));
    invoiceId = await insertInvoice(db(), { userId: owner.userId, hostedUrl: "https://invoice.stripe.test/i/abc", pdfUrl: "https://pay.stripe.test/abc/pdf" });
  });

  it("prints seller, buyer, period, number, the two lines, subtotal, VAT 20 % and total", async () => {
    const document = await documentAs(owner.userId, statementId);
    expect(document).toMatchObject({
      number,
      status: "pending",
      language: "fr",
      periodStart: "2026-11-01",
      periodEnd: "2026-11-30",
      issuedOn: "2026-12-01",
      dueDate: "2026-12-01",
      seller: { name: "Waitify SAS", vatNumber: "FR00000000000" },
      buyer: { name: "Test Merchant", email: owner.email, businesses: [{ name: "Boulangerie Paul", address: "3 rue Haute, 35000 Rennes" }] },
      lines: [
        { kind: "plan", description: "basic", quantity: 1, unitPriceCents: 1900, amountCents: 1900 },
        { kind: "sms_overage", quantity: 250, unitPriceCents: 3, amountCents: 750, smsUsed: 1250, smsIncluded: 1000 },
      ],
      subtotalCents: 2650,
      vatRatePercent: 20,
      vatCents: 530,
      totalCents: 3180,
      currency: "eur",
      hostedInvoiceUrl: null,
      invoicePdfUrl: null,
    });
    expect(document.seller.legalMentions).toContain("40 €");
  });

  it("takes the seller and the VAT rate from system_configs; VAT rounds half away from zero on the subtotal", async () => {
    const merchant = await createMerchant(db());
    // 1.25 € excl. VAT at 5.5 % = 0.06875 € → 0.07 €; at 2 % = 0.025 € → 0.03 € (half away from zero).
    const { id } = await insertStatement(db(), { userId: merchant.userId, planPriceCents: 125, smsUsed: 0 });
    const read = async (rate: string) => {
      await db().root.query("update app_public.system_configs set value = $1 where key = 'vat_rate_percent'", [rate]);
      return documentAs(merchant.userId, id);
    };
    try {
      await db().root.query("update app_public.system_configs set value = 'Waitify Test SARL' where key = 'invoice_seller_name'");
      const at55 = await read("5.5");
      expect(at55).toMatchObject({ subtotalCents: 125, vatRatePercent: 5.5, vatCents: 7, totalCents: 132, seller: { name: "Waitify Test SARL" } });
      expect(await read("2")).toMatchObject({ vatCents: 3, totalCents: 128 });
      // No overage: the line says 0 parts at today's unit price.
      expect(at55.lines[1]).toMatchObject({ quantity: 0, unitPriceCents: 3, amountCents: 0 });
    } finally {
      await db().root.query("update app_public.system_configs set value = '20' where key = 'vat_rate_percent'");
      await db().root.query("update app_public.system_configs set value = 'Waitify SAS' where key = 'invoice_seller_name'");
    }
  });

  it("carries the Stripe links once the statement is linked to a Stripe invoice, for the owner and the admin", async () => {
    const { id } = await insertStatement(db(), { userId: owner.userId, periodStart: "2026-10-01" });
    await linkStatementInvoice(db(), id, invoiceId);
    const links = { hostedInvoiceUrl: "https://invoice.stripe.test/i/abc", invoicePdfUrl: "https://pay.stripe.test/abc/pdf" };
    expect(await documentAs(owner.userId, id)).toMatchObject(links);
    expect(await documentAs(null, id)).toMatchObject(links);
    // The computed columns of BillingStatement, through RLS.
    const columns = `select app_public.billing_statements_hosted_invoice_url(s) as hosted, app_public.billing_statements_invoice_pdf_url(s) as pdf
                       from app_public.billing_statements s where s.id = $1`;
    const expected = [{ hosted: links.hostedInvoiceUrl, pdf: links.invoicePdfUrl }];
    expect(await asMerchant(db(), owner.userId, async (client) => (await client.query(columns, [id])).rows)).toEqual(expected);
    expect(await asAdmin(db(), async (client) => (await client.query(columns, [id])).rows, { adminId: admin.adminId })).toEqual(expected);
    expect(await asMerchant(db(), stranger.userId, async (client) => (await client.query(columns, [id])).rows)).toEqual([]);
    // A row built by hand for someone else's statement gets no link.
    const forged = await asMerchant(db(), stranger.userId, async (client) =>
      (await client.query(
        `select app_public.billing_statements_hosted_invoice_url(
                  jsonb_populate_record(null::app_public.billing_statements, jsonb_build_object('id', $1::uuid, 'user_id', $2::uuid))) as url`,
        [id, owner.userId],
      )).rows,
    );
    expect(forged).toEqual([{ url: null }]);
  });

  it("is the owner's and the admin's only: someone else's statement is STATEMENT_NOT_FOUND like an unknown id", async () => {
    expect((await documentAs(null, statementId)).number).toBe(number);
    const other = await failure(documentAs(stranger.userId, statementId));
    const unknown = await failure(documentAs(stranger.userId, "00000000-0000-4000-8000-000000000000"));
    expect(other).toEqual(unknown);
    expect(other.code).toBe("WTNFD");
    expect(other.message).toBe("Relevé introuvable.");
  });

  it("is FORBIDDEN to an admin token that names no enabled administrator (role only, or disabled)", async () => {
    const roleOnly = await failure(asAdmin(db(), (client) => client.query("select app_hidden.statement_document($1)", [statementId])));
    expect(roleOnly.code).toBe("WTFRB");
    const disabled = await createAdmin(db());
    await db().root.query("update app_private.admins set disabled_at = now() where id = $1", [disabled.adminId]);
    const read = (sql: string) =>
      failure(asAdmin(db(), (client) => client.query(sql, [statementId]), { adminId: disabled.adminId }));
    expect((await read("select app_hidden.statement_document($1)")).code).toBe("WTFRB");
    expect((await read("select * from app_hidden.admin_payments_csv_rows('', '', '', '') where $1::uuid is not null")).code).toBe("WTFRB");
  });
});

describe("CSV rows of payments", () => {
  let alice: TestMerchant;
  let bob: TestMerchant;

  beforeAll(async () => {
    alice = await createMerchant(db(), { email: "alice.payments@example.test" });
    bob = await createMerchant(db(), { email: "bob.payments@example.test" });
    await insertInvoice(db(), { userId: alice.userId, number: "A-1", status: "paid", amountDueCents: 3180, createdAt: "2026-10-01T01:00:00Z",
      periodStart: "2026-09-01T00:00:00Z", periodEnd: "2026-10-01T00:00:00Z", paidAt: "2026-10-01T01:05:00Z" });
    await insertInvoice(db(), { userId: alice.userId, number: "A-2", status: "open", amountDueCents: 1905, attempts: 2, createdAt: "2026-11-01T01:00:00Z",
      dueDate: "2026-11-08T00:00:00Z" });
    await insertInvoice(db(), { userId: alice.userId, number: null, status: "draft", createdAt: "2026-12-01T00:30:00Z" });
    await insertInvoice(db(), { userId: bob.userId, number: "B-1", status: "paid", createdAt: "2026-11-15T12:00:00Z" });
  });

  const mine = (userId: string, from = "", to = "") =>
    asMerchant(db(), userId, async (client) => (await client.query("select * from app_hidden.my_payments_csv_rows($1, $2)", [from, to])).rows);
  const all = (from = "", to = "", status = "", account = "") =>
    asAdmin(db(), async (client) => (await client.query("select * from app_hidden.admin_payments_csv_rows($1, $2, $3, $4)", [from, to, status, account])).rows, {
      adminId: admin.adminId,
    });

  it("the merchant's: their own invoices, drafts left out, amounts in euros, ISO times in UTC", async () => {
    const rows = await mine(alice.userId);
    expect(rows.map((row) => row.number)).toEqual(["A-1", "A-2"]);
    expect(rows[0]).toMatchObject({
      account_email: "alice.payments@example.test", status: "paid", currency: "EUR", amount_due: "31.80", amount_paid: "31.80",
      period_start: "2026-09-01T00:00:00Z", period_end: "2026-10-01T00:00:00Z", paid_at: "2026-10-01T01:05:00Z", attempts: 1,
      created_at: "2026-10-01T01:00:00Z", due_date: null,
    });
    expect(rows[1]).toMatchObject({ amount_due: "19.05", amount_paid: "0.00", attempts: 2, due_date: "2026-11-08T00:00:00Z", paid_at: null });
    expect((await mine(alice.userId, "2026-10-02", "2026-11-01")).map((row) => row.number)).toEqual(["A-2"]);
    expect((await mine(bob.userId)).map((row) => row.number)).toEqual(["B-1"]);
  });

  it("the admin's: every account, drafts too, filtered by day, status and account (id or email)", async () => {
    const numbers = async (...args: string[]) =>
      (await all(...args)).filter((row) => /payments@/.test(row.account_email)).map((row) => row.number);
    expect(await numbers()).toEqual(["A-1", "A-2", "B-1", null]);
    expect(await numbers("2026-11-01", "2026-11-15")).toEqual(["A-2", "B-1"]);
    expect(await numbers("", "", "paid")).toEqual(["A-1", "B-1"]);
    expect(await numbers("", "", "", alice.userId)).toEqual(["A-1", "A-2", null]);
    expect(await numbers("", "", "open", "BOB.payments@example.test")).toEqual([]);
    expect(await numbers("", "", "paid", "bob.payments@example.test")).toEqual(["B-1"]);
    expect(await numbers("", "", "", "nobody@example.test")).toEqual([]);
  });

  it("refuses bad filters with coded errors, and the admin's rows to a merchant", async () => {
    expect((await failure(all("2026-13-01"))).code).toBe("WTDAT");
    expect((await failure(all("2026-11-02", "2026-11-01"))).code).toBe("WTRNG");
    expect((await failure(all("", "", "refunded"))).message).toContain("refunded");
    expect((await failure(all("", "", "", "not an account"))).code).toBe("WTVAL");
    expect((await failure(mine(alice.userId, "yesterday"))).code).toBe("WTDAT");
    const merchant = await failure(
      asMerchant(db(), alice.userId, (client) => client.query("select * from app_hidden.admin_payments_csv_rows('', '', '', '')")),
    );
    expect(merchant.code).toBe("42501");
  });
});
