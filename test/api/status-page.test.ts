// The customer's status page (/e/<entry token>, the link in every SMS): served
// with headers that keep the secret token in the address bar only, never
// echoing it into HTML, serving nothing outside web/; and its logic
// (web/status-view.js, the very module the page imports) turning real API
// answers into the French and English texts the customer reads.
import { readFile } from "node:fs/promises";
import { request } from "node:http";
import { describe, expect, it } from "vitest";
import {
  CANCEL_ENTRY_MUTATION,
  ENTRY_STATUS_QUERY,
  REQUEST_MORE_TIME_MUTATION,
  canCancel,
  describeEntry,
  describeError,
  describeMoreTimeError,
  errorCode,
  isFinal,
  pageTitle,
  pickLanguage,
  tokenFromPath,
  type EntryStatus,
} from "../../web/status-view.js";
import { useTestDatabase } from "../helpers/db.ts";
import { createBusiness, phone } from "../helpers/fixtures.ts";
import { useTestServer } from "../helpers/server.ts";

const db = useTestDatabase();
const server = useTestServer(db);

const JOIN = `mutation Join($qrToken: String!, $phone: String!) {
  joinQueue(input: { qrToken: $qrToken, phone: $phone }) { result { entryToken } }
}`;
const CALL_NEXT = `mutation CallNext($queueId: UUID!) { callNext(input: { queueId: $queueId }) { result { status } } }`;

const STATUS_HTML = await readFile(new URL("../../web/status.html", import.meta.url), "utf8");
const PACKAGE_JSON = await readFile(new URL("../../package.json", import.meta.url), "utf8");

