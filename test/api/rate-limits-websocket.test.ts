// Rate limits on the websocket server (lib/http/rate-limit/realtime.ts):
// open sockets per address (a refused upgrade is a plain 429 with
// Retry-After, before any websocket exists), subscribe messages per socket
// (a refused one gets RATE_LIMITED on its id; the socket stays open).
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../helpers/db.ts";
import { createBusiness, join, phone } from "../helpers/fixtures.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { connect } from "../helpers/subscriptions.ts";

const db = useTestDatabase();
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(db(), {
    rateLimits: { wsConnectionsPerAddress: 2, wsSubscribesPerSocket: { points: 2, seconds: 60 } },
    trustProxy: ["loopback"],
  });
});
afterAll(async () => {
  await server?.close();
});

const ENTRY_CHANGED = `subscription Entry($entryToken: String!) { entryChanged(entryToken: $entryToken) { status ticketNumber } }`;

/** A raw websocket upgrade from `address` (X-Forwarded-For, believed from the loopback proxy). */
function open(address: string): Promise<{ socket?: WebSocket; status?: number; retryAfter?: string; body?: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${server.url.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws", {
      headers: { "x-forwarded-for": address },
    });
    socket.once("open", () => resolve({ socket }));
    socket.once("unexpected-response", (_request, response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode, retryAfter: String(response.headers["retry-after"]), body }));
    });
    socket.once("error", (error) => reject(error));
  });
}

const closed = (socket: WebSocket) => new Promise<void>((resolve) => {
  socket.once("close", () => resolve());
  socket.close();
});

describe("websocket rate limits", () => {
  it("an address holds two sockets at once; the third upgrade is 429 RATE_LIMITED; one closing makes room", async () => {
    const first = await open("198.51.100.31");
    const second = await open("198.51.100.31");
    expect(first.socket && second.socket).toBeTruthy();
    const third = await open("198.51.100.31");
    expect(third.status).toBe(429);
    expect(Number(third.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(third.body!).errors[0].extensions).toEqual({ code: "RATE_LIMITED", retryAfterSeconds: Number(third.retryAfter) });
    // Another address is not affected.
    const other = await open("198.51.100.32");
    expect(other.socket).toBeTruthy();
    await closed(first.socket!);
    // The count follows the close (the server sees it a moment later).
    let again: Awaited<ReturnType<typeof open>> = {};
    for (let attempt = 0; attempt < 20 && !again.socket; attempt++) {
      again = await open("198.51.100.31");
      if (!again.socket) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(again.socket).toBeTruthy();
    await Promise.all([second.socket!, other.socket!, again.socket!].map(closed));
  });

  it("a socket may subscribe twice a minute; the third subscription is RATE_LIMITED and the socket stays open", async () => {
    const { qrToken } = await createBusiness(db());
    const entry = await join(db(), qrToken, phone(41000001));
    const client = connect(server);
    try {
      const one = client.subscribe<{ entryChanged: { status: string } }>(ENTRY_CHANGED, { entryToken: entry.entry_token });
      expect((await one.nextData()).entryChanged.status).toBe("waiting");
      const two = client.subscribe<{ entryChanged: { status: string } }>(ENTRY_CHANGED, { entryToken: entry.entry_token });
      expect((await two.nextData()).entryChanged.status).toBe("waiting");
      const three = client.subscribe(ENTRY_CHANGED, { entryToken: entry.entry_token });
      const refused = await three.next();
      expect(refused).toMatchObject({ kind: "errors", codes: ["RATE_LIMITED"] });
      // The first two still live on the same socket.
      expect(server.http.realtime.connections()).toBeGreaterThanOrEqual(1);
      one.unsubscribe();
      two.unsubscribe();
    } finally {
      await client.dispose();
    }
  });
});
