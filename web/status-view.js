// The customer's status page, its pure part: what to show for an entry, in
// which language, whether the customer may still leave the queue or ask for
// more time, and the tab's title. No DOM, no network: the page (status.js)
// and the tests (test/api/status-page.test.ts) import this same file. Plain ES2019 (no ??, ?.; eslint.config.js checks):
// customers' phones can be old.

/** The entry's fields the page needs (GraphQL names of app_public.customer_entry). */
const ENTRY_FIELDS = `status ticketNumber position peopleAhead estimatedWaitMinutes
    businessName queueName language customMessage calledAt callExpiresAt
    moreTimeRequested canRequestMoreTime`;

export const ENTRY_STATUS_QUERY = `query EntryStatus($t: String!) {
  entryStatus(entryToken: $t) {
    ${ENTRY_FIELDS}
  }
}`;

/** The same view, live: sent at once, then after every change in the queue (web/live.js). */
export const ENTRY_CHANGED_SUBSCRIPTION = `subscription EntryChanged($t: String!) {
  entryChanged(entryToken: $t) {
    ${ENTRY_FIELDS}
  }
}`;

export const CANCEL_ENTRY_MUTATION = `mutation CancelEntry($t: String!) {
  cancelEntry(input: { entryToken: $t }) { result { status } }
}`;

export const REQUEST_MORE_TIME_MUTATION = `mutation RequestMoreTime($t: String!) {
  requestMoreTime(input: { entryToken: $t }) {
    result {
      ${ENTRY_FIELDS}
    }
  }
}`;

/** Minutes that "I need more time" adds (app_private.more_time_minutes() in SQL). */
export const MORE_TIME_MINUTES = 5;

/** The entry token's format (queue_entries check constraint). */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{32}$/;

/** Statuses a customer can still leave (cancel_entry accepts only these). */
const CANCELLABLE = new Set(["waiting", "called"]);
/** Nothing changes after these: the page stops refreshing. */
const FINAL = new Set(["served", "missed", "cancelled"]);

/**
 * The entry token from the page's path (/e/<token>), or null when the path
 * holds nothing that could be one: the page then says "not found" without
 * asking the server.
 */
export function tokenFromPath(pathname) {
  const match = /^\/e\/([^/]+)\/?$/.exec(pathname);
  if (!match) return null;
  let token;
  try {
    token = decodeURIComponent(match[1]);
  } catch {
    return null;
  }
  return TOKEN_PATTERN.test(token) ? token : null;
}

/**
 * The page's language: the one the customer chose on the join page (`chosen`,
 * remembered by the browser), else the business's once known, else the
 * browser's when it is English, else French (the product's default).
 */
export function pickLanguage(entryLanguage, browserLanguage, chosen) {
  if (chosen === "en" || chosen === "fr") return chosen;
  if (entryLanguage === "en" || entryLanguage === "fr") return entryLanguage;
  return typeof browserLanguage === "string" && browserLanguage.toLowerCase().startsWith("en") ? "en" : "fr";
}

export function canCancel(status) {
  return CANCELLABLE.has(status);
}

export function isFinal(status) {
  return FINAL.has(status);
}

