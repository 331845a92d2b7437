// The customer's status page in Chromium (web/status.html, status.js), live:
// from the printed code to the counter. The customer scans, joins, sees their
// place; the merchant calls them (callNext through the API) and the page says
// "It's your turn" — and the tab's title too — within two seconds, without a
// reload: the polling fallback runs every 30 s, so only the entryChanged
// subscription can make it in time. "5 more minutes" works once, then is gone;
// a page that missed the news (websocket refused) gets the refusal as a
// sentence; leaving the queue; positions moving live. Screenshots at 360 px
// and 1280 px go to .data/screenshots/.
import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { openPage, screenshot, useBrowser } from "../helpers/browser.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { createBusiness, join, phone } from "../helpers/fixtures.ts";
import { focusedId, overflows, settled, withPage } from "../helpers/page-checks.ts";
import { decodePngQr } from "../helpers/qr.ts";
import { useTestServer } from "../helpers/server.ts";

const db = useTestDatabase();
const server = useTestServer(db);
const chromium = useBrowser();

/** What "live" must beat: the page's fallback poll is 30 s. */
const LIVE_WITHIN_MS = 2000;

const CALL_NEXT = `mutation CallNext($queueId: UUID!) { callNext(input: { queueId: $queueId }) { result { rowId status } } }`;
const MARK_SERVED = `mutation MarkServed($entryId: UUID!) { markServed(input: { entryId: $entryId }) { result { status } } }`;
const REQUEST_MORE_TIME = `mutation M($t: String!) { requestMoreTime(input: { entryToken: $t }) { result { moreTimeRequested } } }`;

/**
 * Resolves once the page's entryChanged subscription has delivered its first
 * message (graphql-ws "next" frame): from then on, changes reach the page
 * only through it (or through the 30 s poll).
 */
function subscribed(page: Page): Promise<void> {
  return new Promise((resolve) => {
    page.on("websocket", (socket) => {
      socket.on("framereceived", (frame) => {
        if (String(frame.payload).includes('"type":"next"')) resolve();
      });
    });
  });
}

/** Marks the document; a reload (or navigation) loses the mark. */
const mark = (page: Page) => page.evaluate("window.__sameDocument = true");
const sameDocument = (page: Page) => page.evaluate<boolean>("window.__sameDocument === true");

async function callNext(q: { queueId: string; merchant: { headers: Record<string, string> } }): Promise<string> {
  const { body } = await server().graphql<{ callNext: { result: { rowId: string } } }>(CALL_NEXT, { queueId: q.queueId }, q.merchant.headers);
  expect(body.errors).toBeUndefined();
  return body.data!.callNext.result.rowId;
}

/** Waits for the headline, and says how long it took. */
async function headlineWithin(page: Page, text: string, timeout: number): Promise<number> {
  const started = Date.now();
  await page.locator("#headline", { hasText: text }).waitFor({ timeout });
  return Date.now() - started;
}

