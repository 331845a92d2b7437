// The counter screen's logic (web/counter-view.js, the module the page
// imports), in Node: shortcuts and when they are off, what a row shows as
// time goes by, which controls a queue state allows, the customer the S and
// M keys act on, walk-in names, the picker's choice, and a sentence in both
// languages for every error code the counter's operations can give.
import { describe, expect, it } from "vitest";
import { errorCodes } from "../../lib/errors.ts";
import {
  cleanWalkInName,
  currentCalled,
  describeEntry,
  describeError,
  describeQueue,
  describeTv,
  errorCode,
  isSessionError,
  pickLanguage,
  pickerModel,
  shortcutFor,
  splitEntries,
  texts,
  type CounterEntry,
  type CounterQueue,
} from "../../web/counter-view.js";
import { sessionRefreshDelay, tokenClaims } from "../../web/session.js";

const entry = (over: Partial<CounterEntry>): CounterEntry => ({
  rowId: "e1",
  ticketNumber: 7,
  clientName: "Alice",
  maskedPhone: "+33 6 •• •• •• 78",
  isWalkIn: false,
  status: "waiting",
  joinedAt: "2025-03-14T13:00:00Z",
  calledAt: null,
  callExpiresAt: null,
  waitedSeconds: 0,
  quotedWaitMinutes: 10,
  ...over,
});

const queue = (over: Partial<CounterQueue>): CounterQueue => ({
  rowId: "q1",
  name: "Caisse",
  isQueueActive: true,
  isQueuePaused: false,
  maxQueueSize: 3,
  waitingCount: 1,
  ...over,
});

describe("keyboard shortcuts", () => {
  const key = (k: string, over: Record<string, unknown> = {}) => shortcutFor({ key: k, target: { tagName: "BODY" }, ...over });

  it("N, S, M, A, T and Escape, whatever the case", () => {
    expect(["n", "N", "s", "S", "m", "a", "t", "Escape"].map((k) => key(k))).toEqual([
      "callNext",
      "callNext",
      "served",
      "served",
      "missed",
      "walkIn",
      "tv",
      "tvOff",
    ]);
    expect(key("x")).toBeNull();
    expect(key("Enter")).toBeNull();
  });

  it("are off while typing in a field, with a modifier, or on a key held down", () => {
    for (const tagName of ["INPUT", "TEXTAREA", "SELECT", "input"]) expect(key("n", { target: { tagName } }), tagName).toBeNull();
    expect(key("n", { target: { tagName: "DIV", isContentEditable: true } })).toBeNull();
    expect(key("n", { ctrlKey: true })).toBeNull();
    expect(key("s", { metaKey: true })).toBeNull();
    expect(key("m", { altKey: true })).toBeNull();
    expect(key("n", { repeat: true })).toBeNull();
    expect(key("n", { target: { tagName: "BUTTON" } })).toBe("callNext");
  });
});

describe("a row of the list", () => {
  it("waiting: time waited moves on between fetches, and shows how far past the quote", () => {
    const waiting = entry({ waitedSeconds: 9 * 60 + 30, quotedWaitMinutes: 10 });
    expect(describeEntry(waiting, "fr")).toMatchObject({
      waited: "9 min",
      waitedLine: "attend depuis 9 min",
      quoted: "annoncé 10 min",
      quotedShort: "10 min",
      late: "",
    });
    // 2 minutes later, without a fetch.
    expect(describeEntry(waiting, "fr", { elapsed: 120 })).toMatchObject({
      waited: "11 min",
      lateMinutes: 1,
      late: "1 min de plus qu'annoncé",
      lateShort: "+1 min",
    });
    expect(describeEntry(waiting, "en", { elapsed: 120 })).toMatchObject({ waited: "11 min", late: "1 min over the quote" });
    expect(describeEntry(entry({ waitedSeconds: 20 }), "en").waited).toBe("< 1 min");
    expect(describeEntry(entry({ waitedSeconds: 3725 }), "fr").waited).toBe("1 h 02");
  });

  it("a walk-in and a customer without a name read as such", () => {
    expect(describeEntry(entry({ isWalkIn: true, maskedPhone: null, clientName: "Martin" }), "fr")).toMatchObject({
      name: "Martin",
      phone: "Sans téléphone",
      walkIn: "au comptoir",
    });
    expect(describeEntry(entry({ clientName: null }), "en")).toMatchObject({ name: "No name", phone: "+33 6 •• •• •• 78", walkIn: "" });
  });

  it("called: the deadline, the time left by the server's clock, past it, more time asked for; waited stays frozen", () => {
    const called = entry({
      status: "called",
      waitedSeconds: 600,
      calledAt: "2025-03-14T13:10:00Z",
      callExpiresAt: "2025-03-14T13:15:00Z",
    });
    const at = (iso: string) => ({ serverNow: Date.parse(iso), elapsed: 300, timeZone: "UTC" });
    expect(describeEntry(called, "fr", at("2025-03-14T13:12:10Z"))).toMatchObject({
      waited: "10 min",
      waitedLine: "a attendu 10 min",
      deadline: "à venir avant 13:15",
      remaining: "reste 3 min",
      overdue: false,
      moreTime: "",
    });
    expect(describeEntry(called, "en", at("2025-03-14T13:15:00Z"))).toMatchObject({
      deadline: "due before 13:15",
      remaining: "past the deadline",
      overdue: true,
    });
    expect(describeEntry({ ...called, moreTimeRequestedAt: "2025-03-14T13:11:00Z" }, "en", at("2025-03-14T13:12:00Z")).moreTime).toBe(
      "asked for 5 more minutes",
    );
  });
});

