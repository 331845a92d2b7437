// The QR code a merchant prints: it encodes the queue's join address,
// PUBLIC_URL/q/<qr token>, which the join page (web/join.html) answers.
// Error correction level Q (25 % of the code may be dirty or torn): posters
// live on shop doors and counters.
import QRCode from "qrcode";

const ERROR_CORRECTION = "Q";
/** The white border around the code, in modules: the four the standard asks for. */
export const QUIET_ZONE = 4;

/** The address a customer's phone opens when scanning the queue's code. */
export function joinUrl(publicUrl: string, qrToken: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/q/${encodeURIComponent(qrToken)}`;
}

/** A scalable SVG of the code (black on white), 512 px by default. */
export function qrSvg(url: string): Promise<string> {
  return QRCode.toString(url, { type: "svg", errorCorrectionLevel: ERROR_CORRECTION, margin: QUIET_ZONE, width: 512 });
}

/** A 1024 px PNG of the code: sharp enough for an A4 print. */
export function qrPng(url: string): Promise<Buffer> {
  return QRCode.toBuffer(url, { type: "png", errorCorrectionLevel: ERROR_CORRECTION, margin: QUIET_ZONE, width: 1024 });
}

/** The code's modules (true = dark), row by row, without the quiet zone: for drawing it as vectors. */
export function qrModules(url: string): boolean[][] {
  const { modules } = QRCode.create(url, { errorCorrectionLevel: ERROR_CORRECTION });
  const rows: boolean[][] = [];
  for (let row = 0; row < modules.size; row++) {
    const cells: boolean[] = [];
    for (let col = 0; col < modules.size; col++) cells.push(Boolean(modules.get(row, col)));
    rows.push(cells);
  }
  return rows;
}