describe("status page in Chromium, live", () => {
  it("scan → join → place; called by the merchant → 'your turn' within 2 s without reload; 5 more minutes once", async () => {
    const q = await createBusiness(db(), { name: "Boulangerie Paul", clientTimeoutMinutes: 5 });
    const png = await fetch(`${server().url}/queues/${q.queueId}/qr.png`, { headers: q.merchant.headers });
    const address = `${server().url}${new URL(decodePngQr(Buffer.from(await png.arrayBuffer()))!).pathname}`;
    await join(db(), q.qrToken, phone(1));

    await withPage(chromium.browser, { width: 360 }, async (page) => {
      const live = subscribed(page);
      await page.goto(address);
      await settled(page);
      await page.getByLabel("Votre numéro de téléphone").fill("06 55 44 33 22");
      await page.getByRole("button", { name: "Rejoindre la file" }).click();
      await page.waitForURL(/\/e\/[A-Za-z0-9_-]{32}$/);
      await page.locator("#headline", { hasText: "Vous êtes n° 2 dans la file" }).waitFor();
      await live;
      await mark(page);
      expect(await page.title()).toBe("Boulangerie Paul – Waitify");
      expect(await page.locator("#more-time").isVisible()).toBe(false);
      expect(await overflows(page)).toBe(false);
      await screenshot(page, "status-waiting-360");

      // The one ahead is called: the position moves, live.
      await callNext(q);
      await headlineWithin(page, "Vous êtes n° 1 dans la file", LIVE_WITHIN_MS);

      // Called: "your turn", prominent, and in the tab's title.
      await callNext(q); // (the first one is still at the counter: a second desk calls)
      const tookMs = await headlineWithin(page, "C'est votre tour !", LIVE_WITHIN_MS);
      expect(tookMs).toBeLessThan(LIVE_WITHIN_MS);
      expect(await sameDocument(page)).toBe(true);
      await expect.poll(() => page.title()).toBe("C'est votre tour ! – Boulangerie Paul");
      expect(await page.locator("#card").getAttribute("class")).toBe("card tone-called");
      const deadline = await page.locator("#lines p").first().textContent();
      expect(deadline).toMatch(/^Présentez-vous au comptoir avant \d\d:\d\d\.$/);
      const moreTime = page.getByRole("button", { name: "J'ai besoin de 5 minutes de plus" });
      expect(await moreTime.isVisible()).toBe(true);
      expect(await overflows(page)).toBe(false);
      await screenshot(page, "status-called-360");

      // 5 more minutes: the deadline moves by five minutes, the button goes.
      await moreTime.click();
      await page.locator("#lines p", { hasText: "C'est noté : vous avez 5 minutes de plus." }).waitFor();
      expect(await moreTime.isVisible()).toBe(false);
      const later = await page.locator("#lines p").first().textContent();
      const minutes = (line: string | null) => {
        const [, h, m] = /(\d\d):(\d\d)/.exec(line ?? "")!;
        return Number(h) * 60 + Number(m);
      };
      expect((minutes(later) - minutes(deadline) + 24 * 60) % (24 * 60)).toBe(5);
      expect(await page.locator("#cancel").isVisible()).toBe(true);
      expect(await sameDocument(page)).toBe(true);
      await screenshot(page, "status-more-time-360");
    });
    const { rows } = await db().root.query<{ n: number }>(
      "select count(*)::int as n from app_public.queue_events where queue_id = $1 and event_type = 'entry_more_time_requested'",
      [q.queueId],
    );
    expect(rows[0]!.n).toBe(1);
  });

  it("at 1280 px: waiting, then called live, then served live (the page stops)", async () => {
    const q = await createBusiness(db(), { name: "Pharmacie du Port", language: "en" });
    const entry = await join(db(), q.qrToken, phone(2), "Awa");
    await withPage(chromium.browser, { width: 1280 }, async (page) => {
      const live = subscribed(page);
      await page.goto(`${server().url}/e/${entry.entry_token}`);
      await page.locator("#headline", { hasText: "You are number 1 in the queue" }).waitFor();
      await live;
      await mark(page);
      await screenshot(page, "status-waiting-1280");
      const entryId = await callNext(q);
      await headlineWithin(page, "It's your turn!", LIVE_WITHIN_MS);
      await expect.poll(() => page.title()).toBe("It's your turn! – Pharmacie du Port");
      await screenshot(page, "status-called-1280");
      const { body } = await server().graphql(MARK_SERVED, { entryId }, q.merchant.headers);
      expect(body.errors).toBeUndefined();
      await headlineWithin(page, "You have been served", LIVE_WITHIN_MS);
      expect(await page.locator("#cancel").isVisible()).toBe(false);
      expect(await page.locator("#more-time").isVisible()).toBe(false);
      expect(await sameDocument(page)).toBe(true);
    });
  });

  it("a page that missed the news (websocket refused) gets the refusal of a second request as a sentence", async () => {
    const q = await createBusiness(db());
    const entry = await join(db(), q.qrToken, phone(3));
    await callNext(q);
    await withPage(chromium.browser, { width: 360, allowErrors: /WebSocket|websocket|ws:\/\// }, async (page) => {
      // No live updates for this page: it knows only what it read at load.
      await page.routeWebSocket(/\/graphql$/, (socket) => socket.close());
      await page.goto(`${server().url}/e/${entry.entry_token}`);
      const moreTime = page.getByRole("button", { name: "J'ai besoin de 5 minutes de plus" });
      await moreTime.waitFor();
      // Meanwhile, from another tab, the customer already asked.
      const { body } = await server().graphql(REQUEST_MORE_TIME, { t: entry.entry_token });
      expect(body.errors).toBeUndefined();
      await moreTime.click();
      const notice = page.getByRole("alert");
      await expect
        .poll(() => notice.textContent())
        .toBe("Vous avez déjà demandé 5 minutes de plus : ce délai ne se prolonge qu'une fois.");
      expect(await focusedId(page)).toBe("notice");
      // The page re-read the entry: the button is gone, the extra time shown.
      expect(await moreTime.isVisible()).toBe(false);
      expect(await page.locator("#lines").textContent()).toContain("C'est noté : vous avez 5 minutes de plus.");
      await screenshot(page, "status-more-time-refused-360");
    });
  });

  it("leaving the queue: confirmed, shown at once, the buttons gone; the one behind moves up live", async () => {
    const q = await createBusiness(db());
    const first = await join(db(), q.qrToken, phone(4));
    const second = await join(db(), q.qrToken, phone(5));
    const { context: otherContext, page: behind } = await openPage(chromium.browser);
    try {
      const behindLive = subscribed(behind);
      await behind.goto(`${server().url}/e/${second.entry_token}`);
      await behind.locator("#headline", { hasText: "Vous êtes n° 2 dans la file" }).waitFor();
      await behindLive;
      await withPage(chromium.browser, { width: 360 }, async (page) => {
        await page.goto(`${server().url}/e/${first.entry_token}`);
        await page.locator("#headline", { hasText: "Vous êtes n° 1 dans la file" }).waitFor();
        let asked = "";
        page.once("dialog", (dialog) => {
          asked = dialog.message();
          void dialog.accept();
        });
        await page.getByRole("button", { name: "Quitter la file" }).click();
        await page.locator("#headline", { hasText: "Vous n'êtes plus dans la file" }).waitFor();
        expect(asked).toBe("Voulez-vous vraiment quitter la file ? Votre place sera perdue.");
        expect(await page.locator("#cancel").isVisible()).toBe(false);
        await screenshot(page, "status-cancelled-360");
      });
      await headlineWithin(behind, "Vous êtes n° 1 dans la file", LIVE_WITHIN_MS);
    } finally {
      await otherContext.close();
    }
  });

  it("an unknown link says so and stops", async () => {
    await withPage(chromium.browser, { width: 360 }, async (page) => {
      await page.goto(`${server().url}/e/${"q".repeat(32)}`);
      await page.locator("#headline", { hasText: "Oups" }).waitFor();
      expect(await page.locator("#lines").textContent()).toBe(
        "Ce lien de suivi n'existe pas ou n'est plus valable. Vérifiez le lien reçu par SMS.",
      );
      expect(await page.locator("#cancel").isVisible()).toBe(false);
    });
  });
});
