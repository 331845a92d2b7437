// The join page (/q/<qr token>, what the printed QR code opens), its pure
// part: the queries, what to show for a queue's public status, the consent
// text, the sentence for every error code, in French or English. No DOM, no
// network: the page (join.js) and the tests (test/api/join-page.test.ts)
// import this same file. Plain ES2019 (no ??, ?.): customers' phones can be old.
import { errorCode } from "./status-view.js";

export { errorCode };

/** What the page shows before joining (app_public.queue_public_status). */
export const QUEUE_STATUS_QUERY = `query QueueStatus($t: String!) {
  queueStatus(qrToken: $t) {
    businessName queueName language customMessage
    isOpen isPaused isFull canJoin waitingCount estimatedWaitMinutes phoneRetentionHours
  }
}`;

export const JOIN_QUEUE_MUTATION = `mutation JoinQueue($t: String!, $phone: String!, $name: String) {
  joinQueue(input: { qrToken: $t, phone: $phone, clientName: $name }) { result { entryToken } }
}`;

/**
 * How long a customer's phone number is kept after the visit when the page
 * does not know the business's own setting yet (queueStatus gives it:
 * businesses.phone_retention_hours, 1–720, erased by the hourly job): the
 * database's default.
 */
export const PHONE_RETENTION_HOURS = 24;

/** The longest name join_queue accepts (INVALID_NAME beyond). */
export const NAME_MAX_LENGTH = 100;

/** The QR token's format (queues.qr_code_token check constraint), bounded. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{22,128}$/;

/**
 * The QR token from the page's path (/q/<token>), or null when the path holds
 * nothing that could be one: the page then says the code is not valid
 * without asking the server.
 */
export function tokenFromPath(pathname) {
  const match = /^\/q\/([^/]+)\/?$/.exec(pathname);
  if (!match) return null;
  let token;
  try {
    token = decodeURIComponent(match[1]);
  } catch {
    return null;
  }
  return TOKEN_PATTERN.test(token) ? token : null;
}

/** Where a customer who joined goes: their status page. */
export function entryPath(entryToken) {
  return `/e/${encodeURIComponent(entryToken)}`;
}

/**
 * The page's language: the one the customer chose with the switch, else the
 * business's once known, else the browser's when it is English, else French.
 */
export function pickLanguage(chosen, businessLanguage, browserLanguage) {
  if (chosen === "en" || chosen === "fr") return chosen;
  if (businessLanguage === "en" || businessLanguage === "fr") return businessLanguage;
  return typeof browserLanguage === "string" && browserLanguage.toLowerCase().startsWith("en") ? "en" : "fr";
}

export function otherLanguage(lang) {
  return lang === "en" ? "fr" : "en";
}

const TEXTS = {
  fr: {
    title: "Rejoindre la file",
    loading: "Chargement…",
    switchLabel: "English",
    switchHint: "Read this page in English",
    phoneLabel: "Votre numéro de téléphone",
    phoneHint: "Pour vous prévenir par SMS quand c'est bientôt votre tour.",
    nameLabel: "Votre prénom (facultatif)",
    nameHint: "Pour que l'on vous appelle par votre nom au comptoir.",
    submit: "Rejoindre la file",
    submitting: "Inscription…",
    consent: (hours) =>
      `Nous gardons votre numéro de téléphone et, si vous le donnez, votre prénom, uniquement pour vous prévenir par SMS de votre place dans la file. Le numéro et le prénom sont effacés ${hours} h après votre passage.`,
    states: {
      open: "Ouverte",
      paused: "En pause",
      closed: "Fermée",
      full: "Complète",
    },
    waiting: (n) => (n === 0 ? "Personne n'attend : vous serez le prochain." : n === 1 ? "1 personne attend." : `${n} personnes attendent.`),
    // A no-break space keeps "12 min" on one line.
    estimate: (m) => (m <= 0 ? "Attente estimée : moins d'une minute." : `Attente estimée : environ ${m}\u00a0min.`),
    stateLines: {
      paused: "La file est en pause : les inscriptions reprendront bientôt. Cette page se met à jour toute seule.",
      closed: "La file est fermée pour le moment. Revenez pendant les heures d'ouverture.",
      full: "La file est complète pour le moment. Réessayez quand quelques personnes seront passées.",
    },
    errorHeadline: "Oups",
    notFoundHeadline: "QR code non valable",
    errors: {
      QUEUE_CLOSED: "Inscription impossible : la file est fermée.",
      QUEUE_PAUSED: "Inscription impossible : la file est en pause.",
      QUEUE_FULL: "Inscription impossible : la file est complète.",
      ALREADY_IN_QUEUE: "Ce numéro est déjà dans la file. Suivez votre place avec le lien reçu par SMS.",
      INVALID_PHONE: "Ce numéro de téléphone n'est pas valable. Exemple : 06 12 34 56 78 ou +33 6 12 34 56 78.",
      PHONE_REQUIRED: "Indiquez votre numéro de téléphone pour rejoindre la file.",
      NAME_TOO_LONG: `Le prénom doit faire au plus ${NAME_MAX_LENGTH} caractères.`,
      BUSINESS_SUSPENDED: "Cet établissement n'accepte pas de clients pour le moment.",
      NOT_FOUND: "Ce QR code n'est plus valable. Demandez le nouveau code sur place.",
      RATE_LIMITED: "Trop de tentatives en peu de temps. Patientez une minute puis réessayez.",
      NETWORK: "Connexion impossible. Vérifiez votre réseau puis réessayez.",
      INTERNAL: "Une erreur est survenue de notre côté. Réessayez dans un instant.",
    },
  },
  en: {
    title: "Join the queue",
    loading: "Loading…",
    switchLabel: "Français",
    switchHint: "Lire cette page en français",
    phoneLabel: "Your phone number",
    phoneHint: "To text you when your turn is near.",
    nameLabel: "Your first name (optional)",
    nameHint: "So that the counter can call you by your name.",
    submit: "Join the queue",
    submitting: "Joining…",
    consent: (hours) =>
      `We keep your phone number and, if you give it, your first name, only to text you about your place in the queue. Both are erased ${hours} hours after your visit.`,
    states: {
      open: "Open",
      paused: "Paused",
      closed: "Closed",
      full: "Full",
    },
    waiting: (n) => (n === 0 ? "Nobody is waiting: you will be next." : n === 1 ? "1 person is waiting." : `${n} people are waiting.`),
    estimate: (m) => (m <= 0 ? "Estimated wait: less than a minute." : `Estimated wait: about ${m}\u00a0min.`),
    stateLines: {
      paused: "The queue is paused: joining will resume shortly. This page updates itself.",
      closed: "The queue is closed at the moment. Come back during opening hours.",
      full: "The queue is full at the moment. Try again once a few people have been served.",
    },
    errorHeadline: "Oops",
    notFoundHeadline: "QR code not valid",
    errors: {
      QUEUE_CLOSED: "Could not join: the queue is closed.",
      QUEUE_PAUSED: "Could not join: the queue is paused.",
      QUEUE_FULL: "Could not join: the queue is full.",
      ALREADY_IN_QUEUE: "This phone number is already in the queue. Follow your place with the link in your text message.",
      INVALID_PHONE: "This phone number is not valid. Example: 06 12 34 56 78 or +33 6 12 34 56 78.",
      PHONE_REQUIRED: "Enter your phone number to join the queue.",
      NAME_TOO_LONG: `The first name must be at most ${NAME_MAX_LENGTH} characters.`,
      BUSINESS_SUSPENDED: "This business is not accepting customers at the moment.",
      NOT_FOUND: "This QR code is no longer valid. Ask for the new code on site.",
      RATE_LIMITED: "Too many attempts in a short time. Wait a minute, then try again.",
      NETWORK: "Cannot reach the server. Check your connection, then try again.",
      INTERNAL: "Something went wrong on our side. Please try again in a moment.",
    },
  },
};

