// The back office (/admin) in headless Chromium against a real server, the
// Stripe fake and the demo history of db:seed: a merchant is turned away, an
// administrator reads last month's figures, finds and suspends an account,
// reminds the overdue one, creates and disables a promo code, and sees each of
// those writes in the audit log. The token never appears in a URL.
// Screenshots go to .data/screenshots/admin-*.png.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPage, screenshot, useBrowser } from "../helpers/browser.ts";
import { useBillingEnvironment } from "../helpers/billing.ts";
import { useTestDatabase } from "../helpers/db.ts";
import {
  createAdmin,
  createMerchant,
  type TestAdmin,
} from "../helpers/fixtures.ts";

interface PageNode {
  textContent: string | null;
  querySelector(selector: string): PageNode | null;
  querySelectorAll(selector: string): ArrayLike<PageNode>;
}
declare const document: PageNode;
declare const location: { href: string };

const db = useTestDatabase();
const env = useBillingEnvironment(db);
const chromium = useBrowser();
const PAGE_MS = 10_000;

let admin: TestAdmin;
let page: Page;
let close: () => Promise<void>;
const urls: string[] = [];

beforeAll(async () => {
  await db().root.query("select app_private.seed_demo_saas_history()");
  admin = await createAdmin(db());
  const opened = await openPage(chromium.browser, { width: 1280, height: 900 });
  page = opened.page;
  close = () => opened.context.close();
  page.on("request", (request) => urls.push(request.url()));
  // Every reason the page asks for (window.prompt) is given.
  page.on("dialog", (dialog) => dialog.accept("Contrôle du back office"));
});
afterAll(async () => {
  await close?.();
});

async function signIn(email: string, password: string) {
  await page.fill("#email", email);
  await page.fill("#password", password);
  await page.click("#signin-form button[type=submit]");
}

const rowsOf = (tbody: string) =>
  page.$$eval(`${tbody} tr`, (rows: PageNode[]) =>
    rows.map((row) =>
      Array.from(row.querySelectorAll("td"), (td) =>
        (td.textContent ?? "").trim(),
      ),
    ),
  );

