// The counter screen over HTTP (/counter): served with the security headers
// and nothing from the URL in it; addWalkIn and the counter's reads through
// the merchant's GraphQL API (coded errors, own queues only, never on the
// anonymous API); and the page's own operations (web/counter-view.js, the
// very module the page imports) against the real API, turned into what the
// merchant reads.
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import {
  AUTHENTICATE_MUTATION,
  BUSINESSES_QUERY,
  ENTRY_FIELDS_QUERY,
  MUTATIONS,
  describeEntry,
  describeError,
  describeQueue,
  describeTv,
  errorCode,
  pickerModel,
  queueQuery,
  splitEntries,
  type CounterQueue,
} from "../../web/counter-view.js";
import { useTestDatabase } from "../helpers/db.ts";
import { createBusiness, createMerchant, phone, smsLogs } from "../helpers/fixtures.ts";
import { useTestServer } from "../helpers/server.ts";

const db = useTestDatabase();
const server = useTestServer(db);

const COUNTER_HTML = await readFile(new URL("../../web/counter.html", import.meta.url), "utf8");

const JOIN = `mutation Join($qrToken: String!, $phone: String!, $name: String) {
  joinQueue(input: { qrToken: $qrToken, phone: $phone, clientName: $name }) { result { ticketNumber } }
}`;

async function joinQueue(qrToken: string, phoneNumber: string, name?: string): Promise<void> {
  const { body } = await server().graphql(JOIN, { qrToken, phone: phoneNumber, name: name ?? null });
  expect(body.errors).toBeUndefined();
}

/** The page's queue query as the merchant's browser sends it. */
async function counterQueue(queueId: string, headers: Record<string, string>): Promise<CounterQueue> {
  const { body } = await server().graphql<{ queueByRowId: CounterQueue }>(queueQuery(false), { id: queueId }, headers);
  expect(body.errors).toBeUndefined();
  return body.data!.queueByRowId;
}

