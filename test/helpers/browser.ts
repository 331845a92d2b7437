// Headless Chromium from Debian (/usr/bin/chromium, installed by .ci/run when
// missing) driven by playwright-core: no browser is ever downloaded. One
// browser per test file, a fresh context (no cookies, no storage) per test.
// Screenshots go to .data/screenshots/ (ignored by git, kept by CI as
// artifacts) so a person can look at them.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SCREENSHOT_DIR = join(process.cwd(), ".data", "screenshots");

// The flags this machine needs: no sandbox as root, and no background
// networking (the network is closed; Chromium would keep trying).
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/** A phone-sized (360 px) or desktop (1280 px) page in a fresh context. */
export async function openPage(
  browser: Browser,
  options: { width?: number; height?: number; locale?: string } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 360, height: options.height ?? 740 },
    locale: options.locale ?? "fr-FR",
  });
  const page = await context.newPage();
  return { context, page };
}

/** Saves a full-page screenshot as .data/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** One browser for the whole file, closed after it. */
export function useBrowser(): { readonly browser: Browser } {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  return {
    get browser() {
      if (!browser) throw new Error("the browser is not started yet");
      return browser;
    },
  };
}
