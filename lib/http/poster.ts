// The A4 poster of a queue (GET /queues/<id>/poster.pdf): the business's
// name, "scan to join" in the business's language then the other one, the QR
// code drawn as vectors (sharp at any print size), and the address written
// out for those who type it. One page, always: long names are cut with an
// ellipsis rather than pushing the code onto a second page.
//
// The fonts are PDF's built-in Helvetica (no font file to ship): they cover
// French and English (WinAnsi); a name in another script would need an
// embedded font.
import PDFDocument from "pdfkit";
import { QUIET_ZONE, qrModules } from "./qr-code.ts";

export interface PosterContent {
  businessName: string;
  /** Printed under the business's name when the business has several queues (e.g. "Guichet 2"). */
  queueName?: string | null;
  /** The business's language: its sentence comes first and larger. */
  language: string;
  /** The join address the code encodes (PUBLIC_URL/q/<qr token>). */
  url: string;
}

export const POSTER_SENTENCES = {
  fr: "Scannez pour rejoindre la file",
  en: "Scan to join the queue",
} as const;

// A4 in PDF points (1/72 in).
const PAGE = { width: 595.28, height: 841.89 };
const MARGIN = 56;
const INK = "#1d2330";
const MUTED = "#5b6475";

export function posterPdf(content: PosterContent): Promise<Buffer> {
  const first = content.language === "en" ? "en" : "fr";
  const second = first === "en" ? "fr" : "en";
  const doc = new PDFDocument({
    size: "A4",
    margin: MARGIN,
    info: { Title: `${content.businessName} – Waitify`, Author: "Waitify", Subject: POSTER_SENTENCES[first] },
  });
  const chunks: Buffer[] = [];
  doc.on("data", (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });

  const width = PAGE.width - 2 * MARGIN;
  let y = MARGIN + 8;
  // The business's name: at most two lines.
  doc.font("Helvetica-Bold").fontSize(34).fillColor(INK);
  doc.text(content.businessName, MARGIN, y, { width, align: "center", height: 2 * 42, ellipsis: true });
  y = doc.y + 4;
  if (content.queueName) {
    doc.font("Helvetica").fontSize(18).fillColor(MUTED);
    doc.text(content.queueName, MARGIN, y, { width, align: "center", height: 24, ellipsis: true });
    y = doc.y;
  }
  y += 18;
  doc.font("Helvetica-Bold").fontSize(26).fillColor(INK).text(POSTER_SENTENCES[first], MARGIN, y, { width, align: "center" });
  y = doc.y + 4;
  doc.font("Helvetica").fontSize(18).fillColor(MUTED).text(POSTER_SENTENCES[second], MARGIN, y, { width, align: "center" });
  y = doc.y + 24;

  // The code, as large as the space left allows (with its quiet zone, white).
  const modules = qrModules(content.url);
  const count = modules.length + 2 * QUIET_ZONE;
  const footer = 80;
  const side = Math.min(width - 40, PAGE.height - MARGIN - footer - y);
  const cell = side / count;
  const left = (PAGE.width - side) / 2;
  doc.rect(left, y, side, side).fill("#ffffff");
  modules.forEach((row, r) =>
    row.forEach((dark, c) => {
      // A hair wider than the cell, so neighbouring squares leave no seam.
      if (dark) doc.rect(left + (c + QUIET_ZONE) * cell, y + (r + QUIET_ZONE) * cell, cell + 0.05, cell + 0.05);
    }),
  );
  doc.fill("#000000");
  y += side + 12;

  // The address, for typing it in; shrunk until it holds on one line.
  let size = 14;
  doc.font("Courier-Bold");
  while (size > 7 && doc.fontSize(size).widthOfString(content.url) > width) size -= 0.5;
  doc.fillColor(INK).text(content.url, MARGIN, y, { width, align: "center", lineBreak: false });
  doc.font("Helvetica").fontSize(10).fillColor(MUTED);
  doc.text("Waitify", MARGIN, PAGE.height - MARGIN - 12, { width, align: "center", lineBreak: false });
  doc.end();
  return done;
}
