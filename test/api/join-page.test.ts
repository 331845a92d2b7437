// The join page (/q/<qr token>, what the printed QR code opens): served like
// the status page (one static file for every token, strict headers, nothing
// from the URL echoed); its logic (web/join-view.js, the very module the page
// imports) turning the real API's answers — the queue's public status and
// every refusal of joinQueue — into French and English sentences.
// In a real browser: test/web/join.test.ts.
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import {
  JOIN_QUEUE_MUTATION,
  PHONE_RETENTION_HOURS,
  QUEUE_STATUS_QUERY,
  checkForm,
  describeJoinError,
  describeQueue,
  entryPath,
  errorCode,
  labels,
  pickLanguage,
  queueState,
  tokenFromPath,
  type QueuePublicStatus,
} from "../../web/join-view.js";
import { useTestDatabase } from "../helpers/db.ts";
import { createBusiness, join, phone } from "../helpers/fixtures.ts";
import { useTestServer } from "../helpers/server.ts";

const db = useTestDatabase();
const server = useTestServer(db);

const JOIN_HTML = await readFile(new URL("../../web/join.html", import.meta.url), "utf8");

async function queueStatus(qrToken: string) {
  const { body } = await server().graphql<{ queueStatus: QueuePublicStatus | null }>(QUEUE_STATUS_QUERY, { t: qrToken });
  return body;
}

/** The page's own mutation, anonymous, as the browser sends it; the error code or the entry token. */
async function joinAs(qrToken: string, phoneNumber: string, name: string | null = null) {
  const { body } = await server().graphql<{ joinQueue: { result: { entryToken: string } } }>(JOIN_QUEUE_MUTATION, {
    t: qrToken,
    phone: phoneNumber,
    name,
  });
  return { code: errorCode(body), entryToken: body.data?.joinQueue?.result.entryToken ?? null };
}

