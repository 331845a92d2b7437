// The query limits hold on the websocket too: a subscription document with
// 2,000 aliases or 40 levels of nesting is refused with its code before any
// planning, /health/live keeps answering meanwhile, and a message larger than
// the socket's limit closes the socket instead of being parsed.
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { useTestDatabase } from "../helpers/db.ts";
import { createBusiness, join, phone } from "../helpers/fixtures.ts";
import { useTestServer } from "../helpers/server.ts";
import { connect, type TestClient } from "../helpers/subscriptions.ts";

const db = useTestDatabase();
const server = useTestServer(db);

const clients: TestClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.dispose();
});

function aliases(count: number): string {
  const fields = Array.from({ length: count }, (_, i) => `a${i}: entryChanged(entryToken: $t) { status }`);
  return `subscription ($t: String!) { ${fields.join(" ")} }`;
}

describe("query limits on websockets", () => {
  it("refuses 2,000 aliases with a code, quickly, while /health/live answers", async () => {
    const q = await createBusiness(db());
    const entry = await join(db(), q.qrToken, phone(1));
    const client = connect(server());
    clients.push(client);
    const started = Date.now();
    const sub = client.subscribe(aliases(2000), { t: entry.entry_token });
    const live = fetch(`${server().url}/health/live`).then((response) => ({ status: response.status, at: Date.now() }));
    const received = await sub.next(10_000);
    expect(received.kind).toBe("errors");
    if (received.kind !== "errors") return;
    expect(["QUERY_TOO_LARGE", "QUERY_TOO_COMPLEX"]).toContain(received.codes[0]);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect((await live).status).toBe(200);
  });

  it("refuses deep nesting with QUERY_TOO_COMPLEX", async () => {
    const client = connect(server(), { token: (await createBusiness(db())).merchant.token });
    clients.push(client);
    let selection = "rowId";
    for (let depth = 0; depth < 20; depth++) selection = `queue { business { queuesByBusinessId(first: 1) { nodes { ${selection} } } } }`;
    const sub = client.subscribe(`subscription ($q: UUID!) { queueChanged(queueId: $q) { ${selection} } }`, {
      q: "00000000-0000-0000-0000-000000000000",
    });
    const received = await sub.next(10_000);
    expect(received).toMatchObject({ kind: "errors" });
    if (received.kind === "errors") expect(received.codes[0]).toBe("QUERY_TOO_COMPLEX");
  });

  it("closes a socket that sends a message larger than the limit, without parsing it", async () => {
    const socket = new WebSocket(`${server().url.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws");
    await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
    const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
    socket.send(JSON.stringify({ type: "connection_init", payload: { padding: "x".repeat(2_000_000) } }));
    // 1009: message too big (RFC 6455).
    expect(await closed).toBe(1009);
  });
});
