// The counter screen (/counter) in headless Chromium against a real server
// and database: a merchant signs in (a wrong password reads as a sentence),
// picks a business and queue, opens it, sees customers who join through the
// API appear without a reload, calls the next one (button and N), marks them
// served (S) and missed (button), adds a walk-in (no SMS), pauses, resumes,
// uses the TV mode and closes the queue; the session token never shows in a
// URL nor in localStorage. Screenshots at 1280 px and at tablet size go to
// .data/screenshots/.
import { readFileSync } from "node:fs";
import type { Page, Request } from "playwright-core";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { merchantToken, testJwt } from "../helpers/auth.ts";
import { useBrowser, openPage, screenshot } from "../helpers/browser.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { createBusiness, createMerchant, phone, smsLogs, type BusinessFixture, type TestMerchant } from "../helpers/fixtures.ts";
import { readPdf } from "../helpers/qr.ts";
import { useTestServer } from "../helpers/server.ts";

// The callbacks given to page.evaluate / waitForFunction / $$eval run in
// Chromium, not in Node: the few browser globals they use, typed here (the
// project's tsconfig has no DOM library, on purpose).
interface PageNode {
  textContent: string | null;
  children: ArrayLike<PageNode>;
}
declare const document: {
  querySelector(selector: string): PageNode | null;
  querySelectorAll(selector: string): ArrayLike<PageNode>;
  activeElement: { id: string } | null;
  cookie: string;
  documentElement: { scrollWidth: number };
};
declare const location: { href: string };
declare const sessionStorage: { getItem(key: string): string | null; length: number };
declare const localStorage: Record<string, string>;

const db = useTestDatabase();
const server = useTestServer(db);
const chromium = useBrowser();

/**
 * How long the page may take to show a change made elsewhere once live: the
 * subscription's message, then a fetch. (It polls every 30 s while live, so a
 * change seen within this delay came through the live feed.)
 */
const LIVE_MS = 3_000;
/** Own actions and first loads. */
const PAGE_MS = 10_000;

const JOIN = `mutation Join($qrToken: String!, $phone: String!, $name: String) {
  joinQueue(input: { qrToken: $qrToken, phone: $phone, clientName: $name }) { result { ticketNumber } }
}`;
const CALL_NEXT = `mutation CallNext($id: UUID!) { callNext(input: { queueId: $id }) { result { ticketNumber } } }`;

async function joinThroughApi(qrToken: string, phoneNumber: string, name?: string) {
  const { body } = await server().graphql<{ joinQueue: { result: { ticketNumber: number } } }>(JOIN, {
    qrToken,
    phone: phoneNumber,
    name: name ?? null,
  });
  return body;
}

/** Waits until the element's text contains `text`. */
async function waitForText(page: Page, selector: string, text: string, timeout = PAGE_MS): Promise<void> {
  await page.waitForFunction(
    ([sel, expected]) => {
      const node = document.querySelector(sel!);
      return !!node && (node.textContent ?? "").includes(expected!);
    },
    [selector, text],
    { timeout },
  );
}

/** The rows of the waiting table: the text of each cell. */
async function waitingRows(page: Page): Promise<string[][]> {
  return page.$$eval("#waiting-rows tr", (rows: PageNode[]) =>
    rows.map((row) => Array.from(row.children).map((cell) => (cell.textContent ?? "").trim())),
  );
}

async function entryRows(queueId: string) {
  const { rows } = await db().root.query<{ id: string; ticket_number: number; status: string; is_walk_in: boolean; client_name: string | null }>(
    "select id, ticket_number, status, is_walk_in, client_name from app_public.queue_entries where queue_id = $1 order by ticket_number",
    [queueId],
  );
  return rows;
}

/** Signs in through the form. */
async function signIn(page: Page, merchant: TestMerchant, password = merchant.password): Promise<void> {
  await page.fill("#email", merchant.email);
  await page.fill("#password", password);
  await page.click("#signin-submit");
}