describe("the queue's controls", () => {
  it("follow its state: closed, open, paused, full, empty", () => {
    expect(describeQueue(queue({ isQueueActive: false }), "fr")).toMatchObject({
      state: "closed",
      stateLabel: "Fermée",
      canOpen: true,
      canPause: false,
      canResume: false,
      canClose: false,
      canCallNext: false,
      canAddWalkIn: false,
    });
    expect(describeQueue(queue({}), "en")).toMatchObject({
      state: "open",
      stateLabel: "Open",
      waitingLabel: "1 person waiting",
      capacityLabel: "1 / 3 places",
      canOpen: false,
      canPause: true,
      canClose: true,
      canCallNext: true,
      canAddWalkIn: true,
    });
    expect(describeQueue(queue({ isQueuePaused: true }), "fr")).toMatchObject({
      state: "paused",
      stateLabel: "En pause",
      canPause: false,
      canResume: true,
      canClose: true,
      canCallNext: false,
      canAddWalkIn: false,
    });
    expect(describeQueue(queue({ waitingCount: 3 }), "fr")).toMatchObject({ canAddWalkIn: false, waitingLabel: "3 personnes attendent" });
    expect(describeQueue(queue({ waitingCount: 0 }), "fr")).toMatchObject({ canCallNext: false, waitingLabel: "Personne n'attend" });
  });

  it("the TV shows the last ticket called, and asks them to come only while called", () => {
    expect(describeTv(queue({ lastCalledEntry: null }), "fr")).toEqual({
      ticket: "–",
      label: "Aucun appel pour le moment",
      prompt: "",
      announcement: "",
    });
    expect(describeTv(queue({ lastCalledEntry: { rowId: "e", ticketNumber: 12, status: "called" } }), "fr")).toEqual({
      ticket: "12",
      label: "Dernier appelé",
      prompt: "Présentez-vous au comptoir",
      announcement: "Ticket n° 12",
    });
    expect(describeTv(queue({ lastCalledEntry: { rowId: "e", ticketNumber: 12, status: "served" } }), "en").prompt).toBe("");
  });
});

describe("whom S and M act on", () => {
  it("the customer called last; nobody when none is called", () => {
    const list = [
      entry({ rowId: "a", status: "called", calledAt: "2025-03-14T13:00:00Z" }),
      entry({ rowId: "b", status: "called", calledAt: "2025-03-14T13:05:00Z" }),
      entry({ rowId: "c", status: "waiting" }),
    ];
    expect(currentCalled(list)!.rowId).toBe("b");
    expect(splitEntries(list)).toEqual({ called: list.slice(0, 2), waiting: list.slice(2) });
    expect(currentCalled([entry({ rowId: "c" })])).toBeNull();
    expect(currentCalled(null)).toBeNull();
  });
});

describe("walk-in names, languages, the picker", () => {
  it("names are trimmed to one line and refused blank or over 100 characters, as the API does", () => {
    expect(cleanWalkInName("  Madame \t Martin\n")).toBe("Madame Martin");
    expect(cleanWalkInName("   ")).toBeNull();
    expect(cleanWalkInName(null)).toBeNull();
    expect(cleanWalkInName("x".repeat(100))).toBe("x".repeat(100));
    expect(cleanWalkInName("x".repeat(101))).toBeNull();
  });

  it("speaks the business's language, else the browser's English, else French", () => {
    expect(pickLanguage("en", "fr-FR")).toBe("en");
    expect(pickLanguage("fr", "en-US")).toBe("fr");
    expect(pickLanguage(null, "en-GB")).toBe("en");
    expect(pickLanguage(undefined, "de-DE")).toBe("fr");
    // Both languages say the same things.
    const keys = (lang: string) => Object.keys(texts(lang)).sort();
    expect(keys("en")).toEqual(keys("fr"));
    expect(texts("en").shortcuts.map((pair) => pair[0]).slice(0, 5)).toEqual(["N", "S", "M", "A", "T"]);
  });

  it("opens the remembered queue while it exists, the only queue there is, or asks", () => {
    const businesses = [
      { rowId: "b2", name: "Zinc", language: "fr", queues: { nodes: [{ rowId: "q3", name: "B" }, { rowId: "q2", name: "A" }] } },
      { rowId: "b1", name: "Atelier", language: "en", queues: { nodes: [] } },
    ];
    const model = pickerModel(businesses, { businessId: "b2", queueId: "q3" });
    expect(model.businesses.map((b) => [b.name, b.queues.map((q) => q.name)])).toEqual([
      ["Atelier", []],
      ["Zinc", ["A", "B"]],
    ]);
    expect(model.choice).toEqual({ businessId: "b2", queueId: "q3" });
    expect(pickerModel(businesses, { businessId: "b2", queueId: "gone" }).choice).toBeNull();
    expect(pickerModel([businesses[0]!], null).choice).toBeNull();
    expect(pickerModel([{ ...businesses[0]!, queues: { nodes: [{ rowId: "q9", name: "Seule" }] } }], null).choice).toEqual({
      businessId: "b2",
      queueId: "q9",
    });
  });
});

