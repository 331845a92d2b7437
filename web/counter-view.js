// The counter screen (/counter), its pure part: the GraphQL operations, the
// texts in French and English, every error code as a sentence, what each row
// of the list shows (ticket, name, masked phone, time waited against the
// quote, the deadline of a called customer), which controls are on, and the
// keyboard shortcuts. No DOM, no network: the page (counter.js) and the tests
// (test/web/counter-view.test.ts, test/api/counter.test.ts) import this same
// file. Plain ES2019 like status-view.js (eslint.config.js checks).

export const AUTHENTICATE_MUTATION = `mutation Authenticate($email: String!, $password: String!) {
  authenticate(input: { email: $email, password: $password }) { jwtToken }
}`;

/** The merchant's businesses and their queues, for the picker. */
export const BUSINESSES_QUERY = `query CounterBusinesses {
  myBusinesses { nodes { rowId name language queues { nodes { rowId name } } } }
}`;

/** Whether the API knows a field yet (requestMoreTime's column comes from another branch of work). */
export const ENTRY_FIELDS_QUERY = `query CounterEntryFields { __type(name: "QueueEntry") { fields { name } } }`;

const ENTRY_FIELDS = `rowId ticketNumber clientName maskedPhone isWalkIn status joinedAt calledAt callExpiresAt
        waitedSeconds quotedWaitMinutes`;

/**
 * The counter's queue: its state, the last ticket called (for the TV) and
 * the called and waiting customers. `moreTime`: ask for moreTimeRequestedAt
 * (only once the API has it).
 */
export function queueQuery(moreTime) {
  return `query CounterQueue($id: UUID!) {
  queueByRowId(rowId: $id) {
    rowId name isQueueActive isQueuePaused maxQueueSize clientTimeoutMinutes waitingCount
    business { rowId name language }
    lastCalledEntry { rowId ticketNumber clientName status }
    activeEntries { nodes { ${ENTRY_FIELDS}${moreTime ? " moreTimeRequestedAt" : ""} } }
  }
}`;
}

/**
 * The live feed of the queue (realtime API): each message says something
 * changed; the page then fetches the queue again (queueQuery), which also
 * covers what changed while the feed was down.
 */
export const QUEUE_CHANGED_SUBSCRIPTION = `subscription CounterQueueChanged($id: UUID!) {
  queueChanged(queueId: $id) { event entryId }
}`;

/** The mutations of the counter, by action; each takes { id } (a queue or an entry) and one takes a name. */
export const MUTATIONS = {
  open: `mutation OpenQueue($id: UUID!) { openQueue(input: { queueId: $id }) { result { rowId } } }`,
  close: `mutation CloseQueue($id: UUID!) { closeQueue(input: { queueId: $id }) { result { rowId } } }`,
  pause: `mutation PauseQueue($id: UUID!) { pauseQueue(input: { queueId: $id }) { result { rowId } } }`,
  resume: `mutation ResumeQueue($id: UUID!) { resumeQueue(input: { queueId: $id }) { result { rowId } } }`,
  callNext: `mutation CallNext($id: UUID!) { callNext(input: { queueId: $id }) { result { rowId ticketNumber clientName } } }`,
  served: `mutation MarkServed($id: UUID!) { markServed(input: { entryId: $id }) { result { rowId ticketNumber } } }`,
  missed: `mutation MarkMissed($id: UUID!) { markMissed(input: { entryId: $id }) { result { rowId ticketNumber } } }`,
  walkIn: `mutation AddWalkIn($id: UUID!, $name: String!) {
  addWalkIn(input: { queueId: $id, clientName: $name }) { result { rowId ticketNumber clientName } }
}`,
};

/** Where the page keeps its session (this tab only, gone when it closes). */
export const STORAGE_KEYS = { token: "waitify.counter.token", choice: "waitify.counter.queue" };

/** The longest walk-in name the API accepts (app_public.add_walk_in). */
export const WALK_IN_NAME_MAX = 100;

/** The page's language: the business's once known, else the browser's when it is English, else French. */
export function pickLanguage(businessLanguage, browserLanguage) {
  if (businessLanguage === "en" || businessLanguage === "fr") return businessLanguage;
  return typeof browserLanguage === "string" && browserLanguage.toLowerCase().startsWith("en") ? "en" : "fr";
}

const plural = (n, one, many) => (n === 1 ? one : many);