describe("counter screen in a browser", () => {
  let merchant: TestMerchant;
  let bakery: BusinessFixture;
  const requests: string[] = [];
  const sockets: string[] = [];
  let page: Page;
  let close: () => Promise<void>;

  beforeAll(async () => {
    merchant = await createMerchant(db(), { plan: "pro" });
    bakery = await createBusiness(db(), { merchant, name: "Boulangerie Paul", open: false, averageServiceTime: 180 });
    // A second business: the picker must ask.
    await createBusiness(db(), { merchant, name: "Atelier Vélo", open: false });
  });

  afterEach(async () => {
    await close?.();
  });

  async function open(width: number, height: number, locale = "fr-FR") {
    const opened = await openPage(chromium.browser, { width, height, locale });
    page = opened.page;
    close = () => opened.context.close();
    requests.length = 0;
    sockets.length = 0;
    page.on("request", (request: Request) => requests.push(request.url()));
    page.on("websocket", (socket) => sockets.push(socket.url()));
    page.on("dialog", (dialog) => void dialog.accept());
    await page.goto(`${server().url}/counter`);
  }

  it("runs a queue from sign-in to closing, live, by mouse and keyboard", async () => {
    await open(1280, 860);
    await page.waitForSelector("#signin:not([hidden])");
    await screenshot(page, "counter-signin-1280");

    // A wrong password reads as a sentence; the right one signs in.
    await signIn(page, merchant, "not the password");
    await waitForText(page, "#signin-error", "Adresse e-mail ou mot de passe incorrect.");
    await signIn(page, merchant);

    // Two businesses: the picker asks which queue to run.
    await page.waitForSelector("#picker:not([hidden])");
    const businesses = await page.$$eval("#business-select option", (options: PageNode[]) => options.map((o) => o.textContent));
    expect(businesses).toEqual(["Atelier Vélo", "Boulangerie Paul"]);
    await page.selectOption("#business-select", bakery.businessId);
    await page.selectOption("#queue-select", bakery.queueId);
    await page.click("#picker-submit");
    await page.waitForSelector("#counter:not([hidden])");
    await waitForText(page, "#queue-state", "Fermée");
    expect(await page.textContent("#where")).toBe("Boulangerie Paul · Principale");

    // N on a closed queue: the server's code as a sentence.
    await page.keyboard.press("n");
    await waitForText(page, "#notice", "La file est fermée : ouvrez-la d'abord.");

    await page.click("#open-queue");
    await waitForText(page, "#queue-state", "Ouverte");
    expect(await page.isHidden("#notice")).toBe(true);
    await waitForText(page, "#live", "En direct");

    // Customers join through the API: they appear without a reload, live.
    expect((await joinThroughApi(bakery.qrToken, phone(1), "Alice")).errors).toBeUndefined();
    expect((await joinThroughApi(bakery.qrToken, phone(2))).errors).toBeUndefined();
    await page.waitForFunction(() => document.querySelectorAll("#waiting-rows tr").length === 2, undefined, { timeout: LIVE_MS });
    const rows = await waitingRows(page);
    expect(rows.map((cells) => cells.slice(0, 4))).toEqual([
      ["1", "n° 1", "Alice", "+33 6 •• •• •• 01"],
      ["2", "n° 2", "Sans nom", "+33 6 •• •• •• 02"],
    ]);
    expect(rows[1]!.slice(4)).toEqual(["< 1 min", "3 min"]);
    expect(await page.textContent("body")).not.toContain("+33600000001");

    // Call next with the button: Alice is called, shown large.
    await page.click("#call-next");
    await waitForText(page, "#called-list", "Alice");
    await waitForText(page, "#now-ticket .ticket-number", "1");
    await waitForText(page, "#status", "Ticket n° 1 appelé : Alice.");
    expect(await page.textContent("#called-list .called-card")).toMatch(/à venir avant \d\d:\d\d/);

    // S: served (the customer called last).
    await page.keyboard.press("s");
    await waitForText(page, "#status", "Ticket n° 1 servi.");
    await page.waitForSelector("#called-empty:not([hidden])");

    // N: the next one, then the Missed button on their card.
    await page.keyboard.press("n");
    await waitForText(page, "#now-ticket .ticket-number", "2");
    await page.waitForSelector("#called-list .called-card button[data-action='missed']");
    await page.click("#called-list .called-card button[data-action='missed']");
    await waitForText(page, "#status", "Ticket n° 2 marqué absent.");
    expect((await entryRows(bakery.queueId)).map((e) => [e.ticket_number, e.status])).toEqual([
      [1, "served"],
      [2, "missed"],
    ]);

    // A walk-in: A focuses the name; a blank name is refused at once; typing N there calls nobody.
    await page.keyboard.press("a");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("walk-in-name");
    await page.keyboard.press("Enter");
    await waitForText(page, "#walk-in-error", "Indiquez le nom du client");
    await page.keyboard.type("Nina Martin");
    await page.keyboard.press("Enter");
    await waitForText(page, "#status", "Nina Martin ajouté à la file : ticket n° 3.");
    await waitForText(page, "#waiting-rows", "Nina Martin");
    const walkInRow = (await waitingRows(page))[0]!;
    expect(walkInRow.slice(1, 4)).toEqual(["n° 3", "Nina Martin au comptoir", "Sans téléphone"]);
    expect(await page.inputValue("#walk-in-name")).toBe("");
    const stored = (await entryRows(bakery.queueId)).filter((e) => e.is_walk_in);
    expect(stored).toMatchObject([{ ticket_number: 3, status: "waiting", client_name: "Nina Martin" }]);
    expect(await smsLogs(db(), "queue_entry_id = $1", [stored[0]!.id])).toEqual([]);
    // The QR customers got theirs.
    expect((await smsLogs(db(), "business_id = $1", [bakery.businessId])).length).toBeGreaterThan(0);

    await joinThroughApi(bakery.qrToken, phone(4), "Bruno");
    await page.waitForFunction(() => document.querySelectorAll("#waiting-rows tr").length === 2, undefined, { timeout: LIVE_MS });
    await screenshot(page, "counter-list-1280");

    // Pause: no calls, no joins; resume.
    await page.click("#pause-queue");
    await waitForText(page, "#queue-state", "En pause");
    expect(await page.isDisabled("#call-next")).toBe(true);
    expect((await joinThroughApi(bakery.qrToken, phone(5))).errors![0]!.extensions!.code).toBe("QUEUE_PAUSED");
    await page.click("#resume-queue");
    await waitForText(page, "#queue-state", "Ouverte");

    // TV mode: the last ticket called, large; a call made from another desk shows there without a reload.
    await page.keyboard.press("t");
    await page.waitForSelector("#tv:not([hidden])");
    expect(await page.isHidden("#counter")).toBe(true);
    await waitForText(page, "#tv-ticket .ticket-number", "2");
    const called = await server().graphql(CALL_NEXT, { id: bakery.queueId }, merchant.headers);
    expect(called.body.errors).toBeUndefined();
    await waitForText(page, "#tv-ticket .ticket-number", "3", LIVE_MS);
    expect(await page.textContent("#tv-ticket .visually-hidden")).toBe("Ticket n° 3");
    await waitForText(page, "#tv-prompt", "Présentez-vous au comptoir", LIVE_MS);
    // N does nothing on the TV.
    await page.keyboard.press("n");
    await screenshot(page, "counter-tv-1280");
    await page.keyboard.press("Escape");
    await page.waitForSelector("#counter:not([hidden])");
    expect((await entryRows(bakery.queueId)).filter((e) => e.status === "called").map((e) => e.ticket_number)).toEqual([3]);

    // Close (confirmed): Bruno's place is cancelled, the called walk-in stays to be served.
    await page.click("#close-queue");
    await waitForText(page, "#queue-state", "Fermée");
    expect((await entryRows(bakery.queueId)).map((e) => [e.ticket_number, e.status])).toEqual([
      [1, "served"],
      [2, "missed"],
      [3, "called"],
      [4, "cancelled"],
    ]);

    // The token: in this tab's sessionStorage only, never in a URL or localStorage.
    const storage = await page.evaluate(() => ({
      session: sessionStorage.getItem("waitify.counter.token"),
      local: Object.keys(localStorage).length,
      cookies: document.cookie,
      url: location.href,
    }));
    expect(storage.session).toMatch(/^ey/);
    expect(storage.local).toBe(0);
    expect(storage.cookies).toBe("");
    expect(storage.url).toBe(`${server().url}/counter`);
    expect(requests.length).toBeGreaterThan(5);
    expect(sockets).toEqual([`${server().url.replace("http:", "ws:")}/graphql`]);
    for (const url of [...requests, ...sockets]) expect(url).not.toContain(storage.session!);

    // A reload keeps the session and the queue; signing out forgets both.
    await page.reload();
    await waitForText(page, "#where", "Boulangerie Paul · Principale");
    await page.click("#sign-out");
    await page.waitForSelector("#signin:not([hidden])");
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  it("without websockets, polls: the list still follows the queue, and says so", async () => {
    const shop = await createBusiness(db(), { name: "Kiosque" });
    const opened = await openPage(chromium.browser, { width: 1280, height: 800 });
    page = opened.page;
    close = () => opened.context.close();
    // No graphql-ws in the page: live.js reports NETWORK, the page polls.
    await page.route("**/assets/vendor/graphql-ws.js", (route) => route.abort());
    await page.goto(`${server().url}/counter`);
    await signIn(page, shop.merchant);
    await page.waitForSelector("#counter:not([hidden])");
    await waitForText(page, "#live", "Mise à jour toutes les 5 s");
    await joinThroughApi(shop.qrToken, phone(200), "Zoé");
    await waitForText(page, "#waiting-rows", "Zoé", 8_000);
    expect(await page.textContent("#live")).toBe("Mise à jour toutes les 5 s");
  });

  it("downloads the open queue's QR poster with the session (never a token in a URL)", async () => {
    const shop = await createBusiness(db(), { name: "Fromagerie Lise" });
    await open(1280, 800);
    await signIn(page, shop.merchant);
    await page.waitForSelector("#counter:not([hidden])");
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#poster")]);
    expect(download.suggestedFilename()).toBe("waitify-qr-poster.pdf");
    const path = await download.path();
    const poster = await readPdf(readFileSync(path));
    expect(poster.text.join(" ")).toContain("Fromagerie Lise");
    expect(poster.qr).toBe(`http://localhost:3000/q/${shop.qrToken}`);
    // The request carried the token in its header only.
    const posterRequests = requests.filter((url) => url.includes("/poster.pdf"));
    expect(posterRequests).toEqual([`${server().url}/queues/${shop.queueId}/poster.pdf`]);
  });

  it("an expired session goes back to sign-in with a sentence", async () => {
    // The merchant's own token, signed by the server's key, valid for one second.
    const expired = merchantToken(merchant.userId, { ...testJwt, expiresIn: "1" });
    await open(1280, 800);
    await page.waitForSelector("#signin:not([hidden])");
    await page.evaluate((token) => {
      (globalThis as unknown as { sessionStorage: { setItem(k: string, v: string): void } }).sessionStorage.setItem(
        "waitify.counter.token",
        token,
      );
    }, expired);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await page.reload();
    await waitForText(page, "#signin-error", "Votre session a expiré : connectez-vous à nouveau.");
    expect(await page.evaluate(() => sessionStorage.getItem("waitify.counter.token"))).toBeNull();
  });

  it("fits a tablet (1024 × 768), in English for an English business", async () => {
    const shop = await createBusiness(db(), { name: "Corner Pharmacy", language: "en", averageServiceTime: 240 });
    for (let i = 1; i <= 6; i++) await joinThroughApi(shop.qrToken, phone(100 + i), i % 2 ? `Customer ${i}` : undefined);
    await server().graphql(CALL_NEXT, { id: shop.queueId }, shop.merchant.headers);
    // The last one has waited 40 minutes where 20 were quoted.
    await db().root.query(
      "update app_public.queue_entries set joined_at = now() - interval '40 minutes' where queue_id = $1 and ticket_number = 6",
      [shop.queueId],
    );
    await open(1024, 768, "fr-FR");
    await signIn(page, shop.merchant);
    // One business, one queue: straight to the counter.
    await page.waitForSelector("#counter:not([hidden])");
    await waitForText(page, "#queue-state", "Open");
    await waitForText(page, "#called-list", "Customer 1");
    expect(await page.textContent("#call-next")).toContain("Call next");
    // A redraw (someone joins) does not announce the called ticket again: its live region is left alone.
    await page.evaluate(() => {
      const w = globalThis as unknown as { changes: number; MutationObserver: new (fn: () => void) => { observe(n: unknown, o: object): void } };
      w.changes = 0;
      new w.MutationObserver(() => (w.changes += 1)).observe(document.querySelector("#now-ticket"), {
        childList: true,
        subtree: true,
        characterData: true,
      });
    });
    await joinThroughApi(shop.qrToken, phone(107));
    await page.waitForFunction(() => document.querySelectorAll("#waiting-rows tr").length === 6, undefined, { timeout: LIVE_MS });
    expect(await page.evaluate(() => (globalThis as unknown as { changes: number }).changes)).toBe(0);
    const last = (await waitingRows(page))[4]!;
    expect(last.slice(1, 4)).toEqual(["#6", "No name", "+33 6 •• •• •• 06"]);
    expect(last.slice(4)).toEqual(["40 min +20 min20 min over the quote", "20 min"]);
    expect(await page.$$eval("#shortcut-list dt", (keys: PageNode[]) => keys.map((k) => k.textContent))).toEqual(["N", "S", "M", "A", "T", "Esc"]);
    await screenshot(page, "counter-tablet-1024");
    // Nothing runs wider than the screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1024);
    await page.setViewportSize({ width: 768, height: 1024 });
    await screenshot(page, "counter-tablet-768-portrait");
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(768);
  });
});