describe("errors as sentences", () => {
  // Every code lib/errors.ts can give a client, plus the page's own.
  const codes = [...new Set(Object.values(errorCodes).map((c) => c.code)), "NETWORK", "INTERNAL"];

  it("the counter's codes have their own sentence in both languages; others read as a generic one", () => {
    const counterCodes = [
      "INVALID_CREDENTIALS",
      "ACCOUNT_DISABLED",
      "UNAUTHENTICATED",
      "FORBIDDEN",
      "NOT_FOUND",
      "QUEUE_CLOSED",
      "QUEUE_PAUSED",
      "QUEUE_FULL",
      "BUSINESS_SUSPENDED",
      "ACCOUNT_READ_ONLY",
      "ACCOUNT_SUSPENDED",
      "INVALID_TRANSITION",
      "VALIDATION",
      "NETWORK",
    ];
    for (const lang of ["fr", "en"]) {
      const generic = describeError("INTERNAL", lang);
      for (const code of counterCodes) {
        expect(describeError(code, lang), `${code} ${lang}`).not.toBe(generic);
        expect(describeError(code, lang), `${code} ${lang}`).toMatch(/^[A-ZÀ-Ý].*[.!]$/);
      }
      for (const code of codes) expect(describeError(code, lang), code).toMatch(/\S/);
      expect(describeError("SOMETHING_NEW", lang)).toBe(generic);
    }
    expect(new Set(counterCodes.map((code) => describeError(code, "fr"))).size).toBe(counterCodes.length);
    expect(describeError("QUEUE_FULL", "fr")).toBe("La file est complète : servez ou appelez des clients avant d'en ajouter.");
    expect(describeError("VALIDATION", "fr", "walkIn")).toBe(
      "Indiquez le nom du client (100 caractères au plus) : c'est par son nom qu'il sera appelé.",
    );
  });

  it("reads the code of a response; a session error sends back to sign-in", () => {
    expect(errorCode({ data: {} })).toBeNull();
    expect(errorCode({ errors: [{ message: "x", extensions: { code: "QUEUE_FULL" } }] })).toBe("QUEUE_FULL");
    expect(errorCode({ errors: [{ message: "masked" }] })).toBe("INTERNAL");
    expect(isSessionError("UNAUTHENTICATED")).toBe(true);
    expect(isSessionError("NOT_FOUND")).toBe(false);
  });
});

describe("session renewal timing", () => {
  const token = (claims: Record<string, unknown>) =>
    ["eyJhbGciOiJSUzI1NiJ9", Buffer.from(JSON.stringify(claims)).toString("base64url"), "signature"].join(".");

  it("reads a token's claims, whatever its base64url padding; null for what is not a token", () => {
    for (const name of ["a", "ab", "abc", "Zoé ✓"]) expect(tokenClaims(token({ name, exp: 10 }))).toEqual({ name, exp: 10 });
    expect(tokenClaims("not a token")).toBeNull();
    expect(tokenClaims("a.%%%.c")).toBeNull();
    expect(tokenClaims(null)).toBeNull();
  });

  it("renews at three quarters of the token's life on the server's clock, at once when that is past", () => {
    const issued = 1_800_000_000;
    const hour = token({ iat: issued, exp: issued + 3600 });
    expect(sessionRefreshDelay(hour, issued * 1000)).toBe(2700 * 1000);
    expect(sessionRefreshDelay(hour, (issued + 600) * 1000)).toBe(2100 * 1000);
    expect(sessionRefreshDelay(hour, (issued + 3000) * 1000)).toBe(0);
    expect(sessionRefreshDelay(token({ exp: issued + 3600 }), issued * 1000)).toBeNull();
    expect(sessionRefreshDelay("garbage", issued * 1000)).toBeNull();
  });
});
