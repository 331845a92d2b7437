// Signed-in pages keep their session (web/session.js, refreshSession) in
// headless Chromium: with tokens that live 8 seconds, the counter renews its
// token when three quarters of its life have passed and is still running —
// list, live feed and actions — well after the first token expired; the back
// office likewise. Without renewal they would be back at sign-in
// (test/web/counter.test.ts shows that for the counter).
import type { Page } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { verifyToken } from "../../lib/auth/jwt.ts";
import { testJwt } from "../helpers/auth.ts";
import { openPage, useBrowser } from "../helpers/browser.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { createAdmin, createBusiness, phone } from "../helpers/fixtures.ts";
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

const storedToken = (page: Page, key = "waitify.counter.token") => page.evaluate((name) => sessionStorage.getItem(name), key);

describe("a signed-in page's session", () => {
  it("is renewed on the counter before its token expires: the screen keeps running, live, past the first token's life", { timeout: 60_000 }, async () => {
    const shop = await createBusiness(db(), { name: "Librairie Jules" });
    const opened = await openPage(chromium.browser, { width: 1280, height: 800 });
    const page = opened.page;
    close = () => opened.context.close();
    const renewals: number[] = [];
    page.on("request", (request) => {
      if (request.url().endsWith("/graphql") && (request.postData() ?? "").includes("RefreshSession")) renewals.push(Date.now());
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

  it("is renewed in the back office too: past the first token's life the administrator still works", { timeout: 60_000 }, async () => {
    const admin = await createAdmin(db());
    const opened = await openPage(chromium.browser, { width: 1280, height: 800 });
    const page = opened.page;
    const previous = close;
    close = async () => {
      await previous?.();
      await opened.context.close();
    };
    await page.goto(`${server().url}/admin`);
    await page.fill("#email", admin.email);
    await page.fill("#password", admin.password);
    await page.click("#signin-form button[type=submit]");
    await page.waitForSelector("#office:not([hidden])");
    const first = (await storedToken(page, "waitify.admin.token"))!;
    const firstSession = verifyToken(first, testJwt);

    await page.waitForTimeout(firstSession.expiresAt - Date.now() + 1_000);
    const current = (await storedToken(page, "waitify.admin.token"))!;
    expect(current).not.toBe(first);
    expect(verifyToken(current, testJwt)).toMatchObject({ role: "waitify_admin", adminId: admin.adminId, authTime: firstSession.authTime });
    await page.click(".tab[data-section=audit]");
    await page.waitForSelector("#audit:not([hidden])");
    expect(await page.isVisible("#signin")).toBe(false);
    expect(await page.isVisible("#notice")).toBe(false);
  });
});