describe("the back office page", () => {
  it("turns a merchant away with a sentence, then lets the administrator in on last month's figures", async () => {
    const merchant = await createMerchant(db());
    await page.goto(`${env().server.url}/admin`);
    await signIn(merchant.email, merchant.password);
    await page.waitForSelector("#signin-error:not([hidden])", {
      timeout: PAGE_MS,
    });
    expect(await page.textContent("#signin-error")).toBe(
      "Ce compte n'est pas un compte administrateur.",
    );
    expect(await page.isHidden("#office")).toBe(true);

    await signIn(admin.email, admin.password);
    await page.waitForFunction(
      () =>
        (
          document.querySelector("#metrics-figures")?.textContent ?? ""
        ).includes("MRR"),
      null,
      { timeout: PAGE_MS },
    );
    const figures = await page.$$eval(
      "#metrics-figures div",
      (boxes: PageNode[]) =>
        Object.fromEntries(
          boxes.map((box) => [
            box.querySelector("dt")!.textContent,
            (box.querySelector("dd")!.textContent ?? "").replace(/\s/g, " "),
          ]),
        ),
    );
    // The demo's M-1, worked out by hand (db/admin/seed.sql).
    expect(figures).toMatchObject({
      MRR: "220,83 €",
      ARR: "2 649,96 €",
      "Comptes payants": "6",
      ARPU: "36,81 €",
      LTV: "181,61 €",
    });
    expect((await rowsOf("#series-rows")).length).toBe(12);
    await screenshot(page, "admin-metrics");
  });

  it("finds an account and suspends it with a reason, then reactivates it", async () => {
    await page.click(".tab[data-section=accounts]");
    await page.fill("#accounts-query", "saas-a@");
    await page.click("#accounts-search button[type=submit]");
    await page.waitForFunction(
      () =>
        document.querySelectorAll("#accounts-rows tr").length === 1 &&
        (document.querySelector("#accounts-rows")?.textContent ?? "").includes(
          "saas-a",
        ),
      null,
      { timeout: PAGE_MS },
    );
    await page.click("#accounts-rows button:has-text('Suspendre')");
    await page.waitForFunction(
      () =>
        (document.querySelector("#accounts-rows")?.textContent ?? "").includes(
          "suspendu",
        ),
      null,
      { timeout: PAGE_MS },
    );
    const { rows } = await db().root.query(
      "select subscription_status from app_public.users where email = 'saas-a@waitify.test'",
    );
    expect(rows[0].subscription_status).toBe("suspended");
    await screenshot(page, "admin-accounts");
    await page.click("#accounts-rows button:has-text('Réactiver')");
    await page.waitForFunction(
      () =>
        (document.querySelector("#accounts-rows")?.textContent ?? "").includes(
          "actif",
        ),
      null,
      { timeout: PAGE_MS },
    );
  });

  it("lists the overdue account with its score and sends it a reminder", async () => {
    await page.click(".tab[data-section=overdue]");
    await page.waitForFunction(
      () =>
        (document.querySelector("#overdue-rows")?.textContent ?? "").includes(
          "saas-h",
        ),
      null,
      { timeout: PAGE_MS },
    );
    const [row] = await rowsOf("#overdue-rows");
    expect(row![0]).toBe("saas-h@waitify.test");
    expect(Number(row![1])).toBeGreaterThan(0);
    await page.click("#overdue-rows button:has-text('Relancer')");
    await page.waitForFunction(
      () =>
        (document.querySelector("#status")?.textContent ?? "").startsWith(
          "Relance envoyée",
        ),
      null,
      { timeout: PAGE_MS },
    );
    await screenshot(page, "admin-overdue");
  });

  it("creates a promo code mirrored at Stripe, then disables it", async () => {
    await page.click(".tab[data-section=promos]");
    await page.fill("#promo-code", "bienvenue20");
    await page.selectOption("#promo-kind", "PERCENTAGE");
    await page.fill("#promo-value", "20");
    await page.selectOption("#promo-duration", "ONCE");
    await page.fill("#promo-max-uses", "50");
    await page.click("#promo-form button[type=submit]");
    await page.waitForFunction(
      () =>
        (document.querySelector("#promo-rows")?.textContent ?? "").includes(
          "BIENVENUE20",
        ),
      null,
      { timeout: PAGE_MS },
    );
    const [row] = await rowsOf("#promo-rows");
    expect(row!.slice(0, 5)).toEqual([
      "BIENVENUE20",
      "20 %, une fois",
      "0 / 50",
      expect.stringMatching(/→ sans fin$/),
      "actif",
    ]);
    const promotion = env()
      .fake.list("promotion_code")
      .find((code) => code.code === "BIENVENUE20");
    expect(promotion).toMatchObject({ active: true, max_redemptions: 50 });
    await screenshot(page, "admin-promos");
    await page.click("#promo-rows button:has-text('Désactiver')");
    await page.waitForFunction(
      () =>
        (document.querySelector("#promo-rows")?.textContent ?? "").includes(
          "désactivé",
        ),
      null,
      { timeout: PAGE_MS },
    );
    expect(
      env()
        .fake.list("promotion_code")
        .find((code) => code.code === "BIENVENUE20"),
    ).toMatchObject({ active: false });
  });

  it("shows every write in the audit log, by whom and why; the token never was in a URL", async () => {
    await page.click(".tab[data-section=audit]");
    await page.waitForFunction(
      () => document.querySelectorAll("#audit-rows tr").length >= 5,
      null,
      { timeout: PAGE_MS },
    );
    const rows = await rowsOf("#audit-rows");
    expect(rows.map((row) => row[2])).toEqual([
      "désactivation de code promo",
      "création de code promo",
      expect.stringMatching(/relance/),
      "réactivation",
      "suspension",
    ]);
    expect(rows.every((row) => row[1] === admin.email)).toBe(true);
    expect(rows.find((row) => row[2] === "suspension")![4]).toBe(
      "Contrôle du back office",
    );
    await screenshot(page, "admin-audit");
    expect(urls.filter((url) => url.includes(admin.token.slice(-20)))).toEqual(
      [],
    );
    expect(await page.evaluate(() => location.href)).toBe(
      `${env().server.url}/admin`,
    );
  });
});
