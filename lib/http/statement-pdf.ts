// The PDF of a monthly statement (GET /billing/statements/<id>.pdf): an A4
// invoice laid out from app_hidden.statement_document's JSON — seller,
// buyer, number, period, the plan and SMS overage lines, subtotal excl. VAT,
// VAT, total incl. VAT, the Stripe invoice's links when there is one, and the
// seller's legal mentions. Every figure comes from SQL; this file only writes
// the words (in the account's language) and places them on the page.
//
// Fonts: PDF's built-in Helvetica (WinAnsi: French and English, the € sign).
import PDFDocument from "pdfkit";
import { z } from "zod";

const cents = z.number().finite();

/** What app_hidden.statement_document returns (db/billing/documents.sql). */
export const statementDocument = z.object({
  number: z.string(),
  status: z.string(),
  language: z.string(),
  periodStart: z.string(),
  periodEnd: z.string(),
  issuedOn: z.string(),
  dueDate: z.string().nullable(),
  seller: z.object({ name: z.string(), address: z.string(), vatNumber: z.string(), legalMentions: z.string() }),
  buyer: z.object({
    name: z.string().nullable(),
    email: z.string(),
    businesses: z.array(z.object({ name: z.string(), address: z.string().nullable() })),
  }),
  lines: z.array(
    z.object({
      kind: z.enum(["plan", "sms_overage"]),
      description: z.string(),
      interval: z.string().optional(),
      quantity: z.number().int(),
      unitPriceCents: cents,
      amountCents: cents,
      smsUsed: z.number().int().optional(),
      smsIncluded: z.number().int().optional(),
    }),
  ),
  subtotalCents: cents,
  vatRatePercent: z.number(),
  vatCents: cents,
  totalCents: cents,
  currency: z.string(),
  hostedInvoiceUrl: z.string().nullable(),
  invoicePdfUrl: z.string().nullable(),
});
export type StatementDocument = z.infer<typeof statementDocument>;

type Language = "fr" | "en";

const MONTHS: Record<Language, string[]> = {
  fr: ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"],
  en: ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"],
};

const WORDS = {
  fr: {
    title: "Facture",
    colon: " : ",
    number: "N°",
    issuedOn: "Date d'émission",
    period: "Période",
    dueDate: "Échéance",
    vatNumber: "N° TVA",
    billTo: "Facturé à",
    businesses: "Établissements",
    description: "Désignation",
    quantity: "Qté",
    unitPrice: "Prix unitaire HT",
    amount: "Montant HT",
    plan: (name: string, interval: string) => `Abonnement Waitify ${name} (${interval === "year" ? "annuel" : "mensuel"})`,
    overage: (used: number, included: number) => `SMS au-delà du forfait (${used} utilisés, ${included} inclus)`,
    subtotal: "Total HT",
    vat: (rate: string) => `TVA ${rate} %`,
    total: "Total TTC",
    stripe: "Facture Stripe",
    stripeHosted: "Consulter et payer en ligne",
    stripePdf: "PDF de la facture Stripe",
    statusLabel: "Statut",
    status: { pending: "à facturer", invoiced: "facturé", paid: "payé", failed: "paiement échoué", void: "annulé" } as Record<string, string>,
  },
  en: {
    title: "Invoice",
    colon: ": ",
    number: "No.",
    issuedOn: "Issued on",
    period: "Period",
    dueDate: "Due date",
    vatNumber: "VAT no.",
    billTo: "Bill to",
    businesses: "Businesses",
    description: "Description",
    quantity: "Qty",
    unitPrice: "Unit price excl. VAT",
    amount: "Amount excl. VAT",
    plan: (name: string, interval: string) => `Waitify ${name} plan (${interval === "year" ? "yearly" : "monthly"})`,
    overage: (used: number, included: number) => `SMS beyond the plan's quota (${used} used, ${included} included)`,
    subtotal: "Total excl. VAT",
    vat: (rate: string) => `VAT ${rate}%`,
    total: "Total incl. VAT",
    stripe: "Stripe invoice",
    stripeHosted: "View and pay online",
    stripePdf: "Stripe invoice PDF",
    statusLabel: "Status",
    status: { pending: "to be invoiced", invoiced: "invoiced", paid: "paid", failed: "payment failed", void: "void" } as Record<string, string>,
  },
} as const;

