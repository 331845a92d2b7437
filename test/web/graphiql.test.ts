// Ruru (/graphiql, development only) still works under its own CSP
// (lib/http/security-headers.ts): the IDE renders, runs a query, and the
// browser reports no CSP violation.
import { describe, expect, it } from "vitest";
import { openPage, useBrowser } from "../helpers/browser.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { useTestServer } from "../helpers/server.ts";

describe("Ruru in development", () => {
  const db = useTestDatabase();
  const server = useTestServer(db, { development: true });
  const chrome = useBrowser();

  it("renders and answers a query without a CSP violation", async () => {
    const { context, page } = await openPage(chrome.browser, { width: 1280, height: 800 });
    const problems: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(error.message));
    try {
      await page.goto(`${server().url}/graphiql`);
      await page.locator(".graphiql-container .monaco-editor").first().waitFor({ timeout: 20_000 });
      // The schema is fetched by introspection (a POST to /graphql from the page).
      await page.locator(".graphiql-execute-button").waitFor();
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
