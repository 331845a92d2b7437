// The statement PDF and the CSV of payments over real HTTP
// (lib/http/statement-download.ts, statement-pdf.ts, payments-export.ts):
// the PDF read back by pdf.js (text present, totals right for a known
// statement) and rendered by pdftoppm (not blank); who may download what
// (owner, another merchant, admin, nobody); the Stripe links on
// BillingStatement in GraphQL; the CSVs' escaping, filters, tenancy and
// streaming of many rows.
import { execFile } from "node:child_process";
import http from "node:http";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminHeaders, bearer } from "../helpers/auth.ts";
import { insertInvoice, insertStatement, linkStatementInvoice } from "../helpers/billing-documents.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { createAdmin, createBusiness, createMerchant, type TestAdmin, type TestMerchant } from "../helpers/fixtures.ts";
import { readPdf } from "../helpers/qr.ts";
import { useTestServer } from "../helpers/server.ts";
import { parseCsv } from "../helpers/csv.ts";

const db = useTestDatabase();
const server = useTestServer(db);
const run = promisify(execFile);

let owner: TestMerchant;
let admin: TestAdmin;
let stranger: TestMerchant;
let english: TestMerchant;
let statement: { id: string; number: string };
let linked: { id: string; number: string };
let englishStatement: { id: string; number: string };
let workdir: string;

/**
 * A GET on a connection of its own (node:http, no keep-alive): pdf.js's
 * rendering blocks the event loop for seconds, long enough for a pooled
 * keep-alive socket to be closed by the server just as fetch reuses it.
 */
function get(path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Headers; bytes: Buffer; text: string }>((resolve, reject) => {
    const request = http.get(`${server().url}${path}`, { headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", reject);
      response.on("end", () => {
        const bytes = Buffer.concat(chunks);
        const list = new Headers();
        for (const [name, value] of Object.entries(response.headers)) if (typeof value === "string") list.set(name, value);
        resolve({ status: response.statusCode!, headers: list, bytes, text: new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes) });
      });
    });
    request.on("error", reject);
  });
}

/** The page as pdftoppm renders it (72 dpi): its PNG and the share of pixels that are not white. */
async function render(pdf: Buffer, name: string): Promise<{ png: string; inked: number; width: number; height: number }> {
  const file = join(workdir, `${name}.pdf`);
  await writeFile(file, pdf);
  await run("pdftoppm", ["-png", "-r", "72", "-singlefile", file, join(workdir, name)]);
  const png = join(workdir, `${name}.png`);
  const image = PNG.sync.read(await readFile(png));
  let inked = 0;
  for (let i = 0; i < image.data.length; i += 4) {
    if (image.data[i]! < 200 || image.data[i + 1]! < 200 || image.data[i + 2]! < 200) inked++;
  }
  return { png, inked: inked / (image.width * image.height), width: image.width, height: image.height };
}

/** The text run right after `label` in drawing order (an amount after its label). */
const after = (text: string[], label: string) => text[text.indexOf(label) + 1];

beforeAll(async () => {
  workdir = await mkdtemp(join(tmpdir(), "waitify-statement-"));
  admin = await createAdmin(db());
  const shop = await createBusiness(db(), { plan: "pro", name: "Boulangerie Paul" });
  owner = shop.merchant;
  await createBusiness(db(), { merchant: owner, name: "Pâtisserie Éclair" });
  await db().root.query("update app_public.users set first_name = 'Paul', last_name = 'Martin' where id = $1", [owner.userId]);
  stranger = await createMerchant(db());
  // Plan 19.00 + 250 SMS over the quota × 0.03 = 26.50 excl. VAT; VAT 20 % = 5.30; total 31.80.
  statement = await insertStatement(db(), { userId: owner.userId, smsIncluded: 1000, smsUsed: 1250, createdAt: "2026-12-01T02:00:00Z" });
  linked = await insertStatement(db(), { userId: owner.userId, periodStart: "2026-10-01", smsUsed: 10 });
  const invoice = await insertInvoice(db(), {
    userId: owner.userId,
    hostedUrl: "https://invoice.stripe.test/i/acct_1/test_abc",
    pdfUrl: "https://pay.stripe.test/invoice/acct_1/test_abc/pdf",
  });
  await linkStatementInvoice(db(), linked.id, invoice);
  const anglo = await createBusiness(db(), { plan: "pro", name: "Corner Shop", language: "en" });
  english = anglo.merchant;
  englishStatement = await insertStatement(db(), { userId: english.userId, plan: "pro", planPriceCents: 4900, smsIncluded: 2500, smsUsed: 2600 });
});

