// The join page in Chromium (web/join.html, join.js): a customer scans the
// printed code (the QR's own address, decoded from the PNG), reads the
// queue's state, joins with the keyboard and lands on their status page;
// closed, full, paused and dead codes read as sentences; errors are announced
// and focused; the language switch works. Screenshots at 360 px and 1280 px
// go to .data/screenshots/.
import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { screenshot, useBrowser } from "../helpers/browser.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { createBusiness, join, phone } from "../helpers/fixtures.ts";
import { focusedId, overflows, settled, withPage as withPageOf } from "../helpers/page-checks.ts";
import { decodePngQr } from "../helpers/qr.ts";
import { useTestServer } from "../helpers/server.ts";

const db = useTestDatabase();
const server = useTestServer(db);
const chromium = useBrowser();

const REGENERATE = `mutation Regenerate($queueId: UUID!) {
  regenerateQrToken(input: { queueId: $queueId }) { queue { qrCodeToken } }
}`;

const withPage = <T>(width: number, fn: (page: Page) => Promise<T>) => withPageOf(chromium.browser, { width }, fn);

/** The join address a phone reads from the printed code (qr.png of the queue). */
async function scan(queueId: string, headers: Record<string, string>): Promise<string> {
  const png = await fetch(`${server().url}/queues/${queueId}/qr.png`, { headers });
  const url = decodePngQr(Buffer.from(await png.arrayBuffer()))!;
  // The code says PUBLIC_URL (http://localhost:3000 here); the test server is elsewhere.
  return `${server().url}${new URL(url).pathname}`;
}