describe("counter page over HTTP", () => {
  it("serves /counter with the security headers, no inline code, nothing from another origin", async () => {
    const response = await fetch(`${server().url}/counter?token=leak#x`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    const html = await response.text();
    expect(html).toBe(COUNTER_HTML);
    expect(html).toContain('src="/assets/counter.js"');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|style=/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it("serves the page's script, module and styles", async () => {
    for (const [file, type] of [
      ["counter.js", /^text\/javascript|^application\/javascript/],
      ["counter-view.js", /^text\/javascript|^application\/javascript/],
      ["counter.css", /^text\/css/],
    ] as const) {
      const response = await fetch(`${server().url}/assets/${file}`);
      expect(response.status, file).toBe(200);
      expect(response.headers.get("content-type"), file).toMatch(type);
      expect(await response.text(), file).toBe(await readFile(new URL(`../../web/${file}`, import.meta.url), "utf8"));
    }
    for (const path of ["/assets/counter.html", "/assets/counter-view.d.ts", "/counter/x", "/counter/..%2Fpackage.json"]) {
      const response = await fetch(`${server().url}${path}`);
      expect(response.status, path).toBe(404);
    }
  });
});

describe("addWalkIn and the counter's reads over GraphQL", () => {
  it("adds a walk-in with the next ticket, no SMS; coded errors in the business's language", async () => {
    const q = await createBusiness(db(), { maxQueueSize: 2, language: "en" });
    await joinQueue(q.qrToken, phone(1));
    const added = await server().graphql<{ addWalkIn: { result: { rowId: string; ticketNumber: number; clientName: string } } }>(
      MUTATIONS.walkIn,
      { id: q.queueId, name: "  Madame  Martin " },
      q.merchant.headers,
    );
    expect(added.body.errors).toBeUndefined();
    expect(added.body.data!.addWalkIn.result).toMatchObject({ ticketNumber: 2, clientName: "Madame Martin" });
    expect(await smsLogs(db(), "queue_entry_id = $1", [added.body.data!.addWalkIn.result.rowId])).toEqual([]);

    const full = await server().graphql(MUTATIONS.walkIn, { id: q.queueId, name: "Durand" }, q.merchant.headers);
    expect(full.body.errors![0]).toMatchObject({ message: "The queue is full.", extensions: { code: "QUEUE_FULL", number: 4002 } });
    const blank = await server().graphql(MUTATIONS.walkIn, { id: q.queueId, name: " " }, q.merchant.headers);
    expect(blank.body.errors![0]!.extensions).toMatchObject({ code: "VALIDATION" });
    expect(describeError(errorCode(blank.body)!, "en", "walkIn")).toBe(
      "Enter the customer's name (at most 100 characters): it is how they will be called.",
    );

    // Someone else's queue does not exist for them; customers have no such operation.
    const other = await createMerchant(db());
    const foreign = await server().graphql(MUTATIONS.walkIn, { id: q.queueId, name: "Durand" }, other.headers);
    expect(errorCode(foreign.body)).toBe("NOT_FOUND");
    const anonymous = await server().graphql(MUTATIONS.walkIn, { id: q.queueId, name: "Durand" });
    expect(anonymous.body.errors![0]!.message).toMatch(/addWalkIn/);
    expect(anonymous.body.data ?? null).toBeNull();
  });

  it("the page's queries give what the counter shows, and nothing of another merchant's queue", async () => {
    const q = await createBusiness(db(), { name: "Pharmacie Centrale", averageServiceTime: 300, clientTimeoutMinutes: 4 });
    await joinQueue(q.qrToken, "06 12 34 56 78", "Alice");
    await server().graphql(MUTATIONS.walkIn, { id: q.queueId, name: "Martin" }, q.merchant.headers);
    await joinQueue(q.qrToken, phone(3));
    const called = await server().graphql<{ callNext: { result: { ticketNumber: number; clientName: string } } }>(
      MUTATIONS.callNext,
      { id: q.queueId },
      q.merchant.headers,
    );
    expect(called.body.data!.callNext.result).toMatchObject({ ticketNumber: 1, clientName: "Alice" });

    const queue = await counterQueue(q.queueId, q.merchant.headers);
    expect(queue).toMatchObject({ name: "Principale", isQueueActive: true, waitingCount: 2, business: { name: "Pharmacie Centrale" } });
    expect(queue.lastCalledEntry).toMatchObject({ ticketNumber: 1, clientName: "Alice", status: "called" });
    const { called: calledNow, waiting } = splitEntries(queue.activeEntries!.nodes);
    expect(calledNow.map((e) => e.ticketNumber)).toEqual([1]);
    expect(waiting.map((e) => [e.ticketNumber, e.clientName, e.maskedPhone, e.isWalkIn])).toEqual([
      [2, "Martin", null, true],
      [3, null, "+33 6 •• •• •• 03", false],
    ]);
    // Nothing on the counter's list carries a full number.
    expect(JSON.stringify(queue)).not.toContain("+33612345678");

    const alice = describeEntry(calledNow[0]!, "fr", { serverNow: Date.parse(calledNow[0]!.calledAt!) + 60_000, timeZone: "UTC" });
    const due = new Date(calledNow[0]!.callExpiresAt!);
    expect(due.getTime() - Date.parse(calledNow[0]!.calledAt!)).toBe(4 * 60_000);
    const hhmm = `${String(due.getUTCHours()).padStart(2, "0")}:${String(due.getUTCMinutes()).padStart(2, "0")}`;
    expect(alice).toMatchObject({ ticket: "n° 1", name: "Alice", phone: "+33 6 •• •• •• 78", deadline: `à venir avant ${hhmm}`, remaining: "reste 3 min" });
    expect(describeEntry(waiting[0]!, "en")).toMatchObject({ name: "Martin", phone: "No phone", walkIn: "at the counter", quoted: "quoted 5 min" });
    expect(describeEntry(waiting[1]!, "en")).toMatchObject({ quoted: "quoted 10 min", late: "" });
    expect(describeQueue(queue, "fr")).toMatchObject({ state: "open", canCallNext: true, canPause: true, canOpen: false });
    expect(describeTv(queue, "en")).toMatchObject({ ticket: "1", label: "Last called", prompt: "Please come to the counter" });

    const other = await createMerchant(db());
    const foreign = await server().graphql<{ queueByRowId: CounterQueue | null }>(queueQuery(false), { id: q.queueId }, other.headers);
    expect(foreign.body.errors).toBeUndefined();
    expect(foreign.body.data!.queueByRowId).toBeNull();
  });

  it("signs in, lists businesses and queues for the picker, and tells whether moreTimeRequestedAt exists", async () => {
    const merchant = await createMerchant(db(), { plan: "pro" });
    const a = await createBusiness(db(), { merchant, name: "Zinc" });
    const b = await createBusiness(db(), { merchant, name: "Atelier", language: "en" });
    const signedIn = await server().graphql<{ authenticate: { jwtToken: string } }>(AUTHENTICATE_MUTATION, {
      email: merchant.email,
      password: merchant.password,
    });
    const token = signedIn.body.data!.authenticate.jwtToken;
    expect(token).toMatch(/^ey/);
    const headers = { authorization: `Bearer ${token}` };
    const list = await server().graphql<{ myBusinesses: { nodes: never[] } }>(BUSINESSES_QUERY, {}, headers);
    const model = pickerModel(list.body.data!.myBusinesses.nodes, null);
    expect(model.businesses.map((x) => [x.name, x.language, x.queues.map((queue) => queue.id)])).toEqual([
      ["Atelier", "en", [b.queueId]],
      ["Zinc", "fr", [a.queueId]],
    ]);
    expect(model.choice).toBeNull();
    expect(pickerModel(list.body.data!.myBusinesses.nodes, { businessId: a.businessId, queueId: a.queueId }).choice).toEqual({
      businessId: a.businessId,
      queueId: a.queueId,
    });

    const wrong = await server().graphql(AUTHENTICATE_MUTATION, { email: merchant.email, password: "nope nope nope" });
    expect(errorCode(wrong.body)).toBe("INVALID_CREDENTIALS");
    expect(describeError("INVALID_CREDENTIALS", "fr")).toBe("Adresse e-mail ou mot de passe incorrect.");

    const fields = await server().graphql<{ __type: { fields: Array<{ name: string }> } }>(ENTRY_FIELDS_QUERY, {}, headers);
    const names = fields.body.data!.__type.fields.map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(["maskedPhone", "waitedSeconds", "callExpiresAt", "isWalkIn"]));
    // The query the page sends once the column exists is valid exactly when it does.
    const withMoreTime = await server().graphql(queueQuery(true), { id: a.queueId }, headers);
    expect(withMoreTime.body.errors === undefined).toBe(names.includes("moreTimeRequestedAt"));
  });
});
