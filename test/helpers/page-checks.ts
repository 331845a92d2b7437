// Checks shared by the browser tests of the customer's pages: a page that
// records its script errors and CSP violations (a test fails on any), and
// small reads of its state. Page expressions are strings (evaluated through
// the DevTools protocol, which the page's CSP does not govern) because the
// tests are typed without the DOM; waits use selectors, since polling a
// predicate inside the page would need eval, which that CSP forbids.
import { expect } from "vitest";
import type { Browser, Page } from "playwright-core";
import { openPage } from "./browser.ts";

export interface PageOptions {
  width?: number;
  locale?: string;
  /** Console errors that are expected (e.g. a websocket the test refuses on purpose). */
  allowErrors?: RegExp;
}

/** A fresh page; the test fails if the page logs a script error or a CSP violation. */
export async function withPage<T>(browser: Browser, options: PageOptions, fn: (page: Page) => Promise<T>): Promise<T> {
  const { context, page } = await openPage(browser, { width: options.width ?? 360, locale: options.locale ?? "fr-FR" });
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const text = `${message.text()} ${message.location().url}`;
    if (!options.allowErrors?.test(text)) errors.push(text);
  });
  try {
    const result = await fn(page);
    expect(errors).toEqual([]);
    return result;
  } finally {
    await context.close();
  }
}

/** The page has asked the server and shown something (it starts with the card in tone-loading). */
export const settled = (page: Page) => page.locator("#card:not(.tone-loading)").waitFor();

/** Horizontal overflow: the page must fit a 360 px phone. */
export const overflows = (page: Page) => page.evaluate<boolean>("document.documentElement.scrollWidth > window.innerWidth");

/** The id of the focused element. */
export const focusedId = (page: Page) => page.evaluate<string>("document.activeElement ? document.activeElement.id : ''");