describe("join page over HTTP", () => {
  it("serves the page for /q/<token> with the security headers, without the token in it", async () => {
    const q = await createBusiness(db());
    const response = await fetch(`${server().url}/q/${q.qrToken}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("form-action 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(response.headers.get("cache-control")).toBe("no-store");
    const html = await response.text();
    expect(html).toBe(JOIN_HTML);
    expect(html).not.toContain(q.qrToken);
    expect(html).toContain('src="/assets/join.js"');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|style=/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    // Every field has its label; the phone field is a phone field.
    for (const id of ["phone", "name"]) expect(html).toContain(`<label for="${id}"`);
    expect(html).toMatch(/<input id="phone"[^>]*type="tel"[^>]*autocomplete="tel"/);
    expect(html).toMatch(/id="form-error"[^>]*role="alert"/);
  });

  it("serves the page's scripts and styles", async () => {
    for (const file of ["join.js", "join-view.js", "api.js", "join.css", "base.css"]) {
      const response = await fetch(`${server().url}/assets/${file}`);
      expect(response.status, file).toBe(200);
      expect(await response.text(), file).toBe(await readFile(new URL(`../../web/${file}`, import.meta.url), "utf8"));
    }
    expect((await fetch(`${server().url}/assets/join-view.d.ts`)).status).toBe(404);
  });

  it("never reflects what is in the URL", async () => {
    for (const path of ["/q/%3Cscript%3Ealert(1)%3C%2Fscript%3E", "/q/%22%3E%3Cimg%20src%3Dx%3E"]) {
      const response = await fetch(`${server().url}${path}`);
      expect(response.status, path).toBe(200);
      expect(await response.text(), path).toBe(JOIN_HTML);
    }
  });
});

describe("join page logic against the real API", () => {
  it("an open queue: business, state, people waiting and the wait, then joining leads to the status page", async () => {
    const q = await createBusiness(db(), { name: "Pharmacie du Port", averageServiceTime: 180, customMessage: "Masque conseillé." });
    await join(db(), q.qrToken, phone(1));
    await join(db(), q.qrToken, phone(2));
    const body = await queueStatus(q.qrToken);
    expect(errorCode(body)).toBeNull();
    const status = body.data!.queueStatus!;
    const view = describeQueue(status, pickLanguage(null, status.language, "en-US"));
    expect(view).toMatchObject({
      lang: "fr",
      business: "Pharmacie du Port",
      queue: "Principale",
      state: "open",
      stateLabel: "Ouverte",
      canJoin: true,
      customMessage: "Masque conseillé.",
    });
    expect(view.lines).toEqual(["2 personnes attendent.", "Attente estimée : environ 6\u00a0min."]);
    expect(describeQueue(status, "en").lines).toEqual(["2 people are waiting.", "Estimated wait: about 6\u00a0min."]);

    const joined = await joinAs(q.qrToken, "06 12 34 56 79", "Awa");
    expect(joined.code).toBeNull();
    expect(entryPath(joined.entryToken!)).toBe(`/e/${joined.entryToken}`);
    const after = describeQueue((await queueStatus(q.qrToken)).data!.queueStatus!, "fr");
    expect(after.lines[0]).toBe("3 personnes attendent.");
  });

  it("paused, closed and full queues say so and hide the form; an unknown code is no longer valid", async () => {
    const paused = await createBusiness(db(), { paused: true });
    const closed = await createBusiness(db(), { open: false, language: "en" });
    const full = await createBusiness(db(), { maxQueueSize: 1 });
    await join(db(), full.qrToken, phone(1));
    const expected = [
      [paused.qrToken, "paused", "En pause", "La file est en pause : les inscriptions reprendront bientôt. Cette page se met à jour toute seule."],
      [closed.qrToken, "closed", "Closed", "The queue is closed at the moment. Come back during opening hours."],
      [full.qrToken, "full", "Complète", "La file est complète pour le moment. Réessayez quand quelques personnes seront passées."],
    ] as const;
    for (const [token, state, label, line] of expected) {
      const status = (await queueStatus(token)).data!.queueStatus!;
      const view = describeQueue(status, pickLanguage(null, status.language, "fr-FR"));
      expect(view, state).toMatchObject({ state, stateLabel: label, canJoin: false, lines: [line] });
    }
    const unknown = await queueStatus("x".repeat(32));
    expect(errorCode(unknown)).toBe("NOT_FOUND");
    expect(describeJoinError(errorCode(unknown)!, "fr")).toMatchObject({
      final: true,
      headline: "QR code non valable",
      message: "Ce QR code n'est plus valable. Demandez le nouveau code sur place.",
    });
  });

  it("every refusal of joinQueue reads as a sentence, with the field to fix", async () => {
    const q = await createBusiness(db(), { maxQueueSize: 2 });
    await join(db(), q.qrToken, phone(1));
    const paused = await createBusiness(db(), { paused: true });
    const closed = await createBusiness(db(), { open: false });
    const suspended = await createBusiness(db());
    await db().root.query("update app_public.businesses set is_active = false where id = $1", [suspended.businessId]);

    const cases = [
      [await joinAs(q.qrToken, "06 12 34"), "INVALID_PHONE", "phone", "Ce numéro de téléphone n'est pas valable. Exemple : 06 12 34 56 78 ou +33 6 12 34 56 78."],
      [await joinAs(q.qrToken, phone(1)), "ALREADY_IN_QUEUE", "phone", "Ce numéro est déjà dans la file. Suivez votre place avec le lien reçu par SMS."],
      [await joinAs(q.qrToken, phone(2), "x".repeat(101)), "NAME_TOO_LONG", "name", "Le prénom doit faire au plus 100 caractères."],
      [await joinAs(paused.qrToken, phone(2)), "QUEUE_PAUSED", null, "Inscription impossible : la file est en pause."],
      [await joinAs(closed.qrToken, phone(2)), "QUEUE_CLOSED", null, "Inscription impossible : la file est fermée."],
      [await joinAs(suspended.qrToken, phone(2)), "BUSINESS_SUSPENDED", null, "Cet établissement n'accepte pas de clients pour le moment."],
      [await joinAs("y".repeat(32), phone(2)), "NOT_FOUND", null, "Ce QR code n'est plus valable. Demandez le nouveau code sur place."],
    ] as const;
    for (const [result, code, field, message] of cases) {
      expect(result.entryToken, code).toBeNull();
      expect(describeJoinError(result.code!, "fr"), code).toMatchObject({ code, field, message });
    }
    await joinAs(q.qrToken, phone(2));
    const fullResult = await joinAs(q.qrToken, phone(3));
    expect(fullResult.code).toBe("QUEUE_FULL");
    expect(describeJoinError(fullResult.code!, "en").message).toBe("Could not join: the queue is full.");
  });
});

describe("join page logic (web/join-view.js)", () => {
  const codes = [
    "QUEUE_CLOSED",
    "QUEUE_PAUSED",
    "QUEUE_FULL",
    "ALREADY_IN_QUEUE",
    "INVALID_PHONE",
    "PHONE_REQUIRED",
    "NAME_TOO_LONG",
    "BUSINESS_SUSPENDED",
    "NOT_FOUND",
    "RATE_LIMITED",
    "NETWORK",
    "INTERNAL",
  ];

  it("has a distinct sentence for every code, in French and in English", () => {
    for (const lang of ["fr", "en"]) {
      const messages = codes.map((code) => describeJoinError(code, lang));
      expect(messages.map((m) => m.code)).toEqual(codes);
      expect(new Set(messages.map((m) => m.message)).size).toBe(codes.length);
    }
    expect(describeJoinError("RATE_LIMITED", "en").message).toBe("Too many attempts in a short time. Wait a minute, then try again.");
    expect(describeJoinError("NETWORK", "fr").message).toBe("Connexion impossible. Vérifiez votre réseau puis réessayez.");
    expect(describeJoinError("QUEUE_NOT_FOUND", "en")).toMatchObject({ code: "NOT_FOUND", final: true });
    // Unknown (or masked) codes read as INTERNAL, never as a blank.
    for (const code of ["SOMETHING_NEW", "toString", "__proto__"]) {
      expect(describeJoinError(code, "en").message).toBe("Something went wrong on our side. Please try again in a moment.");
    }
    expect(errorCode({ errors: [{ message: "masked" }] })).toBe("INTERNAL");
  });

  it("checks the form before asking: phone required, name bounded", () => {
    expect(checkForm("", "")).toBe("PHONE_REQUIRED");
    expect(checkForm("   ", "Awa")).toBe("PHONE_REQUIRED");
    expect(checkForm("06 12 34 56 78", "x".repeat(101))).toBe("NAME_TOO_LONG");
    expect(checkForm("06 12 34 56 78", ` ${"x".repeat(100)} `)).toBeNull();
    expect(checkForm("abc", "")).toBeNull(); // the format is the server's rule
  });

  it("the consent says what is kept, why and for how long, in both languages", () => {
    expect(PHONE_RETENTION_HOURS).toBe(24);
    expect(labels("fr").consent).toBe(
      "Nous gardons votre numéro de téléphone et, si vous le donnez, votre prénom, uniquement pour vous prévenir par SMS de votre place dans la file. Le numéro et le prénom sont effacés 24 h après votre passage.",
    );
    expect(labels("en").consent).toBe(
      "We keep your phone number and, if you give it, your first name, only to text you about your place in the queue. Both are erased 24 hours after your visit.",
    );
    // The business's own setting (queueStatus.phoneRetentionHours) when known.
    expect(labels("fr", 48).consent).toMatch(/effacés 48 h après votre passage\.$/);
    expect(labels("en", 2).consent).toMatch(/erased 2 hours after your visit\.$/);
    expect(labels("en", null).consent).toMatch(/erased 24 hours/);
  });

  it("open / paused / closed / full: closed wins, then paused, then full", () => {
    const base = { isOpen: true, isPaused: false, isFull: false };
    expect(queueState(base)).toBe("open");
    expect(queueState({ ...base, isFull: true })).toBe("full");
    expect(queueState({ ...base, isFull: true, isPaused: true })).toBe("paused");
    expect(queueState({ ...base, isOpen: false, isPaused: true, isFull: true })).toBe("closed");
    expect(describeQueue({ ...base, waitingCount: 0, estimatedWaitMinutes: 0 }, "fr").lines).toEqual([
      "Personne n'attend : vous serez le prochain.",
    ]);
    expect(describeQueue({ ...base, waitingCount: 1, estimatedWaitMinutes: 3 }, "en").lines).toEqual([
      "1 person is waiting.",
      "Estimated wait: about 3\u00a0min.",
    ]);
  });

  it("reads the token from the path only when it can be one", () => {
    const token = "Ab3_-".padEnd(32, "z");
    expect(tokenFromPath(`/q/${token}`)).toBe(token);
    expect(tokenFromPath(`/q/${token}/`)).toBe(token);
    expect(tokenFromPath("/q/short")).toBeNull();
    expect(tokenFromPath("/q/%3Cscript%3E")).toBeNull();
    expect(tokenFromPath("/q/%E0%A4%A")).toBeNull();
    expect(tokenFromPath(`/e/${token}`)).toBeNull();
    expect(tokenFromPath(`/q/${token}/more`)).toBeNull();
    expect(tokenFromPath(`/q/${"a".repeat(129)}`)).toBeNull();
  });

  it("speaks the customer's choice, else the business's language, else the browser's English, else French", () => {
    expect(pickLanguage("en", "fr", "fr-FR")).toBe("en");
    expect(pickLanguage(null, "en", "fr-FR")).toBe("en");
    expect(pickLanguage("de", "fr", "en-GB")).toBe("fr");
    expect(pickLanguage(null, null, "en-US")).toBe("en");
    expect(pickLanguage(undefined, undefined, "wo-SN")).toBe("fr");
  });
});
