// The merchant's printables (lib/http/queue-qr.ts): GET /queues/<id>/qr.png,
// /qr.svg and /poster.pdf, read back as a phone and a printer would — the
// PNG decoded, the SVG rendered by Chromium and decoded, the PDF's text,
// page and printed code read by pdf.js — all to PUBLIC_URL/q/<qr token>;
// merchant-only, someone else's queue a 404; regenerateQrToken changes them.
import { describe, expect, it } from "vitest";
import { adminHeaders, bearer, merchantToken } from "../helpers/auth.ts";
import { useBrowser } from "../helpers/browser.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { createBusiness, createMerchant } from "../helpers/fixtures.ts";
import { decodePngQr, readPdf } from "../helpers/qr.ts";
import { useTestServer } from "../helpers/server.ts";

const PUBLIC_URL = "https://waitify.example/shop";

const db = useTestDatabase();
const server = useTestServer(db, { publicUrl: PUBLIC_URL });
const chromium = useBrowser();

const REGENERATE = `mutation Regenerate($queueId: UUID!) {
  regenerateQrToken(input: { queueId: $queueId }) { queue { qrCodeToken } }
}`;

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server().url}${path}`, { headers });

const A4 = [595.28, 841.89];

describe("QR code and poster of a queue", () => {
  it("qr.png decodes to the join address PUBLIC_URL/q/<qr token>, never cached", async () => {
    const q = await createBusiness(db());
    const response = await get(`/queues/${q.queueId}/qr.png`, q.merchant.headers);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/png");
    expect(response.headers.get("cache-control")).toBe("private, no-store");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(decodePngQr(Buffer.from(await response.arrayBuffer()))).toBe(`${PUBLIC_URL}/q/${q.qrToken}`);
  });

  it("qr.svg, rendered by Chromium, decodes to the same address; it may run nothing", async () => {
    const q = await createBusiness(db());
    const direct = await get(`/queues/${q.queueId}/qr.svg`, q.merchant.headers);
    expect(direct.headers.get("content-type")).toMatch(/^image\/svg\+xml/);
    expect(direct.headers.get("content-security-policy")).toBe("default-src 'none'");
    const svg = await direct.text();
    expect(svg).toMatch(/^<svg[^>]*viewBox=/);
    expect(svg).not.toMatch(/<script|on\w+=/i);

    const context = await chromium.browser.newContext({
      viewport: { width: 600, height: 600 },
      extraHTTPHeaders: q.merchant.headers,
    });
    try {
      const page = await context.newPage();
      const response = await page.goto(`${server().url}/queues/${q.queueId}/qr.svg`);
      expect(response!.status()).toBe(200);
      const shot = await page.screenshot({ clip: { x: 0, y: 0, width: 560, height: 560 } });
      expect(decodePngQr(shot)).toBe(`${PUBLIC_URL}/q/${q.qrToken}`);
    } finally {
      await context.close();
    }
  });

  it("poster.pdf: one A4 page with the business's name, the sentence, the address and the code", async () => {
    const q = await createBusiness(db(), { name: "Boulangerie Dupont" });
    const response = await get(`/queues/${q.queueId}/poster.pdf`, q.merchant.headers);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/pdf");
    expect(response.headers.get("content-disposition")).toBe('inline; filename="waitify-poster.pdf"');
    const pdf = await readPdf(Buffer.from(await response.arrayBuffer()));
    expect(pdf.pages).toBe(1);
    expect(pdf.sizes[0]![0]).toBeCloseTo(A4[0]!, 1);
    expect(pdf.sizes[0]![1]).toBeCloseTo(A4[1]!, 1);
    const url = `${PUBLIC_URL}/q/${q.qrToken}`;
    // French business: its sentence first, the English one after it.
    expect(pdf.text).toEqual(["Boulangerie Dupont", "Scannez pour rejoindre la file", "Scan to join the queue", url, "Waitify"]);
    expect(pdf.qr).toBe(url);
  });

  it("poster.pdf of an English business with several queues: English first, the queue named, a long name kept on the page", async () => {
    const name = "The Very Long Name of a Corner Shop That Goes On and On Beyond Any Reasonable Poster Width, Really";
    const q = await createBusiness(db(), { name, language: "en", queueName: "Main counter" });
    const second = await db().root.query<{ id: string; qr_code_token: string }>(
      `insert into app_public.queues (business_id, user_id, name) values ($1, $2, 'Parcels') returning id, qr_code_token`,
      [q.businessId, q.userId],
    );
    const { id, qr_code_token: token } = second.rows[0]!;
    const response = await get(`/queues/${id}/poster.pdf`, q.merchant.headers);
    const pdf = await readPdf(Buffer.from(await response.arrayBuffer()));
    expect(pdf.pages).toBe(1);
    const sentences = ["Scan to join the queue", "Scannez pour rejoindre la file"];
    expect(pdf.text.filter((line) => sentences.includes(line))).toEqual(sentences);
    expect(pdf.text).toContain("Parcels");
    // Cut to two lines with an ellipsis rather than pushing the code off the page.
    expect(pdf.text.join(" ")).toContain("The Very Long Name");
    expect(pdf.qr).toBe(`${PUBLIC_URL}/q/${token}`);
    expect(pdf.text).toContain(`${PUBLIC_URL}/q/${token}`);
  });

  it("merchant only: no token or a bad one → 401, the admin → 403, someone else's or a malformed id → 404", async () => {
    const q = await createBusiness(db());
    const stranger = await createMerchant(db());
    for (const file of ["qr.png", "qr.svg", "poster.pdf"]) {
      const path = `/queues/${q.queueId}/${file}`;
      const anonymous = await get(path);
      expect(anonymous.status, file).toBe(401);
      expect(anonymous.headers.get("www-authenticate"), file).toMatch(/^Bearer/);
      expect(await anonymous.json(), file).toMatchObject({ errors: [{ extensions: { code: "UNAUTHENTICATED" } }] });
      const forged = await get(path, bearer(`${q.merchant.token.slice(0, -4)}AAAA`));
      expect(forged.status, file).toBe(401);
      expect(await forged.json(), file).toMatchObject({ errors: [{ extensions: { code: "UNAUTHENTICATED" } }] });
      const admin = await get(path, adminHeaders());
      expect(admin.status, file).toBe(403);
      expect(await admin.json(), file).toMatchObject({ errors: [{ extensions: { code: "FORBIDDEN" } }] });
      for (const [headers, queuePath] of [
        [stranger.headers, path],
        [q.merchant.headers, `/queues/not-a-uuid/${file}`],
        [q.merchant.headers, `/queues/00000000-0000-4000-8000-000000000000/${file}`],
        [bearer(merchantToken("00000000-0000-4000-8000-000000000001")), path],
      ] as const) {
        const refused = await get(queuePath, headers);
        expect(refused.status, `${file} ${queuePath}`).toBe(404);
        const body = await refused.text();
        expect(JSON.parse(body), file).toMatchObject({ errors: [{ extensions: { code: "NOT_FOUND" } }] });
        expect(body, file).not.toContain(q.qrToken);
      }
    }
    expect((await get(`/queues/${q.queueId}/qr.gif`, q.merchant.headers)).status).toBe(404);
  });

  it("after regenerateQrToken the codes carry the new token", async () => {
    const q = await createBusiness(db());
    const { body } = await server().graphql<{ regenerateQrToken: { queue: { qrCodeToken: string } } }>(
      REGENERATE,
      { queueId: q.queueId },
      q.merchant.headers,
    );
    expect(body.errors).toBeUndefined();
    const fresh = body.data!.regenerateQrToken.queue.qrCodeToken;
    expect(fresh).not.toBe(q.qrToken);
    const png = await get(`/queues/${q.queueId}/qr.png`, q.merchant.headers);
    expect(decodePngQr(Buffer.from(await png.arrayBuffer()))).toBe(`${PUBLIC_URL}/q/${fresh}`);
    const pdf = await readPdf(Buffer.from(await (await get(`/queues/${q.queueId}/poster.pdf`, q.merchant.headers)).arrayBuffer()));
    expect(pdf.qr).toBe(`${PUBLIC_URL}/q/${fresh}`);
  });
});
