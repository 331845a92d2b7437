// The counter keeps its session (web/counter.js, refreshSession) in headless
// Chromium: with tokens that live 8 seconds, a signed-in counter renews its
// token when three quarters of its life have passed, and is still running —
// list, live feed and actions — well after the first token expired. Without
// renewal it would be back at sign-in (test/web/counter.test.ts shows that).
import type { Page } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { verifyToken } from "../../lib/auth/jwt.ts";
import { testJwt } from "../helpers/auth.ts";
import { openPage, useBrowser } from "../helpers/browser.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { createBusiness, phone } from "../helpers/fixtures.ts";
import { useTestServer } from "../helpers/server.ts";

// Browser globals used inside page.evaluate / waitForFunction (no DOM library in tsconfig).
declare const document: { querySelector(selector: string): { textContent: string | null; hidden?: boolean } | null };
declare const sessionStorage: { getItem(key: string): string | null };

const LIFETIME_S = 8;
const db = useTestDatabase();
const server = useTestServer(db, { jwtExpiresIn: String(LIFETIME_S) });
const chromium = useBrowser();
let close: (() => Promise<void>) | undefined;

afterAll(async () => {
  await close?.();
});

const JOIN = `mutation Join($qrToken: String!, $phone: String!, $name: String) {
  joinQueue(input: { qrToken: $qrToken, phone: $phone, clientName: $name }) { result { ticketNumber } }
}`;

const storedToken = (page: Page) => page.evaluate(() => sessionStorage.getItem("waitify.counter.token"));

describe("the counter's session", () => {
  it("is renewed before its token expires: the screen keeps running, live, past the first token's life", { timeout: 60_000 }, async () => {
    const shop = await createBusiness(db(), { name: "Librairie Jules" });
    const opened = await openPage(chromium.browser, { width: 1280, height: 800 });
    const page = opened.page;
    close = () => opened.context.close();
    const renewals: number[] = [];
    page.on("request", (request) => {
      if (request.url().endsWith("/graphql") && (request.postData() ?? "").includes("CounterRefreshSession")) renewals.push(Date.now());
    });
    await page.goto(`${server().url}/counter`);
    await page.fill("#email", shop.merchant.email);
    await page.fill("#password", shop.merchant.password);
    await page.click("#signin-submit");
    await page.waitForSelector("#counter:not([hidden])");
    const first = (await storedToken(page))!;
    const firstSession = verifyToken(first, testJwt);

    // Past the first token's expiry, with a margin for the server to have closed its socket.
    await page.waitForTimeout(firstSession.expiresAt - Date.now() + 2_000);
    expect(renewals.length).toBeGreaterThanOrEqual(1);
    const current = (await storedToken(page))!;
    expect(current).not.toBe(first);
    const renewed = verifyToken(current, testJwt);
    expect(renewed).toMatchObject({ userId: shop.merchant.userId, authTime: firstSession.authTime });
    expect(renewed.expiresAt).toBeGreaterThan(Date.now());
    expect(await page.isVisible("#counter")).toBe(true);
    expect(await page.isVisible("#signin")).toBe(false);

    // The live feed runs on the new token: a customer who joins now shows up without a poll.
    await server().graphql(JOIN, { qrToken: shop.qrToken, phone: phone(300), name: "Ninon" });
    await page.waitForFunction(() => (document.querySelector("#waiting-rows")?.textContent ?? "").includes("Ninon"), undefined, { timeout: 3_000 });
    // And the merchant can act: call her.
    await page.click("#call-next");
    await page.waitForFunction(() => (document.querySelector("#called-list")?.textContent ?? "").includes("Ninon"), undefined, { timeout: 5_000 });
  });
});
