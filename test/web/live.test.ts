// web/live.js in headless Chromium, as a page uses it: graphql-ws's browser
// build from /assets/vendor/graphql-ws.js, live.js imported as a module, the
// test server behind a TCP proxy so that the network can be cut. What the
// page is told (onConnected, onData, onError) is recorded in the page and
// read from there.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { useBrowser, openPage } from "../helpers/browser.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { createBusiness, join, phone, queueCalls } from "../helpers/fixtures.ts";
import { useTestServer } from "../helpers/server.ts";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.ts";

const db = useTestDatabase();
const server = useTestServer(db);
const browserHandle = useBrowser();
const { call } = queueCalls(db);

const ENTRY_CHANGED = `subscription($entryToken: String!) { entryChanged(entryToken: $entryToken) { status position } }`;
const QUEUE_CHANGED = `subscription($queueId: UUID!) { queueChanged(queueId: $queueId) { event } }`;

type Event = { connected: true } | { data: unknown } | { error: string };

let proxy: TcpProxy;
beforeAll(async () => {
  proxy = await startTcpProxy(server().http.port);
});
afterAll(async () => {
  await proxy.close();
});

let context: BrowserContext | undefined;
afterEach(async () => {
  await context?.close();
  context = undefined;
});

/** A page of the server's origin (through the proxy) with graphql-ws's browser build loaded. */
async function livePage(): Promise<Page> {
  const opened = await openPage(browserHandle.browser);
  context = opened.context;
  const page = opened.page;
  // Any page of the origin will do: this one is the vendor script itself, shown as text.
  await page.goto(`${proxy.url}/assets/vendor/graphql-ws.js`);
  await page.addScriptTag({ url: "/assets/vendor/graphql-ws.js" });
  return page;
}

/**
 * Starts subscribe() in the page; its callbacks append to window.events. (A
 * string, so that vitest does not rewrite the page's import().)
 */
async function subscribeIn(page: Page, options: { query: string; variables: Record<string, unknown>; token?: string }) {
  await page.evaluate(`(async () => {
    const options = ${JSON.stringify({ ...options, token: options.token ?? null })};
    const live = await import("/assets/live.js");
    window.events = [];
    window.unsubscribe = live.subscribe({
      ...options,
      onConnected: () => window.events.push({ connected: true }),
      onData: (data) => window.events.push({ data }),
      onError: (code) => window.events.push({ error: code }),
    });
  })()`);
}

/** Waits until the page has recorded `count` events; returns them all. */
async function eventsOnceAtLeast(page: Page, count: number, timeout = 10_000): Promise<Event[]> {
  // A function, not a string: the page's CSP forbids eval.
  await page.waitForFunction((n) => (globalThis as unknown as { events: unknown[] }).events.length >= n, count, { timeout });
  return (await page.evaluate("window.events")) as Event[];
}

describe("web/live.js", () => {
  it("tells the page when it is connected, then each change of the customer's place; unsubscribe closes the socket", async () => {
    const q = await createBusiness(db());
    await join(db(), q.qrToken, phone(1));
    const bob = await join(db(), q.qrToken, phone(2));
    const page = await livePage();
    await subscribeIn(page, { query: ENTRY_CHANGED, variables: { entryToken: bob.entry_token } });
    expect(await eventsOnceAtLeast(page, 2)).toEqual([
      { connected: true },
      { data: { entryChanged: { status: "waiting", position: 2 } } },
    ]);
    await call(q.userId, q.queueId);
    expect((await eventsOnceAtLeast(page, 3))[2]).toEqual({ data: { entryChanged: { status: "waiting", position: 1 } } });

    await page.evaluate("window.unsubscribe()");
    await expect.poll(() => server().http.realtime.connections(), { timeout: 5_000 }).toBe(0);
  });

  it("reconnects by itself when the network drops, says so, and resubscribes", async () => {
    const q = await createBusiness(db());
    const entry = await join(db(), q.qrToken, phone(1));
    const page = await livePage();
    await subscribeIn(page, { query: ENTRY_CHANGED, variables: { entryToken: entry.entry_token } });
    await eventsOnceAtLeast(page, 2);

    proxy.dropAll();
    // Connected again (the page re-reads then), and the subscription is back: its first view, then the changes.
    const events = await eventsOnceAtLeast(page, 4);
    expect(events.slice(2)).toEqual([{ connected: true }, { data: { entryChanged: { status: "waiting", position: 1 } } }]);
    await call(q.userId, q.queueId);
    expect((await eventsOnceAtLeast(page, 5))[4]).toEqual({ data: { entryChanged: { status: "called", position: null } } });
  });

  it("resumes after SUBSCRIPTION_INTERRUPTED (the server lost its LISTEN connection), and the page is told to re-read", async () => {
    const q = await createBusiness(db());
    const page = await livePage();
    await subscribeIn(page, { query: QUEUE_CHANGED, variables: { queueId: q.queueId }, token: q.merchant.token });
    expect(await eventsOnceAtLeast(page, 2)).toEqual([{ connected: true }, { data: { queueChanged: { event: "subscribed" } } }]);

    await db().root.query(
      "select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and application_name = 'waitify-listen'",
      [db().name],
    );
    const events = await eventsOnceAtLeast(page, 5);
    expect(events.slice(2)).toEqual([
      { error: "SUBSCRIPTION_INTERRUPTED" },
      { connected: true },
      { data: { queueChanged: { event: "subscribed" } } },
    ]);
    await join(db(), q.qrToken, phone(1));
    expect((await eventsOnceAtLeast(page, 6))[5]).toEqual({ data: { queueChanged: { event: "entry_joined" } } });
  });

  it("reports refusals as codes and does not retry them: a bad token (4401), someone else's queue", async () => {
    const q = await createBusiness(db());
    const other = await createBusiness(db());
    const page = await livePage();
    await subscribeIn(page, { query: QUEUE_CHANGED, variables: { queueId: q.queueId }, token: "not.a.token" });
    expect(await eventsOnceAtLeast(page, 1)).toEqual([{ error: "UNAUTHENTICATED" }]);

    await subscribeIn(page, { query: QUEUE_CHANGED, variables: { queueId: q.queueId }, token: other.merchant.token });
    expect(await eventsOnceAtLeast(page, 2)).toEqual([{ connected: true }, { error: "NOT_FOUND" }]);
    // The socket is let go, and nothing more comes: no retry of a refusal
    // (a retry would be connected again within 0.5–1 s).
    await expect.poll(() => server().http.realtime.connections(), { timeout: 5_000 }).toBe(0);
    await page.waitForTimeout(1_500);
    expect(await page.evaluate("window.events.length")).toBe(2);
  });
});