const TEXTS = {
  fr: {
    title: "Votre place dans la file",
    ticket: (n) => `Ticket n° ${n}`,
    waitingHeadline: (position) => `Vous êtes n° ${position} dans la file`,
    ahead: (n) => (n === 0 ? "Personne devant vous : c'est bientôt à vous." : n === 1 ? "1 personne devant vous." : `${n} personnes devant vous.`),
    // A no-break space keeps "12 min" on one line.
    estimate: (m) => (m <= 0 ? "Attente estimée : moins d'une minute." : `Attente estimée : environ ${m}\u00a0min.`),
    calledHeadline: "C'est votre tour !",
    calledBody: "Présentez-vous au comptoir.",
    calledBefore: (time) => `Présentez-vous au comptoir avant ${time}.`,
    calledTitle: "C'est votre tour !",
    moreTimeButton: (m) => `J'ai besoin de ${m} minutes de plus`,
    moreTimeGranted: (m) => `C'est noté : vous avez ${m} minutes de plus.`,
    servedHeadline: "Vous avez été servi",
    servedBody: "Merci de votre visite !",
    missedHeadline: "Votre tour est passé",
    missedBody: "Vous n'étiez pas là à l'appel. Pour revenir dans la file, scannez à nouveau le QR code.",
    cancelledHeadline: "Vous n'êtes plus dans la file",
    cancelledBody: "Votre place a été annulée.",
    unknownHeadline: "Statut inconnu",
    unknownBody: "Actualisez la page dans un instant.",
    autoRefresh: "Cette page se met à jour toute seule.",
    cancelButton: "Quitter la file",
    cancelConfirm: "Voulez-vous vraiment quitter la file ? Votre place sera perdue.",
    loading: "Chargement…",
    errorHeadline: "Oups",
    errors: {
      NOT_FOUND: "Ce lien de suivi n'existe pas ou n'est plus valable. Vérifiez le lien reçu par SMS.",
      INVALID_TRANSITION: "Votre place ne peut plus être annulée : vous n'êtes plus en attente.",
      VALIDATION: "Ce lien de suivi n'est pas valable. Vérifiez le lien reçu par SMS.",
      NETWORK: "Connexion impossible. Vérifiez votre réseau : nouvel essai dans quelques secondes.",
      INTERNAL: "Une erreur est survenue de notre côté. Réessayez dans un instant.",
    },
    moreTimeErrors: {
      MORE_TIME_ALREADY_USED: (m) => `Vous avez déjà demandé ${m} minutes de plus : ce délai ne se prolonge qu'une fois.`,
      INVALID_TRANSITION: () => "Vous ne pouvez demander plus de temps que lorsque c'est votre tour.",
    },
  },
  en: {
    title: "Your place in the queue",
    ticket: (n) => `Ticket #${n}`,
    waitingHeadline: (position) => `You are number ${position} in the queue`,
    ahead: (n) => (n === 0 ? "Nobody ahead of you: you're next." : n === 1 ? "1 person ahead of you." : `${n} people ahead of you.`),
    estimate: (m) => (m <= 0 ? "Estimated wait: less than a minute." : `Estimated wait: about ${m}\u00a0min.`),
    calledHeadline: "It's your turn!",
    calledBody: "Please come to the counter.",
    calledBefore: (time) => `Please come to the counter before ${time}.`,
    calledTitle: "It's your turn!",
    moreTimeButton: (m) => `I need ${m} more minutes`,
    moreTimeGranted: (m) => `Noted: you have ${m} more minutes.`,
    servedHeadline: "You have been served",
    servedBody: "Thank you for your visit!",
    missedHeadline: "You missed your turn",
    missedBody: "You were not there when called. To join the queue again, scan the QR code again.",
    cancelledHeadline: "You are no longer in the queue",
    cancelledBody: "Your place has been cancelled.",
    unknownHeadline: "Unknown status",
    unknownBody: "Refresh the page in a moment.",
    autoRefresh: "This page updates itself.",
    cancelButton: "Leave the queue",
    cancelConfirm: "Do you really want to leave the queue? You will lose your place.",
    loading: "Loading…",
    errorHeadline: "Oops",
    errors: {
      NOT_FOUND: "This tracking link does not exist or is no longer valid. Check the link in your text message.",
      INVALID_TRANSITION: "Your place can no longer be cancelled: you are not waiting any more.",
      VALIDATION: "This tracking link is not valid. Check the link in your text message.",
      NETWORK: "Cannot reach the server. Check your connection: trying again in a few seconds.",
      INTERNAL: "Something went wrong on our side. Please try again in a moment.",
    },
    moreTimeErrors: {
      MORE_TIME_ALREADY_USED: (m) => `You have already asked for ${m} more minutes: this can only be done once.`,
      INVALID_TRANSITION: () => "You can ask for more time only when it is your turn.",
    },
  },
};

/** The fixed texts of a language (button, confirm, loading…). */
export function texts(lang) {
  return TEXTS[lang === "en" ? "en" : "fr"];
}