afterAll(async () => {
  await rm(workdir, { recursive: true, force: true });
});

describe("GET /billing/statements/<id>.pdf", () => {
  it("is the statement as an A4 PDF invoice: seller, buyer, period, number, lines, VAT and totals right", async () => {
    const response = await get(`/billing/statements/${statement.id}.pdf`, owner.headers);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/pdf");
    expect(response.headers.get("content-disposition")).toBe(`attachment; filename="waitify-${statement.number}.pdf"`);
    expect(response.headers.get("cache-control")).toBe("private, no-store");
    const pdf = await readPdf(response.bytes);
    expect(pdf.pages).toBe(1);
    expect(pdf.sizes[0]!.map(Math.round)).toEqual([595, 842]);
    const text = pdf.text.map((run) => run.trim());
    const all = text.join("\n");
    // Seller (system_configs), buyer, period, number.
    for (const expected of ["Waitify SAS", "N° TVA : FR00000000000", "Facture", `N° ${statement.number}`, "Paul Martin", owner.email,
      "Boulangerie Paul", "Pâtisserie Éclair", "Période : novembre 2026\n1 novembre 2026 – 30 novembre 2026", "Échéance : 1 décembre 2026",
      "Date d'émission : 1 décembre 2026"]) {
      expect(all).toContain(expected);
    }
    // The plan line: 1 × 19.00; the overage line: 250 × 0.03 = 7.50.
    const plan = text.indexOf("Abonnement Waitify Basic (mensuel)");
    expect(text.slice(plan + 1, plan + 4)).toEqual(["1", "19,00 €", "19,00 €"]);
    const overage = text.indexOf("SMS au-delà du forfait (1250 utilisés, 1000 inclus)");
    expect(text.slice(overage + 1, overage + 4)).toEqual(["250", "0,03 €", "7,50 €"]);
    expect(after(text, "Total HT")).toBe("26,50 €");
    expect(after(text, "TVA 20 %")).toBe("5,30 €");
    expect(after(text, "Total TTC")).toBe("31,80 €");
    expect(all).toContain("40 €"); // the legal mentions
    // Not linked to a Stripe invoice: no Stripe links.
    expect(all).not.toContain("Facture Stripe");
  });

  it("renders (pdftoppm) as a page that is mostly paper with some ink", async () => {
    const response = await get(`/billing/statements/${statement.id}.pdf`, owner.headers);
    const page = await render(response.bytes, "statement");
    // A4 at 72 dpi (595.28 × 841.89 points, rounded up by pdftoppm).
    expect(page.width).toBeGreaterThanOrEqual(595);
    expect(page.width).toBeLessThanOrEqual(596);
    expect(page.height).toBe(842);
    // Not blank, not a black page: text and rules cover a few percent.
    expect(page.inked).toBeGreaterThan(0.01);
    expect(page.inked).toBeLessThan(0.3);
    if (process.env.KEEP_STATEMENT_PNG) await writeFile(process.env.KEEP_STATEMENT_PNG, await readFile(page.png));
  });

  it("prints the Stripe hosted invoice and PDF links beside a statement linked to a Stripe invoice", async () => {
    const response = await get(`/billing/statements/${linked.id}.pdf`, owner.headers);
    expect(response.status).toBe(200);
    const all = (await readPdf(response.bytes)).text.join("");
    expect(all).toContain("Facture Stripe");
    expect(all).toContain("https://invoice.stripe.test/i/acct_1/test_abc");
    expect(all).toContain("https://pay.stripe.test/invoice/acct_1/test_abc/pdf");
    // …as clickable links too.
    expect(response.bytes.toString("latin1")).toContain("/URI (https://pay.stripe.test/invoice/acct_1/test_abc/pdf)");
  });

  it("is in the account's language (English)", async () => {
    const response = await get(`/billing/statements/${englishStatement.id}.pdf`, english.headers);
    const text = (await readPdf(response.bytes)).text.map((run) => run.trim());
    expect(text).toContain("Invoice");
    expect(text).toContain("Period: November 2026");
    expect(text).toContain("November 1, 2026 – November 30, 2026");
    // 49.00 + 100 × 0.03 = 52.00; VAT 10.40; 62.40.
    expect(after(text, "Total excl. VAT")).toBe("€52.00");
    expect(after(text, "VAT 20%")).toBe("€10.40");
    expect(after(text, "Total incl. VAT")).toBe("€62.40");
  });

  it("is for its owner and admins: another merchant or an unknown id is a coded 404, no or a bad token a 401", async () => {
    const path = `/billing/statements/${statement.id}.pdf`;
    expect((await get(path, admin.headers)).status).toBe(200);
    // An admin token naming no administrator (role only) is refused.
    const roleOnly = await get(path, adminHeaders());
    expect(roleOnly.status).toBe(403);
    expect(JSON.parse(roleOnly.text).errors[0].extensions.code).toBe("FORBIDDEN");
    const other = await get(path, stranger.headers);
    const unknown = await get("/billing/statements/00000000-0000-4000-8000-000000000000.pdf", owner.headers);
    const malformed = await get("/billing/statements/not-a-statement.pdf", owner.headers);
    for (const response of [other, unknown, malformed]) {
      expect(response.status).toBe(404);
      expect(JSON.parse(response.text).errors[0].extensions.code).toBe("NOT_FOUND");
      expect(response.headers.get("cache-control")).toBe("private, no-store");
    }
    expect(other.text).toBe(unknown.text);
    const none = await get(path);
    const bad = await get(path, bearer("not.a.token"));
    // A token in the URL is not a way in.
    const inUrl = await get(`${path}?token=${owner.token}&access_token=${owner.token}`);
    for (const response of [none, bad, inUrl]) {
      expect(response.status).toBe(401);
      expect(JSON.parse(response.text).errors[0].extensions.code).toBe("UNAUTHENTICATED");
    }
  });

  it("BillingStatement shows its number and the Stripe links to its owner and admins", async () => {
    const query = `query ($id: UUID!) { billingStatementByRowId(rowId: $id) { number hostedInvoiceUrl invoicePdfUrl } }`;
    const expected = {
      number: linked.number,
      hostedInvoiceUrl: "https://invoice.stripe.test/i/acct_1/test_abc",
      invoicePdfUrl: "https://pay.stripe.test/invoice/acct_1/test_abc/pdf",
    };
    const mine = await server().graphql(query, { id: linked.id }, owner.headers);
    expect(mine.body).toEqual({ data: { billingStatementByRowId: expected } });
    const asAdmin = await server().graphql(query, { id: linked.id }, admin.headers);
    expect(asAdmin.body).toEqual({ data: { billingStatementByRowId: expected } });
    const theirs = await server().graphql(query, { id: linked.id }, stranger.headers);
    expect(theirs.body).toEqual({ data: { billingStatementByRowId: null } });
    const unlinked = await server().graphql(query, { id: statement.id }, owner.headers);
    expect(unlinked.body).toEqual({ data: { billingStatementByRowId: { number: statement.number, hostedInvoiceUrl: null, invoicePdfUrl: null } } });
  });
});