describe("join page in Chromium", () => {
  it("scan → join page → join with the keyboard → the status page shows the place", async () => {
    const q = await createBusiness(db(), { name: "Boulangerie Paul", averageServiceTime: 120 });
    await join(db(), q.qrToken, phone(1));
    const address = await scan(q.queueId, q.merchant.headers);
    expect(address).toBe(`${server().url}/q/${q.qrToken}`);

    for (const width of [360, 1280]) {
      await withPage(width, async (page) => {
        await page.goto(address);
        await settled(page);
        await expect.poll(() => page.title()).toBe("Boulangerie Paul – Waitify");
        expect(await page.locator("#business").textContent()).toBe("Boulangerie Paul");
        expect(await page.locator("#state").textContent()).toBe("Ouverte");
        const lines = await page.locator("#lines p").allTextContents();
        expect(lines[0]).toMatch(/^\d+ personnes? attend(ent)?\.$/);
        expect(await page.getByLabel("Votre numéro de téléphone").getAttribute("autocomplete")).toBe("tel");
        expect(await page.locator("#consent").textContent()).toContain("effacés 24 h après votre passage");
        expect(await overflows(page)).toBe(false);
        await screenshot(page, `join-open-${width}`);

        if (width === 360) {
          // Keyboard only: Tab to the phone field, type, Tab to the name, Enter.
          await page.locator("#phone").focus();
          await page.keyboard.type("06 98 76 54 32");
          await page.keyboard.press("Tab");
          expect(await focusedId(page)).toBe("name");
          await page.keyboard.type("Awa");
          await page.keyboard.press("Enter");
          await page.waitForURL(/\/e\/[A-Za-z0-9_-]{32}$/);
          await expect.poll(() => page.locator("#headline").textContent()).toBe("Vous êtes n° 2 dans la file");
          expect(await page.locator("#ticket").textContent()).toBe("Ticket n° 2");
          await screenshot(page, `join-then-status-${width}`);
        }
      });
    }
    const { rows } = await db().root.query("select phone, client_name from app_public.queue_entries where queue_id = $1 and client_name = 'Awa'", [
      q.queueId,
    ]);
    expect(rows).toEqual([{ phone: "+33698765432", client_name: "Awa" }]);
  });

  it("a closed queue and a full queue say so, without the form", async () => {
    const closed = await createBusiness(db(), { name: "Salon Coiffure", open: false });
    const full = await createBusiness(db(), { name: "Préfecture", maxQueueSize: 1 });
    await join(db(), full.qrToken, phone(1));
    for (const width of [360, 1280]) {
      await withPage(width, async (page) => {
        await page.goto(`${server().url}/q/${closed.qrToken}`);
        await settled(page);
        expect(await page.locator("#state").textContent()).toBe("Fermée");
        expect(await page.locator("#lines").textContent()).toBe(
          "La file est fermée pour le moment. Revenez pendant les heures d'ouverture.",
        );
        expect(await page.locator("#join-form").isVisible()).toBe(false);
        await screenshot(page, `join-closed-${width}`);

        await page.goto(`${server().url}/q/${full.qrToken}`);
        await settled(page);
        expect(await page.locator("#state").textContent()).toBe("Complète");
        expect(await page.locator("#lines").textContent()).toBe(
          "La file est complète pour le moment. Réessayez quand quelques personnes seront passées.",
        );
        expect(await page.locator("#join-form").isVisible()).toBe(false);
        expect(await overflows(page)).toBe(false);
        await screenshot(page, `join-full-${width}`);
      });
    }
  });

  it("a queue that fills up while the customer types: the refusal is announced and focused, the state follows", async () => {
    const q = await createBusiness(db(), { maxQueueSize: 1 });
    await withPage(360, async (page) => {
      await page.goto(`${server().url}/q/${q.qrToken}`);
      await settled(page);
      await join(db(), q.qrToken, phone(1));
      await page.getByLabel("Votre numéro de téléphone").fill("06 11 22 33 44");
      await page.getByRole("button", { name: "Rejoindre la file" }).click();
      const alert = page.getByRole("alert");
      await expect.poll(() => alert.textContent()).toBe("Inscription impossible : la file est complète.");
      expect(await focusedId(page)).toBe("form-error");
      await expect.poll(() => page.locator("#state").textContent()).toBe("Complète");
      expect(page.url()).toBe(`${server().url}/q/${q.qrToken}`);
      await screenshot(page, "join-full-on-submit-360");
    });
  });

  it("a wrong phone number: the sentence, the field marked invalid and focused; then it works", async () => {
    const q = await createBusiness(db());
    await withPage(360, async (page) => {
      await page.goto(`${server().url}/q/${q.qrToken}`);
      await settled(page);
      // Nothing typed: the page's own check.
      await page.getByRole("button", { name: "Rejoindre la file" }).click();
      await expect.poll(() => page.getByRole("alert").textContent()).toBe("Indiquez votre numéro de téléphone pour rejoindre la file.");
      expect(await focusedId(page)).toBe("phone");
      // The server's check.
      await page.locator("#phone").fill("06 12");
      await page.locator("#phone").press("Enter");
      await expect.poll(() => page.getByRole("alert").textContent()).toBe(
        "Ce numéro de téléphone n'est pas valable. Exemple : 06 12 34 56 78 ou +33 6 12 34 56 78.",
      );
      expect(await focusedId(page)).toBe("phone");
      expect(await page.locator("#phone").getAttribute("aria-invalid")).toBe("true");
      expect(await page.locator("#phone").getAttribute("aria-describedby")).toBe("form-error phone-hint");
      await screenshot(page, "join-invalid-phone-360");
      await page.locator("#phone").fill("+33 6 12 34 56 78");
      await page.locator("#phone").press("Enter");
      await page.waitForURL(/\/e\//);
    });
  });

  it("the language switch turns the page into English (and back), and remembers it", async () => {
    const q = await createBusiness(db(), { language: "fr" });
    // The consent states this business's own retention.
    await db().root.query("update app_public.businesses set phone_retention_hours = 48 where id = $1", [q.businessId]);
    await withPage(360, async (page) => {
      await page.goto(`${server().url}/q/${q.qrToken}`);
      await settled(page);
      const toggle = page.locator("#lang-switch");
      expect(await toggle.textContent()).toBe("English");
      await toggle.click();
      expect(await page.locator("html").getAttribute("lang")).toBe("en");
      expect(await page.locator("#state").textContent()).toBe("Open");
      expect(await page.getByLabel("Your phone number").isVisible()).toBe(true);
      expect(await page.locator("#consent").textContent()).toContain("erased 48 hours after your visit");
      expect(await page.locator("#submit").textContent()).toBe("Join the queue");
      expect(await toggle.textContent()).toBe("Français");
      await screenshot(page, "join-english-360");
      await page.reload();
      await settled(page);
      expect(await page.locator("#submit").textContent()).toBe("Join the queue");
      await toggle.click();
      expect(await page.locator("#submit").textContent()).toBe("Rejoindre la file");
    });
  });

  it("an English business gets an English page", async () => {
    const q = await createBusiness(db(), { language: "en", name: "Corner Shop" });
    await withPage(1280, async (page) => {
      await page.goto(`${server().url}/q/${q.qrToken}`);
      await settled(page);
      expect(await page.locator("#headline").textContent()).toBe("Join the queue");
      expect(await page.locator("#lines").textContent()).toBe("Nobody is waiting: you will be next.");
    });
  });

  it("an unknown code, a malformed one, and the old code after regenerateQrToken: 'no longer valid'", async () => {
    const q = await createBusiness(db());
    const old = await scan(q.queueId, q.merchant.headers);
    const { body } = await server().graphql(REGENERATE, { queueId: q.queueId }, q.merchant.headers);
    expect(body.errors).toBeUndefined();
    const fresh = await scan(q.queueId, q.merchant.headers);
    expect(fresh).not.toBe(old);
    for (const [width, address] of [
      [360, old],
      [1280, old],
      [360, `${server().url}/q/${"z".repeat(32)}`],
      [360, `${server().url}/q/%3Cb%3Ebold%3C%2Fb%3E`],
    ] as const) {
      await withPage(width, async (page) => {
        await page.goto(address);
        await settled(page);
        expect(await page.locator("#headline").textContent()).toBe("QR code non valable");
        expect(await page.locator("#lines").textContent()).toBe("Ce QR code n'est plus valable. Demandez le nouveau code sur place.");
        expect(await page.locator("#join-form").isVisible()).toBe(false);
        expect(await page.locator("b").count()).toBe(0);
        if (address === old) await screenshot(page, `join-invalid-code-${width}`);
        if (width === 1280) {
          await page.locator("#lang-switch").click();
          expect(await page.locator("#lines").textContent()).toBe("This QR code is no longer valid. Ask for the new code on site.");
        }
      });
    }
    await withPage(360, async (page) => {
      await page.goto(fresh);
      await settled(page);
      expect(await page.locator("#join-form").isVisible()).toBe(true);
    });
  });
});