/** 1900 → "19,00 €" (fr) / "€19.00" (en); fractions of a cent (a unit price) keep up to 4 decimals. */
export function formatMoney(amountCents: number, language: Language, currency = "eur"): string {
  const units = amountCents / 100;
  let decimals = 2;
  while (decimals < 4 && Math.abs(Math.round(units * 10 ** decimals) - units * 10 ** decimals) > 1e-9) decimals++;
  const [whole, fraction] = Math.abs(units).toFixed(decimals).split(".") as [string, string];
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, language === "fr" ? " " : ",");
  const sign = units < 0 ? "-" : "";
  const symbol = currency.toLowerCase() === "eur" ? "€" : currency.toUpperCase();
  return language === "fr" ? `${sign}${grouped},${fraction} ${symbol}` : `${sign}${symbol}${grouped}.${fraction}`;
}

/** "2026-11-01" → "1 novembre 2026" / "November 1, 2026". */
function formatDate(iso: string, language: Language): string {
  const [year, month, day] = iso.split("-").map(Number) as [number, number, number];
  const name = MONTHS[language][month - 1]!;
  return language === "fr" ? `${day} ${name} ${year}` : `${name} ${day}, ${year}`;
}

const PAGE = { width: 595.28, height: 841.89 };
const MARGIN = 50;
const INK = "#1d2330";
const MUTED = "#5b6475";
const RULE = "#c9ced8";
const ACCENT = "#2f5bd3";