/** The fixed texts of a language (labels, hints, button, consent…). */
export function texts(lang) {
  return TEXTS[lang === "en" ? "en" : "fr"];
}

/**
 * The labels of the page's static elements (data-t="key" in join.html), in a
 * language; the consent states the business's retention when it is known.
 */
export function labels(lang, retentionHours) {
  const t = texts(lang);
  return {
    title: t.title,
    switchLabel: t.switchLabel,
    phoneLabel: t.phoneLabel,
    phoneHint: t.phoneHint,
    nameLabel: t.nameLabel,
    nameHint: t.nameHint,
    submit: t.submit,
    consent: t.consent(Number.isInteger(retentionHours) && retentionHours > 0 ? retentionHours : PHONE_RETENTION_HOURS),
  };
}

/** open / paused / closed / full, from queueStatus (closed wins, then paused, then full). */
export function queueState(status) {
  if (!status.isOpen) return "closed";
  if (status.isPaused) return "paused";
  if (status.isFull) return "full";
  return "open";
}

/**
 * What the page shows for a queueStatus result: the business, the state
 * (a CSS tone and a label), lines of text, whether the form shows.
 */
export function describeQueue(status, lang) {
  const t = texts(lang);
  const state = queueState(status);
  const lines = [];
  if (state === "open") {
    if (status.waitingCount != null) lines.push(t.waiting(status.waitingCount));
    if (status.estimatedWaitMinutes != null && status.waitingCount > 0) lines.push(t.estimate(status.estimatedWaitMinutes));
  } else {
    lines.push(t.stateLines[state]);
  }
  return {
    lang: lang === "en" ? "en" : "fr",
    title: t.title,
    business: status.businessName || "",
    queue: status.queueName || "",
    customMessage: status.customMessage || "",
    state,
    stateLabel: t.states[state],
    lines,
    canJoin: state === "open" && status.canJoin !== false,
    final: false,
  };
}

/**
 * The form's own checks before asking the server: the phone is required, the
 * name bounded. Returns an error code (see describeJoinError) or null. The
 * server checks the phone's format: one rule, in SQL.
 */
export function checkForm(phone, name) {
  if (!String(phone || "").trim()) return "PHONE_REQUIRED";
  if (String(name || "").trim().length > NAME_MAX_LENGTH) return "NAME_TOO_LONG";
  return null;
}

/**
 * A readable sentence for a joinQueue or queueStatus error code, the field it
 * concerns (focused by the page), and whether the code is dead (`final`: the
 * page then shows only the sentence). Unknown codes read as INTERNAL.
 */
export function describeJoinError(code, lang) {
  const t = texts(lang);
  let known = code;
  if (code === "QUEUE_NOT_FOUND") known = "NOT_FOUND";
  // join_queue's VALIDATION is the name's length (INVALID_NAME): the one free-text field.
  if (code === "VALIDATION" || code === "INVALID_NAME") known = "NAME_TOO_LONG";
  if (!Object.prototype.hasOwnProperty.call(t.errors, known)) known = "INTERNAL";
  const field = known === "INVALID_PHONE" || known === "PHONE_REQUIRED" || known === "ALREADY_IN_QUEUE"
    ? "phone"
    : known === "NAME_TOO_LONG"
      ? "name"
      : null;
  return {
    code: known,
    lang: lang === "en" ? "en" : "fr",
    headline: known === "NOT_FOUND" ? t.notFoundHeadline : t.errorHeadline,
    message: t.errors[known],
    field,
    final: known === "NOT_FOUND",
  };
}