/** "14:05" in the customer's language; timeZone is for tests (the browser's own otherwise). */
export function formatTime(iso, lang, timeZone) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return null;
  return date.toLocaleTimeString(lang === "en" ? "en-GB" : "fr-FR", { hour: "2-digit", minute: "2-digit", timeZone });
}

/**
 * What the page shows for an entryStatus result: a tone (CSS class), a
 * headline, lines of text, and whether the cancel button shows.
 * `options.timeZone` only for tests.
 */
export function describeEntry(entry, lang, options = {}) {
  const t = texts(lang);
  const header = {
    lang: lang === "en" ? "en" : "fr",
    title: t.title,
    business: entry.businessName || "",
    queue: entry.queueName || "",
    ticket: entry.ticketNumber != null ? t.ticket(entry.ticketNumber) : "",
    customMessage: entry.customMessage || "",
    showCancel: canCancel(entry.status),
    showMoreTime: entry.status === "called" && entry.canRequestMoreTime === true,
    moreTimeLabel: t.moreTimeButton(MORE_TIME_MINUTES),
    final: isFinal(entry.status),
  };
  switch (entry.status) {
    case "waiting": {
      const lines = [];
      if (entry.peopleAhead != null) lines.push(t.ahead(entry.peopleAhead));
      if (entry.estimatedWaitMinutes != null) lines.push(t.estimate(entry.estimatedWaitMinutes));
      lines.push(t.autoRefresh);
      return { ...header, tone: "waiting", headline: t.waitingHeadline(entry.position), lines };
    }
    case "called": {
      const time = entry.callExpiresAt ? formatTime(entry.callExpiresAt, lang, options.timeZone) : null;
      const lines = [time ? t.calledBefore(time) : t.calledBody];
      if (entry.moreTimeRequested) lines.push(t.moreTimeGranted(MORE_TIME_MINUTES));
      return { ...header, tone: "called", headline: t.calledHeadline, lines };
    }
    case "served":
      return { ...header, tone: "served", headline: t.servedHeadline, lines: [t.servedBody] };
    case "missed":
      return { ...header, tone: "missed", headline: t.missedHeadline, lines: [t.missedBody] };
    case "cancelled":
      return { ...header, tone: "cancelled", headline: t.cancelledHeadline, lines: [t.cancelledBody] };
    default:
      return { ...header, tone: "unknown", headline: t.unknownHeadline, lines: [t.unknownBody] };
  }
}

/**
 * A readable sentence for an error code (GraphQL `extensions.code`, or
 * NETWORK when the server could not be reached); unknown codes read as
 * INTERNAL. `final`: the page should stop refreshing (the link is dead).
 */
export function describeError(code, lang) {
  const t = texts(lang);
  const known = Object.prototype.hasOwnProperty.call(t.errors, code) ? code : "INTERNAL";
  return {
    lang: lang === "en" ? "en" : "fr",
    title: t.title,
    tone: known === "NOT_FOUND" || known === "VALIDATION" ? "not-found" : "error",
    headline: t.errorHeadline,
    lines: [t.errors[known]],
    final: known === "NOT_FOUND" || known === "VALIDATION",
  };
}

/**
 * The tab's title: "It's your turn!" first while called (what a customer who
 * switched to another tab or app must see), else the business's name.
 */
export function pageTitle(view) {
  const name = view.business || view.title;
  if (view.tone === "called") return `${texts(view.lang).calledTitle} – ${name}`;
  return `${name} – Waitify`;
}

/**
 * Why a request for more time was refused, as a sentence: already asked, not
 * (or no longer) called; other codes read as describeError does.
 */
export function describeMoreTimeError(code, lang) {
  const t = texts(lang);
  if (Object.prototype.hasOwnProperty.call(t.moreTimeErrors, code)) return t.moreTimeErrors[code](MORE_TIME_MINUTES);
  return describeError(code, lang).lines[0];
}

/**
 * The code of a GraphQL response's first error, or null when there is none;
 * an error without a code (a masked one) counts as INTERNAL.
 */
export function errorCode(body) {
  const first = body && Array.isArray(body.errors) ? body.errors[0] : undefined;
  if (!first) return null;
  const code = first.extensions && first.extensions.code;
  return typeof code === "string" ? code : "INTERNAL";
}