const HEADER = ["number", "account_email", "status", "currency", "amount_due", "amount_paid", "period_start", "period_end", "due_date",
  "paid_at", "attempts", "hosted_invoice_url", "created_at"];

/** The CSV's rows as objects keyed by the header. */
function records(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text.replace(/^\uFEFF/, ""));
  expect(header).toEqual(HEADER);
  return rows.map((row) => Object.fromEntries(row.map((cell, i) => [header![i]!, cell])));
}

describe("CSV of payments", () => {
  let payer: TestMerchant;
  let other: TestMerchant;

  beforeAll(async () => {
    payer = await createMerchant(db(), { email: "payer.csv@example.test" });
    other = await createMerchant(db(), { email: "other.csv@example.test" });
    // Cells a spreadsheet would run: invoice numbers and URLs are Stripe's text, escaped all the same.
    await insertInvoice(db(), { userId: payer.userId, number: '=HYPERLINK("http://evil.example","clic")', status: "paid", amountDueCents: 3180,
      createdAt: "2026-10-01T01:00:00Z", paidAt: "2026-10-01T01:02:03Z", periodStart: "2026-09-01T00:00:00Z", periodEnd: "2026-10-01T00:00:00Z" });
    await insertInvoice(db(), { userId: payer.userId, number: "+33 6 12", status: "open", amountDueCents: 1905, attempts: 3,
      createdAt: "2026-11-01T01:00:00Z", dueDate: "2026-11-08T00:00:00Z", hostedUrl: "@SUM(A1:A9)" });
    await insertInvoice(db(), { userId: payer.userId, number: "-2+3", status: "void", amountDueCents: 0, createdAt: "2026-11-20T10:00:00Z", hostedUrl: null, pdfUrl: null });
    await insertInvoice(db(), { userId: payer.userId, number: null, status: "draft", createdAt: "2026-12-01T00:10:00Z" });
    await insertInvoice(db(), { userId: other.userId, number: "OTHER-1", status: "paid", createdAt: "2026-11-05T09:00:00Z" });
  });

  it("the merchant's own: header row, UTF-8 with BOM, ISO times, amounts in euros, formulas escaped, no drafts", async () => {
    const response = await get("/billing/payments.csv", payer.headers);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("content-disposition")).toBe('attachment; filename="waitify-payments.csv"');
    expect([...response.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = records(response.text);
    expect(rows.map((row) => row.number)).toEqual([`'=HYPERLINK("http://evil.example","clic")`, "'+33 6 12", "'-2+3"]);
    expect(rows[0]).toMatchObject({
      account_email: "payer.csv@example.test", status: "paid", currency: "EUR", amount_due: "31.80", amount_paid: "31.80",
      period_start: "2026-09-01T00:00:00Z", period_end: "2026-10-01T00:00:00Z", paid_at: "2026-10-01T01:02:03Z", attempts: "1",
      created_at: "2026-10-01T01:00:00Z", due_date: "",
    });
    expect(rows[1]).toMatchObject({ amount_due: "19.05", amount_paid: "0.00", attempts: "3", due_date: "2026-11-08T00:00:00Z", hosted_invoice_url: "'@SUM(A1:A9)" });
    expect(rows[2]).toMatchObject({ status: "void", hosted_invoice_url: "" });
    // Another merchant sees only theirs.
    expect(records((await get("/billing/payments.csv", other.headers)).text).map((row) => row.number)).toEqual(["OTHER-1"]);
  });

  it("the merchant's filters: from / to (UTC days, both included), checked", async () => {
    const rows = records((await get("/billing/payments.csv?from=2026-10-02&to=2026-11-20", payer.headers)).text);
    expect(rows.map((row) => row.status)).toEqual(["open", "void"]);
    expect(records((await get("/billing/payments.csv?to=2026-10-01", payer.headers)).text).map((row) => row.status)).toEqual(["paid"]);
    for (const [query, code] of [["from=01/10/2026", "INVALID_DATE"], ["from=2026-11-02&to=2026-11-01", "INVALID_DATE_RANGE"], ["from=2026-01-01&from=2026-02-01", "VALIDATION"]]) {
      const response = await get(`/billing/payments.csv?${query}`, payer.headers);
      expect(response.status, query).toBe(400);
      expect(JSON.parse(response.text).errors[0].extensions.code, query).toBe(code);
    }
  });

  it("the admin's: every account (drafts too), filtered by day, status and account", async () => {
    const mine = (rows: Record<string, string>[]) => rows.filter((row) => row.account_email.endsWith(".csv@example.test"));
    const all = mine(records((await get("/admin/payments.csv", admin.headers)).text));
    expect(all.map((row) => row.account_email)).toEqual([
      "payer.csv@example.test", "payer.csv@example.test", "other.csv@example.test", "payer.csv@example.test", "payer.csv@example.test",
    ]);
    expect(all.map((row) => row.status)).toEqual(["paid", "open", "paid", "void", "draft"]);
    const paid = mine(records((await get("/admin/payments.csv?status=paid&from=2026-11-01&to=2026-11-30", admin.headers)).text));
    expect(paid.map((row) => row.number)).toEqual(["OTHER-1"]);
    const byEmail = records((await get(`/admin/payments.csv?account=${encodeURIComponent("PAYER.csv@example.test")}&status=open`, admin.headers)).text);
    expect(byEmail.map((row) => row.number)).toEqual(["'+33 6 12"]);
    const byId = records((await get(`/admin/payments.csv?account=${other.userId}`, admin.headers)).text);
    expect(byId.map((row) => row.number)).toEqual(["OTHER-1"]);
    for (const [query, code] of [["status=refunded", "VALIDATION"], ["account=DROP%20TABLE", "VALIDATION"], ["from=2026-02-30", "INVALID_DATE"],
      ["from=2026-03-01&to=2026-02-01", "INVALID_DATE_RANGE"]]) {
      const response = await get(`/admin/payments.csv?${query}`, admin.headers);
      expect(response.status, query).toBe(400);
      expect(JSON.parse(response.text).errors[0].extensions.code, query).toBe(code);
    }
  });

  it("the admin's route refuses merchants (403 FORBIDDEN) and nobody gets either without a token (401)", async () => {
    const merchant = await get("/admin/payments.csv", payer.headers);
    expect(merchant.status).toBe(403);
    expect(JSON.parse(merchant.text).errors[0].extensions.code).toBe("FORBIDDEN");
    expect((await get("/billing/payments.csv", admin.headers)).status).toBe(403);
    // An admin token naming no administrator gets no export either.
    const roleOnly = await get("/admin/payments.csv", adminHeaders());
    expect(roleOnly.status).toBe(403);
    expect(JSON.parse(roleOnly.text).errors[0].extensions.code).toBe("FORBIDDEN");
    for (const path of ["/admin/payments.csv", "/billing/payments.csv"]) {
      for (const headers of [{}, bearer("not.a.token")]) {
        const response = await get(path, headers);
        expect(response.status, path).toBe(401);
        expect(JSON.parse(response.text).errors[0].extensions.code).toBe("UNAUTHENTICATED");
      }
    }
  });

  it("streams many rows (several cursor batches) complete and in order", async () => {
    const bulk = await createMerchant(db(), { email: "bulk.csv@example.test" });
    await db().root.query(
      `insert into app_private.invoices (stripe_invoice_id, user_id, number, status, currency, amount_due_cents, amount_paid_cents, stripe_created)
       select 'in_bulk_' || n, $1, 'BULK-' || lpad(n::text, 5, '0'), 'paid', 'eur', n, n, '2026-01-01T00:00:00Z'::timestamptz + n * interval '1 minute'
         from generate_series(1, 2345) n`,
      [bulk.userId],
    );
    const response = await fetch(`${server().url}/billing/payments.csv`, { headers: bulk.headers });
    expect(response.headers.get("transfer-encoding")).toBe("chunked");
    const rows = records(await response.text());
    expect(rows).toHaveLength(2345);
    expect(rows[0]).toMatchObject({ number: "BULK-00001", amount_due: "0.01" });
    expect(rows[2344]).toMatchObject({ number: "BULK-02345", amount_due: "23.45", created_at: "2026-0102T15:05:00Z".replace("0102", "01-02") });
  });
});
