// Reading back what the QR routes produce, as a phone and a printer would:
// a PNG decoded by jsQR, a PDF read by pdf.js (its text, its page size, and
// its first page rendered to pixels — through @napi-rs/canvas, pdf.js's own
// Node canvas — so the printed code itself is decoded too).
import { fileURLToPath } from "node:url";
import jsQRModule from "jsqr";
import { PNG } from "pngjs";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";

/** The text of the first QR code found in a PNG, or null. */
export function decodePngQr(png: Buffer): string | null {
  const image = PNG.sync.read(png);
  return decodePixels(new Uint8ClampedArray(image.data), image.width, image.height);
}

function decodePixels(rgba: Uint8ClampedArray, width: number, height: number): string | null {
  return jsQR(rgba, width, height)?.data ?? null;
}

// jsqr is a CommonJS bundle whose types declare an ES default export: under
// Node's ESM the module object is the function itself (it also has .default).
const jsQR = jsQRModule.default;

const STANDARD_FONTS = fileURLToPath(new URL("../../node_modules/pdfjs-dist/standard_fonts/", import.meta.url));

export interface PdfReading {
  pages: number;
  /** [width, height] of each page, in points. */
  sizes: [number, number][];
  /** The text runs of the first page, in drawing order. */
  text: string[];
  /** The QR code decoded from the first page rendered at 2×, or null. */
  qr: string | null;
}

export async function readPdf(pdf: Buffer): Promise<PdfReading> {
  const document = await getDocument({
    data: new Uint8Array(pdf),
    isEvalSupported: false,
    standardFontDataUrl: STANDARD_FONTS,
    verbosity: 0,
  }).promise;
  try {
    const sizes: [number, number][] = [];
    for (let n = 1; n <= document.numPages; n++) {
      const [x0, y0, x1, y1] = (await document.getPage(n)).view as [number, number, number, number];
      sizes.push([x1 - x0, y1 - y0]);
    }
    const page = await document.getPage(1);
    const text = (await page.getTextContent()).items
      .map((item) => ("str" in item ? item.str : ""))
      .filter((str) => str.trim() !== "");
    const viewport = page.getViewport({ scale: 2 });
    const factory = (document as unknown as { canvasFactory: CanvasFactory }).canvasFactory;
    const { canvas, context } = factory.create(Math.ceil(viewport.width), Math.ceil(viewport.height));
    await page.render({ canvas, canvasContext: context, viewport } as never).promise;
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
    return { pages: document.numPages, sizes, text, qr: decodePixels(new Uint8ClampedArray(pixels.data), pixels.width, pixels.height) };
  } finally {
    await document.destroy();
  }
}

interface CanvasFactory {
  create(
    width: number,
    height: number,
  ): {
    canvas: { width: number; height: number };
    context: { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number>; width: number; height: number } };
  };
}