/** A GET with the path sent exactly as written (fetch would normalise "..", "%2e"). */
function rawGet(path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { hostname, port } = new URL(server().url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: "GET" }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

async function joinQueue(qrToken: string, phoneNumber: string): Promise<string> {
  const { body } = await server().graphql<{ joinQueue: { result: { entryToken: string } } }>(JOIN, { qrToken, phone: phoneNumber });
  expect(body.errors).toBeUndefined();
  return body.data!.joinQueue.result.entryToken;
}

/** The page's own query, anonymous (no Authorization), as the browser sends it. */
async function entryStatus(token: string) {
  const { body } = await server().graphql<{ entryStatus: EntryStatus | null }>(ENTRY_STATUS_QUERY, { t: token });
  return body;
}

describe("status page over HTTP", () => {
  it("serves the page for /e/<token> with the security headers, without the token in it", async () => {
    const q = await createBusiness(db());
    const token = await joinQueue(q.qrToken, phone(1));

    const response = await fetch(`${server().url}/e/${token}`);
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
    const html = await response.text();
    expect(html).toBe(STATUS_HTML);
    expect(html).not.toContain(token);
    expect(html).toContain('src="/assets/status.js"');
    // No inline script or style (the CSP would block them), nothing from another origin.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|style=/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it("never reflects what is in the URL, whatever it holds", async () => {
    for (const path of ["/e/%3Cscript%3Ealert(1)%3C%2Fscript%3E", "/e/%22%3E%3Cimg%20src%3Dx%3E", "/e/x/"]) {
      const response = await rawGet(path);
      expect(response.status, path).toBe(200);
      expect(response.body, path).toBe(STATUS_HTML);
      expect(response.headers["referrer-policy"], path).toBe("no-referrer");
    }
  });

  it("serves the page's script, module and styles with their content types", async () => {
    for (const [file, type] of [
      ["status.js", /^text\/javascript|^application\/javascript/],
      ["status-view.js", /^text\/javascript|^application\/javascript/],
      ["status.css", /^text\/css/],
      ["base.css", /^text\/css/],
      ["api.js", /^text\/javascript|^application\/javascript/],
      ["icon.svg", /^image\/svg\+xml/],
    ] as const) {
      const response = await fetch(`${server().url}/assets/${file}`);
      expect(response.status, file).toBe(200);
      expect(response.headers.get("content-type"), file).toMatch(type);
      expect(response.headers.get("x-content-type-options"), file).toBe("nosniff");
      expect(await response.text(), file).toBe(await readFile(new URL(`../../web/${file}`, import.meta.url), "utf8"));
    }
    expect((await fetch(`${server().url}/assets/nope.js`)).status).toBe(404);
  });

  it("serves nothing outside web/, whatever the encoding of the path", async () => {
    const attempts = [
      "/e/../../package.json",
      "/e/..%2F..%2Fpackage.json",
      "/e/%2e%2e%2f%2e%2e%2fpackage.json",
      "/e/%2E%2E/%2E%2E/package.json",
      "/e/..%5C..%5Cpackage.json",
      "/assets/../package.json",
      "/assets/..%2Fpackage.json",
      "/assets/%2e%2e%2fpackage.json",
      "/assets/..%252Fpackage.json",
      "/assets/..%5Cpackage.json",
      "/assets/%2e%2e%2flib%2fhttp%2fpages.ts",
      "/assets/..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
      "/assets//etc/passwd",
      "/assets/status.html",
      "/assets/status-view.d.ts",
      "/assets/.eslintrc.js",
      "/assets/",
      "/e/",
      "/web/status.js",
      "/package.json",
    ];
    for (const path of attempts) {
      const response = await rawGet(path);
      expect(response.body, path).not.toContain(PACKAGE_JSON.slice(0, 40));
      expect(response.body, path).not.toContain('"name": "waitify"');
      expect(response.body, path).not.toContain("root:x:0:0");
      expect(response.body, path).not.toContain("pagesRouter");
      expect(response.body, path).not.toContain("export function");
      // Either refused, or the status page itself (any single segment after /e/).
      if (response.status === 200) expect(response.body, path).toBe(STATUS_HTML);
    }
  });
});

describe("status page logic against the real API", () => {
  it("shows the place, the call and the cancellation from the page's own query, anonymously", async () => {
    const q = await createBusiness(db(), { averageServiceTime: 240, name: "Boulangerie Martin" });
    const alice = await joinQueue(q.qrToken, phone(1));
    const bob = await joinQueue(q.qrToken, phone(2));

    const bobStatus = await entryStatus(bob);
    expect(errorCode(bobStatus)).toBeNull();
    const bobEntry = bobStatus.data!.entryStatus!;
    const waiting = describeEntry(bobEntry, pickLanguage(bobEntry.language, "en-US"));
    expect(waiting).toMatchObject({
      lang: "fr",
      tone: "waiting",
      business: "Boulangerie Martin",
      queue: "Principale",
      ticket: "Ticket n° 2",
      headline: "Vous êtes n° 2 dans la file",
      showCancel: true,
      final: false,
    });
    expect(waiting.lines).toEqual([
      "1 personne devant vous.",
      "Attente estimée : environ 4\u00a0min.",
      "Cette page se met à jour toute seule.",
    ]);

    const called = await server().graphql(CALL_NEXT, { queueId: q.queueId }, q.merchant.headers);
    expect(called.body.errors).toBeUndefined();
    const aliceEntry = (await entryStatus(alice)).data!.entryStatus!;
    const turn = describeEntry(aliceEntry, "fr", { timeZone: "UTC" });
    expect(turn).toMatchObject({ tone: "called", headline: "C'est votre tour !", showCancel: true });
    const deadline = new Date(aliceEntry.callExpiresAt!);
    const hhmm = `${String(deadline.getUTCHours()).padStart(2, "0")}:${String(deadline.getUTCMinutes()).padStart(2, "0")}`;
    expect(turn.lines).toEqual([`Présentez-vous au comptoir avant ${hhmm}.`]);

    // Bob leaves with the page's mutation; leaving twice is refused, readably.
    const left = await server().graphql<{ cancelEntry: { result: { status: string } } }>(CANCEL_ENTRY_MUTATION, { t: bob });
    expect(left.body.errors).toBeUndefined();
    expect(left.body.data!.cancelEntry.result.status).toBe("cancelled");
    const after = describeEntry((await entryStatus(bob)).data!.entryStatus!, "fr");
    expect(after).toMatchObject({ tone: "cancelled", headline: "Vous n'êtes plus dans la file", showCancel: false, final: true });
    const again = await server().graphql(CANCEL_ENTRY_MUTATION, { t: bob });
    expect(errorCode(again.body)).toBe("INVALID_TRANSITION");
    expect(describeError(errorCode(again.body)!, "en").lines).toEqual([
      "Your place can no longer be cancelled: you are not waiting any more.",
    ]);
  });

  it("an unknown token reads as a friendly 'not found', which stops the page", async () => {
    const body = await entryStatus("x".repeat(32));
    expect(body.data?.entryStatus ?? null).toBeNull();
    expect(errorCode(body)).toBe("NOT_FOUND");
    expect(describeError("NOT_FOUND", "fr")).toMatchObject({
      tone: "not-found",
      final: true,
      lines: ["Ce lien de suivi n'existe pas ou n'est plus valable. Vérifiez le lien reçu par SMS."],
    });
    expect(describeError("NOT_FOUND", "en").lines).toEqual([
      "This tracking link does not exist or is no longer valid. Check the link in your text message.",
    ]);
  });

  it("an English business gets the English page", async () => {
    const q = await createBusiness(db(), { language: "en", averageServiceTime: 60 });
    const token = await joinQueue(q.qrToken, phone(3));
    const entry = (await entryStatus(token)).data!.entryStatus!;
    const view = describeEntry(entry, pickLanguage(entry.language, "fr-FR"));
    expect(view).toMatchObject({ lang: "en", headline: "You are number 1 in the queue", ticket: "Ticket #1", showCancel: true });
    expect(view.lines).toEqual([
      "Nobody ahead of you: you're next.",
      "Estimated wait: less than a minute.",
      "This page updates itself.",
    ]);
  });
});

describe("status page: more time, against the real API", () => {
  type MoreTime = { requestMoreTime: { result: EntryStatus } | null };

  it("a called customer asks once: the deadline moves by 5 minutes, the button goes; a second time is refused with a sentence", async () => {
    const q = await createBusiness(db(), { clientTimeoutMinutes: 4 });
    const token = await joinQueue(q.qrToken, phone(7));
    const waiting = (await entryStatus(token)).data!.entryStatus!;
    expect(describeEntry(waiting, "fr").showMoreTime).toBe(false);
    const early = await server().graphql<MoreTime>(REQUEST_MORE_TIME_MUTATION, { t: token });
    expect(errorCode(early.body)).toBe("INVALID_TRANSITION");
    expect(describeMoreTimeError(errorCode(early.body)!, "fr")).toBe(
      "Vous ne pouvez demander plus de temps que lorsque c'est votre tour.",
    );

    await server().graphql(CALL_NEXT, { queueId: q.queueId }, q.merchant.headers);
    const called = (await entryStatus(token)).data!.entryStatus!;
    const before = describeEntry(called, "fr", { timeZone: "UTC" });
    expect(before).toMatchObject({ tone: "called", showMoreTime: true, moreTimeLabel: "J'ai besoin de 5 minutes de plus" });
    expect(pageTitle(before)).toBe("C'est votre tour ! – Boulangerie Paul");

    const asked = await server().graphql<MoreTime>(REQUEST_MORE_TIME_MUTATION, { t: token });
    expect(asked.body.errors).toBeUndefined();
    const extended = asked.body.data!.requestMoreTime!.result;
    expect(new Date(extended.callExpiresAt!).getTime() - new Date(called.callExpiresAt!).getTime()).toBe(5 * 60_000);
    const after = describeEntry(extended, "en", { timeZone: "UTC" });
    expect(after.showMoreTime).toBe(false);
    expect(after.lines[1]).toBe("Noted: you have 5 more minutes.");
    expect(describeEntry((await entryStatus(token)).data!.entryStatus!, "fr").showMoreTime).toBe(false);

    const again = await server().graphql<MoreTime>(REQUEST_MORE_TIME_MUTATION, { t: token });
    expect(errorCode(again.body)).toBe("MORE_TIME_ALREADY_USED");
    expect(describeMoreTimeError(errorCode(again.body)!, "en")).toBe(
      "You have already asked for 5 more minutes: this can only be done once.",
    );
    expect(describeMoreTimeError("NETWORK", "fr")).toBe(describeError("NETWORK", "fr").lines[0]);
  });
});

describe("status page logic (web/status-view.js)", () => {
  const base = { businessName: "Chez Awa", queueName: "Caisse", ticketNumber: 7, language: "fr" };
  const cases: Array<{ entry: EntryStatus; fr: [string, string[]]; en: [string, string[]]; cancel: boolean }> = [
    {
      entry: { ...base, status: "waiting", position: 4, peopleAhead: 3, estimatedWaitMinutes: 12 },
      fr: [
        "Vous êtes n° 4 dans la file",
        ["3 personnes devant vous.", "Attente estimée : environ 12\u00a0min.", "Cette page se met à jour toute seule."],
      ],
      en: ["You are number 4 in the queue", ["3 people ahead of you.", "Estimated wait: about 12\u00a0min.", "This page updates itself."]],
      cancel: true,
    },
    {
      entry: { ...base, status: "called", calledAt: "2025-03-14T13:27:00Z", callExpiresAt: "2025-03-14T13:32:00Z" },
      fr: ["C'est votre tour !", ["Présentez-vous au comptoir avant 13:32."]],
      en: ["It's your turn!", ["Please come to the counter before 13:32."]],
      cancel: true,
    },
    {
      entry: { ...base, status: "called", callExpiresAt: null },
      fr: ["C'est votre tour !", ["Présentez-vous au comptoir."]],
      en: ["It's your turn!", ["Please come to the counter."]],
      cancel: true,
    },
    {
      entry: { ...base, status: "served" },
      fr: ["Vous avez été servi", ["Merci de votre visite !"]],
      en: ["You have been served", ["Thank you for your visit!"]],
      cancel: false,
    },
    {
      entry: { ...base, status: "missed" },
      fr: [
        "Votre tour est passé",
        ["Vous n'étiez pas là à l'appel. Pour revenir dans la file, scannez à nouveau le QR code."],
      ],
      en: ["You missed your turn", ["You were not there when called. To join the queue again, scan the QR code again."]],
      cancel: false,
    },
    {
      entry: { ...base, status: "cancelled" },
      fr: ["Vous n'êtes plus dans la file", ["Votre place a été annulée."]],
      en: ["You are no longer in the queue", ["Your place has been cancelled."]],
      cancel: false,
    },
  ];

  it.each(cases)("$entry.status: French and English texts, cancel button $cancel", ({ entry, fr, en, cancel }) => {
    for (const [lang, [headline, lines]] of [["fr", fr], ["en", en]] as const) {
      const view = describeEntry(entry, lang, { timeZone: "UTC" });
      expect(view.lang).toBe(lang);
      expect(view.headline).toBe(headline);
      expect(view.lines).toEqual(lines);
      expect(view.showCancel).toBe(cancel);
      expect(view.final).toBe(!cancel);
      expect(view.business).toBe("Chez Awa");
      expect(view.ticket).toBe(lang === "fr" ? "Ticket n° 7" : "Ticket #7");
    }
  });

  it("counts people ahead in both languages", () => {
    const waiting = (peopleAhead: number, estimatedWaitMinutes: number) =>
      ({ ...base, status: "waiting", position: peopleAhead + 1, peopleAhead, estimatedWaitMinutes }) as EntryStatus;
    expect(describeEntry(waiting(0, 0), "fr").lines.slice(0, 2)).toEqual([
      "Personne devant vous : c'est bientôt à vous.",
      "Attente estimée : moins d'une minute.",
    ]);
    expect(describeEntry(waiting(1, 3), "en").lines.slice(0, 2)).toEqual(["1 person ahead of you.", "Estimated wait: about 3\u00a0min."]);
  });

  it("an unknown status still reads, without the cancel button", () => {
    const view = describeEntry({ ...base, status: "teleported" }, "en");
    expect(view).toMatchObject({ tone: "unknown", headline: "Unknown status", showCancel: false });
  });

  it("the cancel button shows only while waiting or called", () => {
    expect(["waiting", "called", "served", "missed", "cancelled", ""].map(canCancel)).toEqual([true, true, false, false, false, false]);
    expect(["waiting", "called", "served", "missed", "cancelled"].map(isFinal)).toEqual([false, false, true, true, true]);
  });

  it("maps error codes to sentences; unknown or missing codes read as an internal error", () => {
    expect(describeError("NETWORK", "fr")).toMatchObject({ tone: "error", final: false });
    expect(describeError("NETWORK", "en").lines[0]).toMatch(/^Cannot reach the server/);
    expect(describeError("SOMETHING_NEW", "fr").lines).toEqual(["Une erreur est survenue de notre côté. Réessayez dans un instant."]);
    expect(describeError("toString", "en").lines).toEqual(["Something went wrong on our side. Please try again in a moment."]);
    expect(errorCode({ data: { entryStatus: null }, errors: [{ message: "masked" }] })).toBe("INTERNAL");
    expect(errorCode({ data: { entryStatus: {} } })).toBeNull();
    expect(errorCode(null)).toBeNull();
  });

  it("reads the token from the path only when it can be one", () => {
    const token = "Ab3_-".padEnd(32, "z");
    expect(tokenFromPath(`/e/${token}`)).toBe(token);
    expect(tokenFromPath(`/e/${token}/`)).toBe(token);
    expect(tokenFromPath("/e/short")).toBeNull();
    expect(tokenFromPath(`/e/${token}x`)).toBeNull();
    expect(tokenFromPath("/e/%3Cscript%3E")).toBeNull();
    expect(tokenFromPath("/e/%E0%A4%A")).toBeNull();
    expect(tokenFromPath(`/x/${token}`)).toBeNull();
    expect(tokenFromPath(`/e/${token}/more`)).toBeNull();
  });

  it("the tab's title says 'your turn' first while called, else the business", () => {
    const view = (status: string, lang = "fr") => describeEntry({ ...base, status, callExpiresAt: null }, lang);
    expect(pageTitle(view("called"))).toBe("C'est votre tour ! – Chez Awa");
    expect(pageTitle(view("called", "en"))).toBe("It's your turn! – Chez Awa");
    expect(pageTitle(view("waiting"))).toBe("Chez Awa – Waitify");
    expect(pageTitle(describeError("NOT_FOUND", "en"))).toBe("Your place in the queue – Waitify");
  });

  it("offers more time only while called and not yet asked", () => {
    const called = { ...base, status: "called", callExpiresAt: "2025-03-14T13:37:00Z" };
    expect(describeEntry({ ...called, canRequestMoreTime: true, moreTimeRequested: false }, "fr").showMoreTime).toBe(true);
    const asked = describeEntry({ ...called, canRequestMoreTime: false, moreTimeRequested: true }, "fr", { timeZone: "UTC" });
    expect(asked.showMoreTime).toBe(false);
    expect(asked.lines).toEqual(["Présentez-vous au comptoir avant 13:37.", "C'est noté : vous avez 5 minutes de plus."]);
    expect(describeEntry({ ...base, status: "waiting", canRequestMoreTime: true }, "fr").showMoreTime).toBe(false);
  });

  it("speaks the customer's choice, else the business's language, else English for English browsers, else French", () => {
    expect(pickLanguage("fr", "fr-FR", "en")).toBe("en");
    expect(pickLanguage("en", "en-GB", "fr")).toBe("fr");
    expect(pickLanguage("en", "fr-FR", "xx")).toBe("en");
    expect(pickLanguage("en", "fr-FR")).toBe("en");
    expect(pickLanguage("fr", "en-GB")).toBe("fr");
    expect(pickLanguage(null, "en-US")).toBe("en");
    expect(pickLanguage(undefined, "wo-SN")).toBe("fr");
    expect(pickLanguage(null, undefined)).toBe("fr");
  });
});