export function statementPdf(document: StatementDocument): Promise<Buffer> {
  const language: Language = document.language === "en" ? "en" : "fr";
  const words = WORDS[language];
  const money = (amount: number) => formatMoney(amount, language, document.currency);
  const doc = new PDFDocument({
    size: "A4",
    margin: MARGIN,
    info: { Title: `${words.title} ${document.number}`, Author: document.seller.name, Subject: `${words.title} ${document.number}` },
  });
  const chunks: Buffer[] = [];
  doc.on("data", (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });
  const width = PAGE.width - 2 * MARGIN;
  const half = width / 2 - 10;
  const right = MARGIN + width / 2 + 10;

  // Seller (left) and the invoice's references (right).
  let y = MARGIN;
  doc.font("Helvetica-Bold").fontSize(16).fillColor(INK).text(document.seller.name, MARGIN, y, { width: half });
  doc.font("Helvetica").fontSize(9.5).fillColor(MUTED).text(document.seller.address, { width: half });
  if (document.seller.vatNumber) doc.text(`${words.vatNumber}${words.colon}${document.seller.vatNumber}`, { width: half });
  const sellerBottom = doc.y;

  doc.font("Helvetica-Bold").fontSize(22).fillColor(INK).text(words.title, right, y, { width: half, align: "right" });
  doc.font("Helvetica-Bold").fontSize(11).text(`${words.number} ${document.number}`, right, doc.y + 2, { width: half, align: "right" });
  doc.font("Helvetica").fontSize(9.5).fillColor(MUTED);
  const month = MONTHS[language][Number(document.periodStart.slice(5, 7)) - 1]!;
  const references = [
    `${words.issuedOn}${words.colon}${formatDate(document.issuedOn, language)}`,
    `${words.period}${words.colon}${month} ${document.periodStart.slice(0, 4)}`,
    `${formatDate(document.periodStart, language)} – ${formatDate(document.periodEnd, language)}`,
    ...(document.dueDate ? [`${words.dueDate}${words.colon}${formatDate(document.dueDate, language)}`] : []),
    `${words.statusLabel}${words.colon}${words.status[document.status] ?? document.status}`,
  ];
  for (const line of references) doc.text(line, right, doc.y + 1, { width: half, align: "right" });
  y = Math.max(sellerBottom, doc.y) + 24;

  // Buyer.
  doc.font("Helvetica-Bold").fontSize(9).fillColor(MUTED).text(words.billTo.toUpperCase(), MARGIN, y, { width });
  doc.font("Helvetica-Bold").fontSize(11).fillColor(INK).text(document.buyer.name ?? document.buyer.email, MARGIN, doc.y + 2, { width });
  doc.font("Helvetica").fontSize(9.5).fillColor(INK);
  if (document.buyer.name) doc.text(document.buyer.email, { width });
  if (document.buyer.businesses.length > 0) {
    doc.fillColor(MUTED).text(`${words.businesses}${words.colon.trimEnd()}`, { width });
    for (const business of document.buyer.businesses) {
      doc.fillColor(INK).text(business.address ? `${business.name} – ${business.address}` : business.name, { width, indent: 10 });
    }
  }
  y = doc.y + 22;

  // The lines.
  const columns = [
    { x: MARGIN, width: width - 250, align: "left" as const },
    { x: MARGIN + width - 250, width: 50, align: "right" as const },
    { x: MARGIN + width - 200, width: 100, align: "right" as const },
    { x: MARGIN + width - 100, width: 100, align: "right" as const },
  ];
  const row = (cells: string[], font: string, size: number, color = INK) => {
    doc.font(font).fontSize(size).fillColor(color);
    const top = y;
    let bottom = y;
    cells.forEach((cell, i) => {
      const column = columns[i]!;
      doc.text(cell, column.x, top, { width: column.width - (i === 0 ? 10 : 0), align: column.align });
      bottom = Math.max(bottom, doc.y);
    });
    y = bottom + 6;
  };
  const rule = (weight = 0.7) => {
    doc.moveTo(MARGIN, y).lineTo(MARGIN + width, y).lineWidth(weight).strokeColor(RULE).stroke();
    y += 6;
  };
  row([words.description, words.quantity, words.unitPrice, words.amount], "Helvetica-Bold", 9, MUTED);
  rule(1);
  for (const line of document.lines) {
    const description =
      line.kind === "plan"
        ? words.plan(line.description.charAt(0).toUpperCase() + line.description.slice(1), line.interval ?? "month")
        : words.overage(line.smsUsed ?? line.quantity, line.smsIncluded ?? 0);
    row([description, String(line.quantity), money(line.unitPriceCents), money(line.amountCents)], "Helvetica", 10);
    rule();
  }

  // Totals, right-aligned under the amounts.
  y += 4;
  const total = (label: string, amount: number, bold = false) => {
    doc.font(bold ? "Helvetica-Bold" : "Helvetica").fontSize(bold ? 12 : 10).fillColor(INK);
    doc.text(label, MARGIN + width - 300, y, { width: 190, align: "right" });
    doc.text(money(amount), MARGIN + width - 100, y, { width: 100, align: "right" });
    y = doc.y + 6;
  };
  total(words.subtotal, document.subtotalCents);
  total(words.vat(String(document.vatRatePercent).replace(".", language === "fr" ? "," : ".")), document.vatCents);
  doc.moveTo(MARGIN + width - 300, y).lineTo(MARGIN + width, y).lineWidth(1).strokeColor(INK).stroke();
  y += 6;
  total(words.total, document.totalCents, true);

  // The Stripe invoice, when the statement is linked to one.
  if (document.hostedInvoiceUrl || document.invoicePdfUrl) {
    y += 18;
    doc.font("Helvetica-Bold").fontSize(10).fillColor(INK).text(words.stripe, MARGIN, y, { width });
    doc.font("Helvetica").fontSize(9);
    for (const [label, url] of [
      [words.stripeHosted, document.hostedInvoiceUrl],
      [words.stripePdf, document.invoicePdfUrl],
    ] as const) {
      if (!url) continue;
      doc.fillColor(MUTED).text(`${label}${words.colon}`, MARGIN, doc.y + 2, { continued: true, width });
      doc.fillColor(ACCENT).text(url, { link: url, underline: true, width });
    }
  }

  // The seller's legal mentions, at the foot of the page.
  if (document.seller.legalMentions) {
    doc.font("Helvetica").fontSize(7.5).fillColor(MUTED);
    const height = doc.heightOfString(document.seller.legalMentions, { width });
    // Below the bottom margin's limit: pdfkit would otherwise start a second page.
    doc.page.margins.bottom = 0;
    const top = PAGE.height - MARGIN - height;
    doc.moveTo(MARGIN, top - 8).lineTo(MARGIN + width, top - 8).lineWidth(0.5).strokeColor(RULE).stroke();
    doc.text(document.seller.legalMentions, MARGIN, top, { width, align: "center", height: height + 2 });
  }
  doc.end();
  return done;
}