const TEXTS = {
  fr: {
    appTitle: "Comptoir",
    signInTitle: "Connexion au comptoir",
    email: "Adresse e-mail",
    password: "Mot de passe",
    signIn: "Se connecter",
    signingIn: "Connexion…",
    signOut: "Se déconnecter",
    changeQueue: "Changer de file",
    pickTitle: "Choisir une file",
    pickSubmit: "Ouvrir le comptoir",
    business: "Établissement",
    queue: "File",
    noBusiness: "Aucun établissement sur ce compte : créez-en un d'abord.",
    open: "Ouvrir",
    close: "Fermer",
    pause: "Pause",
    resume: "Reprendre",
    closeConfirm: "Fermer la file ? Les clients en attente seront prévenus que leur place est annulée.",
    controlsTitle: "Commandes de la file",
    callNext: "Appeler le suivant",
    served: "Servi",
    missed: "Absent",
    tvOn: "Mode TV",
    tvOff: "Quitter le mode TV",
    poster: "Affiche QR (PDF)",
    stateOpen: "Ouverte",
    statePaused: "En pause",
    stateClosed: "Fermée",
    waitingCount: (n) => (n === 0 ? "Personne n'attend" : `${n} ${plural(n, "personne attend", "personnes attendent")}`),
    capacity: (n, max) => `${n} / ${max} places`,
    lastCalled: "Dernier appelé",
    nobodyCalled: "Aucun appel pour le moment",
    ticket: (n) => `n° ${n}`,
    ticketLong: (n) => `Ticket n° ${n}`,
    tvPrompt: "Présentez-vous au comptoir",
    calledTitle: "Appelés",
    noneCalled: "Personne n'est appelé.",
    waitingTitle: "En attente",
    noneWaiting: "Personne n'attend.",
    columns: { position: "Rang", ticket: "Ticket", name: "Nom", phone: "Téléphone", waited: "Attente", quoted: "Annoncé" },
    walkInTitle: "Client au comptoir (sans téléphone)",
    walkInName: "Nom du client",
    walkInAdd: "Ajouter à la file",
    walkIn: "au comptoir",
    noName: "Sans nom",
    noPhone: "Sans téléphone",
    minutes: (m) => (m < 1 ? "< 1 min" : m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")}`),
    quoted: (m) => `annoncé ${m} min`,
    late: (m) => `${m} min de plus qu'annoncé`,
    waitedFor: (d) => `attend depuis ${d}`,
    waitedBeforeCall: (d) => `a attendu ${d}`,
    deadline: (time) => `à venir avant ${time}`,
    remaining: (d) => `reste ${d}`,
    overdue: "délai dépassé",
    moreTime: "a demandé 5 minutes de plus",
    current: "Raccourcis S / M",
    shortcutsTitle: "Raccourcis clavier",
    shortcuts: [
      ["N", "appeler le suivant"],
      ["S", "servi (dernier appelé)"],
      ["M", "absent (dernier appelé)"],
      ["A", "ajouter un client au comptoir"],
      ["T", "mode TV"],
      ["Échap", "quitter le mode TV"],
    ],
    called: (n) => `Ticket n° ${n} appelé.`,
    calledName: (n, name) => `Ticket n° ${n} appelé : ${name}.`,
    walkInAdded: (n, name) => `${name} ajouté à la file : ticket n° ${n}.`,
    markedServed: (n) => `Ticket n° ${n} servi.`,
    markedMissed: (n) => `Ticket n° ${n} marqué absent.`,
    nobodyWaiting: "Personne n'attend : aucun client à appeler.",
    noCalled: "Aucun client appelé : appelez d'abord le suivant.",
    offline: "Connexion perdue : la liste est peut-être en retard. Nouvel essai en cours…",
    updatedAt: (time) => `Mis à jour à ${time}`,
    liveOn: "En direct",
    liveOff: "Mise à jour toutes les 5 s",
    signedOut: "Vous êtes déconnecté.",
  },
  en: {
    appTitle: "Counter",
    signInTitle: "Sign in to the counter",
    email: "Email address",
    password: "Password",
    signIn: "Sign in",
    signingIn: "Signing in…",
    signOut: "Sign out",
    changeQueue: "Change queue",
    pickTitle: "Choose a queue",
    pickSubmit: "Open the counter",
    business: "Business",
    queue: "Queue",
    noBusiness: "This account has no business yet: create one first.",
    open: "Open",
    close: "Close",
    pause: "Pause",
    resume: "Resume",
    closeConfirm: "Close the queue? Waiting customers will be told their place is cancelled.",
    controlsTitle: "Queue controls",
    callNext: "Call next",
    served: "Served",
    missed: "Missed",
    tvOn: "TV mode",
    tvOff: "Leave TV mode",
    poster: "QR poster (PDF)",
    stateOpen: "Open",
    statePaused: "Paused",
    stateClosed: "Closed",
    waitingCount: (n) => (n === 0 ? "Nobody waiting" : `${n} ${plural(n, "person waiting", "people waiting")}`),
    capacity: (n, max) => `${n} / ${max} places`,
    lastCalled: "Last called",
    nobodyCalled: "Nobody called yet",
    ticket: (n) => `#${n}`,
    ticketLong: (n) => `Ticket #${n}`,
    tvPrompt: "Please come to the counter",
    calledTitle: "Called",
    noneCalled: "Nobody is called.",
    waitingTitle: "Waiting",
    noneWaiting: "Nobody is waiting.",
    columns: { position: "Place", ticket: "Ticket", name: "Name", phone: "Phone", waited: "Waited", quoted: "Quoted" },
    walkInTitle: "Customer at the counter (no phone)",
    walkInName: "Customer's name",
    walkInAdd: "Add to the queue",
    walkIn: "at the counter",
    noName: "No name",
    noPhone: "No phone",
    minutes: (m) => (m < 1 ? "< 1 min" : m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")}`),
    quoted: (m) => `quoted ${m} min`,
    late: (m) => `${m} min over the quote`,
    waitedFor: (d) => `waiting for ${d}`,
    waitedBeforeCall: (d) => `waited ${d}`,
    deadline: (time) => `due before ${time}`,
    remaining: (d) => `${d} left`,
    overdue: "past the deadline",
    moreTime: "asked for 5 more minutes",
    current: "Shortcuts S / M",
    shortcutsTitle: "Keyboard shortcuts",
    shortcuts: [
      ["N", "call next"],
      ["S", "served (last called)"],
      ["M", "missed (last called)"],
      ["A", "add a customer at the counter"],
      ["T", "TV mode"],
      ["Esc", "leave TV mode"],
    ],
    called: (n) => `Ticket #${n} called.`,
    calledName: (n, name) => `Ticket #${n} called: ${name}.`,
    walkInAdded: (n, name) => `${name} added to the queue: ticket #${n}.`,
    markedServed: (n) => `Ticket #${n} served.`,
    markedMissed: (n) => `Ticket #${n} marked missed.`,
    nobodyWaiting: "Nobody is waiting: there is no one to call.",
    noCalled: "Nobody has been called: call the next customer first.",
    offline: "Connection lost: the list may be out of date. Trying again…",
    updatedAt: (time) => `Updated at ${time}`,
    liveOn: "Live",
    liveOff: "Updating every 5 s",
    signedOut: "You are signed out.",
  },
};

/** The texts of a language. */
export function texts(lang) {
  return TEXTS[lang === "en" ? "en" : "fr"];
}

const ERRORS = {
  fr: {
    INVALID_CREDENTIALS: "Adresse e-mail ou mot de passe incorrect.",
    ACCOUNT_DISABLED: "Ce compte est désactivé.",
    UNAUTHENTICATED: "Votre session a expiré : connectez-vous à nouveau.",
    FORBIDDEN: "Ce compte ne peut pas tenir un comptoir.",
    NOT_FOUND: "Cette file n'existe plus ou n'est pas à vous : choisissez-en une autre.",
    QUEUE_CLOSED: "La file est fermée : ouvrez-la d'abord.",
    QUEUE_PAUSED: "La file est en pause : reprenez-la d'abord.",
    QUEUE_FULL: "La file est complète : servez ou appelez des clients avant d'en ajouter.",
    BUSINESS_SUSPENDED: "Cet établissement n'accepte pas de clients pour le moment (compte ou établissement suspendu).",
    ACCOUNT_READ_ONLY: "Compte en lecture seule après un paiement refusé : réglez votre facture pour ouvrir une file.",
    ACCOUNT_SUSPENDED: "Compte suspendu : réglez votre facture pour le réactiver.",
    INVALID_TRANSITION: "Action impossible : la situation a changé entre-temps. La liste est à jour.",
    VALIDATION: "Une valeur n'est pas valable.",
    WALK_IN_NAME: "Indiquez le nom du client (100 caractères au plus) : c'est par son nom qu'il sera appelé.",
    NETWORK: "Connexion impossible. Vérifiez le réseau puis réessayez.",
    INTERNAL: "Une erreur est survenue de notre côté. Réessayez dans un instant.",
  },
  en: {
    INVALID_CREDENTIALS: "Wrong email address or password.",
    ACCOUNT_DISABLED: "This account is disabled.",
    UNAUTHENTICATED: "Your session has expired: please sign in again.",
    FORBIDDEN: "This account cannot run a counter.",
    NOT_FOUND: "This queue no longer exists or is not yours: choose another one.",
    QUEUE_CLOSED: "The queue is closed: open it first.",
    QUEUE_PAUSED: "The queue is paused: resume it first.",
    QUEUE_FULL: "The queue is full: serve or call customers before adding more.",
    BUSINESS_SUSPENDED: "This business is not accepting customers at the moment (account or business suspended).",
    ACCOUNT_READ_ONLY: "Read-only account after a failed payment: pay your invoice to open a queue.",
    ACCOUNT_SUSPENDED: "Account suspended: pay your invoice to reactivate it.",
    INVALID_TRANSITION: "Not possible: things changed in the meantime. The list is up to date.",
    VALIDATION: "A value is not valid.",
    WALK_IN_NAME: "Enter the customer's name (at most 100 characters): it is how they will be called.",
    NETWORK: "Cannot reach the server. Check the network and try again.",
    INTERNAL: "Something went wrong on our side. Please try again in a moment.",
  },
};

/**
 * A sentence for an error code (GraphQL `extensions.code`, NETWORK when the
 * server could not be reached); unknown codes read as INTERNAL. `action`
 * refines a generic code where the page knows what was tried ("walkIn": a
 * VALIDATION error can only be the name).
 */
export function describeError(code, lang, action) {
  const errors = ERRORS[lang === "en" ? "en" : "fr"];
  if (code === "VALIDATION" && action === "walkIn") return errors.WALK_IN_NAME;
  return Object.prototype.hasOwnProperty.call(errors, code) ? errors[code] : errors.INTERNAL;
}

/**
 * The code of a GraphQL response's first error, or null; an error without a
 * code (masked, or a query the schema refuses) counts as INTERNAL.
 */
export function errorCode(body) {
  const first = body && Array.isArray(body.errors) ? body.errors[0] : undefined;
  if (!first) return null;
  const code = first.extensions && first.extensions.code;
  return typeof code === "string" ? code : "INTERNAL";
}

/** Whether a code means the session is over (back to the sign-in form). */
export function isSessionError(code) {
  return code === "UNAUTHENTICATED";
}

/**
 * A walk-in's name as the API will store it (blanks collapsed, trimmed), or
 * null when the API would refuse it; checked before sending so the merchant
 * gets the sentence at once.
 */
export function cleanWalkInName(raw) {
  const name = String(raw == null ? "" : raw).replace(/\s+/g, " ").trim();
  return name && name.length <= WALK_IN_NAME_MAX ? name : null;
}

/** "14:05" in the page's language; timeZone is for tests (the browser's own otherwise). */
export function formatTime(value, lang, timeZone) {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return null;
  return date.toLocaleTimeString(lang === "en" ? "en-GB" : "fr-FR", { hour: "2-digit", minute: "2-digit", timeZone });
}

/** Whole minutes of a number of seconds (what the counter shows). */
const minutesOf = (seconds) => Math.floor(Math.max(0, seconds) / 60);

/**
 * The state of a queue and which controls apply: open / pause / resume /
 * close, and call next (only open, not paused, with someone waiting).
 */
export function describeQueue(queue, lang) {
  const t = texts(lang);
  const active = !!queue.isQueueActive;
  const paused = active && !!queue.isQueuePaused;
  const waiting = queue.waitingCount || 0;
  return {
    state: !active ? "closed" : paused ? "paused" : "open",
    stateLabel: !active ? t.stateClosed : paused ? t.statePaused : t.stateOpen,
    waitingLabel: t.waitingCount(waiting),
    capacityLabel: t.capacity(waiting, queue.maxQueueSize),
    canOpen: !active,
    canPause: active && !paused,
    canResume: paused,
    canClose: active,
    canCallNext: active && !paused && waiting > 0,
    canAddWalkIn: active && !paused && waiting < queue.maxQueueSize,
  };
}

/**
 * One row of the counter's list. `elapsed`: seconds since the list was
 * fetched (waiting customers keep waiting between two fetches); `serverNow`:
 * the server's clock in ms (deadlines are the server's times).
 */
export function describeEntry(entry, lang, options) {
  const t = texts(lang);
  const opts = options || {};
  const elapsed = entry.status === "waiting" ? Math.max(0, opts.elapsed || 0) : 0;
  const waitedMinutes = minutesOf((entry.waitedSeconds || 0) + elapsed);
  const quoted = entry.quotedWaitMinutes || 0;
  const view = {
    id: entry.rowId,
    status: entry.status,
    ticket: t.ticket(entry.ticketNumber),
    ticketNumber: entry.ticketNumber,
    name: entry.clientName || t.noName,
    phone: entry.maskedPhone || t.noPhone,
    walkIn: entry.isWalkIn ? t.walkIn : "",
    waited: t.minutes(waitedMinutes),
    waitedLine: entry.status === "waiting" ? t.waitedFor(t.minutes(waitedMinutes)) : t.waitedBeforeCall(t.minutes(waitedMinutes)),
    quoted: t.quoted(quoted),
    quotedShort: t.minutes(quoted),
    lateMinutes: Math.max(0, waitedMinutes - quoted),
    late: waitedMinutes > quoted ? t.late(waitedMinutes - quoted) : "",
    lateShort: waitedMinutes > quoted ? `+${waitedMinutes - quoted} min` : "",
    deadline: "",
    remaining: "",
    overdue: false,
    moreTime: entry.moreTimeRequestedAt ? t.moreTime : "",
  };
  if (entry.status === "called" && entry.callExpiresAt) {
    const due = new Date(entry.callExpiresAt).getTime();
    const now = typeof opts.serverNow === "number" ? opts.serverNow : Date.now();
    view.deadline = t.deadline(formatTime(entry.callExpiresAt, lang, opts.timeZone));
    view.overdue = due <= now;
    view.remaining = view.overdue ? t.overdue : t.remaining(t.minutes(Math.ceil((due - now) / 60000)));
  }
  return view;
}

/** The called entries (in call order) and the waiting ones (in join order), as activeEntries gives them. */
export function splitEntries(entries) {
  const list = entries || [];
  return {
    called: list.filter((e) => e.status === "called"),
    waiting: list.filter((e) => e.status === "waiting"),
  };
}

/**
 * The called customer the S and M shortcuts act on: the one called last
 * (the desk has just called them; an earlier one who never came is left to
 * their timeout or a click).
 */
export function currentCalled(entries) {
  const called = splitEntries(entries).called;
  let current = null;
  for (const entry of called) {
    if (!current || new Date(entry.calledAt).getTime() >= new Date(current.calledAt).getTime()) current = entry;
  }
  return current;
}

/** What the TV shows: the last ticket called, large, or a placeholder. */
export function describeTv(queue, lang) {
  const t = texts(lang);
  const last = queue && queue.lastCalledEntry;
  return {
    ticket: last ? String(last.ticketNumber) : "–",
    label: last ? t.lastCalled : t.nobodyCalled,
    prompt: last && last.status === "called" ? t.tvPrompt : "",
    announcement: last ? t.ticketLong(last.ticketNumber) : "",
  };
}

const FIELD_TAGS = { INPUT: true, TEXTAREA: true, SELECT: true };

/**
 * The action of a key press, or null: N call next, S served, M missed (the
 * current called customer), A add a walk-in (focus its name), T TV mode,
 * Escape leave TV mode. Nothing while typing in a field or with a modifier
 * (the browser's own shortcuts stay), nor on a key held down.
 */
export function shortcutFor(event) {
  if (!event || event.ctrlKey || event.altKey || event.metaKey || event.repeat) return null;
  const target = event.target || {};
  if (target.isContentEditable || FIELD_TAGS[String(target.tagName || "").toUpperCase()]) return null;
  switch (String(event.key || "").toLowerCase()) {
    case "n":
      return "callNext";
    case "s":
      return "served";
    case "m":
      return "missed";
    case "a":
      return "walkIn";
    case "t":
      return "tv";
    case "escape":
      return "tvOff";
    default:
      return null;
  }
}

/**
 * The businesses and queues for the picker, sorted by name, and the choice
 * to open: the remembered one if it is still there, else the only queue
 * there is, else none.
 */
export function pickerModel(businesses, remembered) {
  const byName = (a, b) => String(a.name).localeCompare(String(b.name));
  const list = (businesses || [])
    .map((b) => ({
      id: b.rowId,
      name: b.name,
      language: b.language,
      queues: ((b.queues && b.queues.nodes) || []).map((q) => ({ id: q.rowId, name: q.name })).sort(byName),
    }))
    .sort(byName);
  const all = [];
  for (const b of list) for (const q of b.queues) all.push({ businessId: b.id, queueId: q.id });
  let choice = null;
  if (remembered) {
    choice = all.filter((c) => c.queueId === remembered.queueId && c.businessId === remembered.businessId)[0] || null;
  }
  if (!choice && all.length === 1) choice = all[0];
  return { businesses: list, choice };
}
