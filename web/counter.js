// The counter screen (/counter), the browser part: signing in, choosing a
// queue, showing its list and running it (open, pause, resume, close, call
// next, served, missed, walk-ins), keyboard shortcuts and the TV mode. What
// to show is decided in counter-view.js; this file only talks to the DOM,
// the storage of this tab and the network. Text goes in with textContent
// only: nothing from the server is ever parsed as HTML.
//
// Live: the queueChanged subscription (web/live.js) says when the queue
// changed, and the page fetches it again then and on every (re)connection;
// polling stays as the fallback, slow while the feed is up, brisk while it is
// down.
//
// The session token lives in sessionStorage (this tab, until it closes or
// the merchant signs out) and travels only in the Authorization header:
// never in a URL, never in localStorage or a cookie.
/* global window */
import {
  AUTHENTICATE_MUTATION,
  BUSINESSES_QUERY,
  ENTRY_FIELDS_QUERY,
  MUTATIONS,
  QUEUE_CHANGED_SUBSCRIPTION,
  STORAGE_KEYS,
  cleanWalkInName,
  currentCalled,
  describeEntry,
  describeError,
  describeQueue,
  describeTv,
  errorCode,
  formatTime,
  isSessionError,
  pickLanguage,
  pickerModel,
  queueQuery,
  shortcutFor,
  splitEntries,
  texts,
} from "./counter-view.js";
import { graphql as postGraphql } from "./api.js";
import { sessionKeeper } from "./session.js";
import { subscribe } from "./live.js";

/** Re-fetch the list this often while the live feed is down (or unavailable)… */
const POLL_MS = 5000;
/** …and this often while it is up, in case a message was lost. */
const POLL_LIVE_MS = 30000;
/** Re-draw the times (waited, time left) this often between fetches. */
const TICK_MS = 5000;

const el = (id) => document.getElementById(id);

const state = {
  lang: pickLanguage(null, navigator.language),
  token: readStorage(STORAGE_KEYS.token),
  model: null,
  choice: null,
  queue: null,
  /** performance.now() when `queue` was fetched: waiting customers keep waiting after it. */
  fetchedAt: 0,
  /** The server's clock minus ours, in ms (from the Date header): deadlines are the server's. */
  clockOffset: 0,
  /** Does the API have QueueEntry.moreTimeRequestedAt? Asked once per sign-in. */
  moreTime: null,
  tv: false,
  busy: false,
  pollTimer: null,
  inflight: null,
  again: false,
  /** unsubscribe() of the live feed of the open queue, and whether it is connected. */
  unsubscribe: null,
  live: false,
};

function readStorage(key) {
  try {
    return window.sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

function writeStorage(key, value) {
  try {
    if (value == null) window.sessionStorage.removeItem(key);
    else window.sessionStorage.setItem(key, value);
  } catch {
    // Storage refused (private mode…): the session lives in memory only.
  }
}

// ------------------------------------------------------------------ network

/** POSTs an operation (with the token when signed in); resolves to the body, or to a coded error. */
function graphql(query, variables, options) {
  const anonymous = options && options.anonymous;
  return postGraphql(query, variables, {
    token: anonymous ? null : state.token,
    onResponse(response) {
      const date = Date.parse(response.headers.get("date") || "");
      if (!Number.isNaN(date)) state.clockOffset = date - Date.now();
    },
  });
}

// ------------------------------------------------------------------ session

/**
 * Renews the token before it expires (web/session.js), so a counter stays
 * signed in for the working day. The live feed is opened again with the new
 * token: the server closes a socket when the token it was opened with expires.
 */
const keeper = sessionKeeper({
  token: () => state.token,
  request: (query) => graphql(query, {}),
  serverNow: () => Date.now() + state.clockOffset,
  onRenewed(renewed) {
    state.token = renewed;
    writeStorage(STORAGE_KEYS.token, renewed);
    if (state.choice && state.unsubscribe) startLive();
  },
});

// ------------------------------------------------------------------ texts

/** Fills every [data-t] element with the text of the current language ("a.b" reads a nested key). */
function applyTexts() {
  const t = texts(state.lang);
  document.documentElement.lang = state.lang;
  for (const node of document.querySelectorAll("[data-t]")) {
    const value = node.getAttribute("data-t").split(".").reduce((o, k) => (o ? o[k] : undefined), t);
    if (typeof value === "string") node.textContent = value;
  }
  el("tv-toggle").textContent = state.tv ? t.tvOff : t.tvOn;
  const list = el("shortcut-list");
  list.textContent = "";
  for (const pair of t.shortcuts) {
    const dt = document.createElement("dt");
    const kbd = document.createElement("kbd");
    kbd.textContent = pair[0];
    dt.appendChild(kbd);
    const dd = document.createElement("dd");
    dd.textContent = pair[1];
    list.appendChild(dt);
    list.appendChild(dd);
  }
}

function setText(id, text) {
  const node = el(id);
  node.textContent = text || "";
  node.hidden = !text;
}

/** A problem the merchant must see (role=alert); empty clears it. */
function showNotice(text) {
  setText("notice", text);
}

/** What just happened (role=status, read politely). */
function showStatus(text) {
  el("status").textContent = text || "";
}

// ------------------------------------------------------------------ poster

/**
 * The A4 poster of the open queue (GET /queues/<id>/poster.pdf): fetched with
 * the token in the Authorization header — a link could not carry it, and the
 * token must never be in a URL — then handed to the browser as a download.
 */
async function downloadPoster() {
  if (!state.choice || !state.token) return;
  let response;
  try {
    response = await fetch(`/queues/${encodeURIComponent(state.choice.queueId)}/poster.pdf`, {
      headers: { authorization: `Bearer ${state.token}` },
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer",
    });
  } catch {
    return showNotice(describeError("NETWORK", state.lang));
  }
  if (!response.ok) {
    let code = response.status === 401 ? "UNAUTHENTICATED" : response.status === 404 ? "NOT_FOUND" : "INTERNAL";
    try {
      code = (await response.json()).errors[0].extensions.code || code;
    } catch {
      // Not our JSON (a proxy's page): the status said enough.
    }
    if (isSessionError(code)) return signOut(describeError(code, state.lang));
    return showNotice(describeError(code, state.lang));
  }
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = "waitify-qr-poster.pdf";
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// ------------------------------------------------------------------ screens

function showScreen(name) {
  el("signin").hidden = name !== "signin";
  el("picker").hidden = name !== "picker";
  el("counter").hidden = name !== "counter" || state.tv;
  el("tv").hidden = name !== "counter" || !state.tv;
  const signedIn = name !== "signin";
  el("sign-out").hidden = !signedIn;
  el("change-queue").hidden = name !== "counter";
  el("tv-toggle").hidden = name !== "counter";
  el("poster").hidden = name !== "counter";
  el("where").hidden = name !== "counter";
  el("live").hidden = name !== "counter";
  document.body.classList.toggle("tv-mode", name === "counter" && state.tv);
}

function showSignIn(message) {
  stopPolling();
  stopLive();
  state.queue = null;
  showScreen("signin");
  setText("signin-error", message || "");
  el("email").focus();
}

function signOut(message) {
  keeper.stop();
  state.token = null;
  state.model = null;
  state.choice = null;
  state.moreTime = null;
  state.tv = false;
  writeStorage(STORAGE_KEYS.token, null);
  writeStorage(STORAGE_KEYS.choice, null);
  showNotice("");
  showStatus(message ? "" : texts(state.lang).signedOut);
  el("password").value = "";
  showSignIn(message);
}

/** A failed request: back to sign-in when the session is over, else the sentence. */
function handleError(code, action) {
  if (isSessionError(code)) {
    signOut(describeError(code, state.lang));
    return;
  }
  showNotice(describeError(code, state.lang, action));
}

async function signIn(event) {
  event.preventDefault();
  const email = el("email").value.trim();
  const password = el("password").value;
  const t = texts(state.lang);
  if (!email || !password) {
    setText("signin-error", describeError("INVALID_CREDENTIALS", state.lang));
    return;
  }
  const button = el("signin-submit");
  button.disabled = true;
  button.textContent = t.signingIn;
  const body = await graphql(AUTHENTICATE_MUTATION, { email, password }, { anonymous: true });
  button.disabled = false;
  button.textContent = t.signIn;
  const token = body && body.data && body.data.authenticate ? body.data.authenticate.jwtToken : null;
  const code = errorCode(body) || (token ? null : "INVALID_CREDENTIALS");
  if (code) {
    setText("signin-error", describeError(code, state.lang));
    el("password").select();
    return;
  }
  state.token = token;
  writeStorage(STORAGE_KEYS.token, token);
  keeper.schedule();
  el("password").value = "";
  setText("signin-error", "");
  showStatus("");
  await loadBusinesses();
}

async function loadBusinesses() {
  const body = await graphql(BUSINESSES_QUERY, {});
  const code = errorCode(body);
  if (code) {
    // Back to sign-in, token forgotten, with the reason. An account whose
    // schema has no businesses (the back office) cannot run a counter.
    signOut(describeError(code === "INTERNAL" ? "FORBIDDEN" : code, state.lang));
    return;
  }
  const remembered = rememberedChoice();
  const nodes = body.data && body.data.myBusinesses ? body.data.myBusinesses.nodes : [];
  state.model = pickerModel(nodes, remembered);
  if (state.model.choice) {
    await openCounter(state.model.choice);
  } else {
    showPicker(remembered);
  }
}

/** The queue this tab ran last ({ businessId, queueId }), or null. */
function rememberedChoice() {
  try {
    return JSON.parse(readStorage(STORAGE_KEYS.choice) || "null");
  } catch {
    return null;
  }
}

function option(value, label) {
  const node = document.createElement("option");
  node.value = value;
  node.textContent = label;
  return node;
}

function fillQueues(businessId, queueId) {
  const select = el("queue-select");
  select.textContent = "";
  const business = state.model.businesses.filter((b) => b.id === businessId)[0];
  for (const q of business ? business.queues : []) select.appendChild(option(q.id, q.name));
  if (queueId) select.value = queueId;
}

function showPicker(preferred) {
  stopPolling();
  stopLive();
  const businesses = state.model ? state.model.businesses : [];
  if (businesses.length === 1) state.lang = pickLanguage(businesses[0].language, navigator.language);
  const t = texts(state.lang);
  applyTexts();
  const select = el("business-select");
  select.textContent = "";
  for (const b of businesses) select.appendChild(option(b.id, b.name));
  const first = preferred && businesses.some((b) => b.id === preferred.businessId) ? preferred.businessId : businesses.length ? businesses[0].id : "";
  select.value = first;
  fillQueues(first, preferred ? preferred.queueId : null);
  const empty = businesses.length === 0;
  setText("picker-empty", empty ? t.noBusiness : "");
  el("picker-submit").disabled = empty;
  showScreen("picker");
  select.focus();
}

async function openCounter(choice) {
  state.choice = choice;
  writeStorage(STORAGE_KEYS.choice, JSON.stringify(choice));
  const business = state.model.businesses.filter((b) => b.id === choice.businessId)[0];
  state.lang = pickLanguage(business ? business.language : null, navigator.language);
  applyTexts();
  state.queue = null;
  showNotice("");
  showScreen("counter");
  if (state.moreTime === null) state.moreTime = await detectMoreTime();
  await refresh();
  if (state.choice === choice && state.token) startLive();
  el("call-next").focus();
}

/** Whether the API already has QueueEntry.moreTimeRequestedAt ("I need 5 more minutes"). */
async function detectMoreTime() {
  const body = await graphql(ENTRY_FIELDS_QUERY, {});
  const type = body && body.data ? body.data.__type : null;
  return !!(type && type.fields && type.fields.some((f) => f.name === "moreTimeRequestedAt"));
}

// ------------------------------------------------------------------ the list

function stopPolling() {
  if (state.pollTimer) clearTimeout(state.pollTimer);
  state.pollTimer = null;
}

function schedule() {
  stopPolling();
  if (state.choice && state.token) state.pollTimer = setTimeout(() => void refresh(), state.live ? POLL_LIVE_MS : POLL_MS);
}

/** Says whether the list follows the queue live or by polling. */
function showLive() {
  const node = el("live");
  const t = texts(state.lang);
  node.textContent = state.live ? t.liveOn : t.liveOff;
  node.className = `live ${state.live ? "live-on" : "live-off"}`;
}

function stopLive() {
  if (state.unsubscribe) state.unsubscribe();
  state.unsubscribe = null;
  state.live = false;
}

/** Follows the open queue's changes: every message, and every (re)connection, fetches it again. */
function startLive() {
  stopLive();
  const queueId = state.choice.queueId;
  state.unsubscribe = subscribe({
    query: QUEUE_CHANGED_SUBSCRIPTION,
    variables: { id: queueId },
    token: state.token,
    onConnected: () => {
      state.live = true;
      showLive();
      void refresh();
    },
    onData: () => void refresh(),
    onError: (code) => {
      state.live = false;
      showLive();
      if (isSessionError(code)) {
        signOut(describeError(code, state.lang));
      } else if (code === "NOT_FOUND") {
        // The queue is gone or no longer ours: the next fetch says so.
        void refresh();
      }
      // NETWORK, SUBSCRIPTION_INTERRUPTED: live.js subscribes again by
      // itself; meanwhile the polling is brisk.
      schedule();
    },
  });
}

/** Fetches the queue and redraws; one request at a time, one more if asked meanwhile. */
function refresh() {
  if (!state.choice || !state.token) return Promise.resolve();
  if (state.inflight) {
    state.again = true;
    return state.inflight;
  }
  state.inflight = load()
    .catch(() => showNotice(describeError("INTERNAL", state.lang)))
    .finally(() => {
      state.inflight = null;
      if (state.again) {
        state.again = false;
        void refresh();
      } else {
        schedule();
      }
    });
  return state.inflight;
}

async function load() {
  const choice = state.choice;
  const body = await graphql(queueQuery(state.moreTime), { id: choice.queueId });
  if (choice !== state.choice) return;
  const code = errorCode(body);
  if (code) {
    if (isSessionError(code)) return signOut(describeError(code, state.lang));
    // Keep what is shown; say why it may be stale.
    showNotice(code === "NETWORK" ? texts(state.lang).offline : describeError(code, state.lang));
    return;
  }
  const queue = body.data ? body.data.queueByRowId : null;
  if (!queue) {
    // Deleted, or no longer this account's: choose again.
    writeStorage(STORAGE_KEYS.choice, null);
    state.choice = null;
    showPicker(null);
    showNotice(describeError("NOT_FOUND", state.lang));
    return;
  }
  state.queue = queue;
  state.fetchedAt = performance.now();
  state.lang = pickLanguage(queue.business ? queue.business.language : null, navigator.language);
  if (el("notice").textContent === texts(state.lang).offline) showNotice("");
  render();
}

/** Redraws from state.queue, keeping the focus on the same control if it is redrawn. */
function render() {
  const queue = state.queue;
  if (!queue) return;
  const focused = document.activeElement;
  const focusKey = focused && focused.dataset ? focused.dataset.focusKey : null;

  applyTexts();
  const t = texts(state.lang);
  const view = describeQueue(queue, state.lang);
  const businessName = queue.business ? queue.business.name : "";
  document.title = `${businessName} – ${queue.name} – Waitify`;
  setText("where", `${businessName} · ${queue.name}`);

  // The last ticket called, large.
  const tv = describeTv(queue, state.lang);
  el("now-label").textContent = tv.label;
  showTicket(el("now-ticket"), tv);
  el("now-prompt").textContent = queue.lastCalledEntry && queue.lastCalledEntry.clientName ? queue.lastCalledEntry.clientName : "";
  el("now-waiting").textContent = view.waitingLabel;
  el("tv-business").textContent = businessName;
  el("tv-label").textContent = tv.label;
  showTicket(el("tv-ticket"), tv);
  el("tv-prompt").textContent = tv.prompt;
  el("tv-waiting").textContent = view.waitingLabel;

  // The queue's state and its controls.
  const stateNode = el("queue-state");
  stateNode.textContent = view.stateLabel;
  stateNode.className = `state state-${view.state}`;
  el("queue-counts").textContent = view.capacityLabel;
  el("open-queue").hidden = !view.canOpen;
  el("pause-queue").hidden = !view.canPause;
  el("resume-queue").hidden = !view.canResume;
  el("close-queue").hidden = !view.canClose;
  el("call-next").disabled = state.busy || !view.canCallNext;
  el("walk-in-submit").disabled = state.busy || !view.canAddWalkIn;

  const entries = queue.activeEntries ? queue.activeEntries.nodes : [];
  const parts = splitEntries(entries);
  const current = currentCalled(entries);
  const options = { elapsed: (performance.now() - state.fetchedAt) / 1000, serverNow: Date.now() + state.clockOffset };

  // Called customers: one card each, with their buttons.
  const calledList = el("called-list");
  calledList.textContent = "";
  for (const entry of parts.called) {
    const row = describeEntry(entry, state.lang, options);
    calledList.appendChild(calledCard(row, current && current.rowId === entry.rowId, t));
  }
  el("called-empty").hidden = parts.called.length > 0;

  // Waiting customers: a table.
  const rows = el("waiting-rows");
  rows.textContent = "";
  parts.waiting.forEach((entry, index) => {
    const row = describeEntry(entry, state.lang, options);
    const tr = document.createElement("tr");
    tr.dataset.entryId = row.id;
    const cells = [String(index + 1), row.ticket, row.name, row.phone, row.waited, row.quotedShort];
    cells.forEach((text, i) => {
      const td = document.createElement(i === 1 ? "th" : "td");
      if (i === 1) td.scope = "row";
      if (i !== 2) td.className = "nowrap";
      td.textContent = text;
      if (i === 2 && row.walkIn) td.appendChild(badge(row.walkIn, "badge-walk-in"));
      if (i === 4 && row.late) td.appendChild(badge(row.lateShort, "badge-late", row.late));
      tr.appendChild(td);
    });
    rows.appendChild(tr);
  });
  el("waiting-table").hidden = parts.waiting.length === 0;
  el("waiting-empty").hidden = parts.waiting.length > 0;

  const time = formatTime(Date.now(), state.lang);
  el("updated").textContent = time ? t.updatedAt(time) : "";
  showLive();

  if (focusKey) {
    const again = document.querySelector(`[data-focus-key="${focusKey}"]`);
    if (again && again !== document.activeElement) again.focus();
  }
}

/**
 * The last ticket called, in a live region: the number large for the eyes,
 * "Ticket n° 12" for screen readers. Rewritten only when it changes, so a
 * redraw does not announce it again.
 */
function showTicket(node, tv) {
  const key = `${state.lang}:${tv.ticket}`;
  if (node.dataset.shown === key) return;
  node.dataset.shown = key;
  node.textContent = "";
  const shown = document.createElement("span");
  shown.className = "ticket-number";
  shown.setAttribute("aria-hidden", "true");
  shown.textContent = tv.ticket;
  const said = document.createElement("span");
  said.className = "visually-hidden";
  said.textContent = tv.announcement || tv.label;
  node.appendChild(shown);
  node.appendChild(said);
}

/** A small label after a text (a space first, so it reads as a separate word); `spoken` replaces a terse `text` for screen readers. */
function badge(text, className, spoken) {
  const fragment = document.createDocumentFragment();
  fragment.appendChild(document.createTextNode(" "));
  const span = document.createElement("span");
  span.className = `badge ${className}`;
  if (spoken) {
    const shown = document.createElement("span");
    shown.setAttribute("aria-hidden", "true");
    shown.textContent = text;
    const said = document.createElement("span");
    said.className = "visually-hidden";
    said.textContent = spoken;
    span.appendChild(shown);
    span.appendChild(said);
  } else {
    span.textContent = text;
  }
  fragment.appendChild(span);
  return fragment;
}

function actionButton(label, className, action, id, key) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = className;
  button.textContent = label;
  button.dataset.action = action;
  button.dataset.entryId = id;
  button.dataset.focusKey = `${action}:${id}`;
  button.disabled = state.busy;
  if (key) {
    const kbd = document.createElement("kbd");
    kbd.textContent = key;
    button.appendChild(document.createTextNode(" "));
    button.appendChild(kbd);
  }
  return button;
}

function calledCard(row, isCurrent, t) {
  const li = document.createElement("li");
  li.className = `called-card${isCurrent ? " current" : ""}${row.overdue ? " overdue" : ""}`;
  li.dataset.entryId = row.id;
  const head = document.createElement("p");
  head.className = "called-head";
  const ticket = document.createElement("span");
  ticket.className = "called-ticket";
  ticket.textContent = row.ticket;
  const name = document.createElement("span");
  name.className = "called-name";
  name.textContent = row.name;
  head.appendChild(ticket);
  head.appendChild(name);
  if (row.walkIn) head.appendChild(badge(row.walkIn, "badge-walk-in"));
  if (isCurrent) head.appendChild(badge(t.current, "badge-current"));
  li.appendChild(head);
  const details = document.createElement("p");
  details.className = "called-details";
  details.textContent = [row.phone, row.waitedLine, row.deadline, row.remaining].filter(Boolean).join(" · ");
  li.appendChild(details);
  if (row.moreTime) {
    const more = document.createElement("p");
    more.className = "called-more-time";
    more.textContent = row.moreTime;
    li.appendChild(more);
  }
  const buttons = document.createElement("div");
  buttons.className = "buttons";
  buttons.appendChild(actionButton(t.served, "success", "served", row.id, isCurrent ? "S" : ""));
  buttons.appendChild(actionButton(t.missed, "warning", "missed", row.id, isCurrent ? "M" : ""));
  li.appendChild(buttons);
  return li;
}

// ------------------------------------------------------------------ actions

/** Runs one mutation at a time; the list is fetched again after it, whatever happened. */
async function act(action, id, extra) {
  if (state.busy || !state.queue) return null;
  state.busy = true;
  render();
  showNotice("");
  let result = null;
  try {
    const body = await graphql(MUTATIONS[action], Object.assign({ id }, extra || {}));
    const code = errorCode(body);
    if (code) {
      handleError(code, action);
    } else {
      const data = body.data || {};
      const key = Object.keys(data)[0];
      result = { value: data[key] ? data[key].result : null };
    }
  } finally {
    state.busy = false;
  }
  if (state.token) await refresh();
  return result;
}

async function callNext() {
  const t = texts(state.lang);
  const view = state.queue ? describeQueue(state.queue, state.lang) : null;
  if (view && view.state === "open" && !view.canCallNext) {
    showStatus(t.nobodyWaiting);
    return;
  }
  const result = await act("callNext", state.choice.queueId);
  if (!result) return;
  if (!result.value) showStatus(t.nobodyWaiting);
  else showStatus(result.value.clientName ? t.calledName(result.value.ticketNumber, result.value.clientName) : t.called(result.value.ticketNumber));
}

async function finish(action, entryId) {
  const t = texts(state.lang);
  const result = await act(action, entryId);
  if (result && result.value) {
    showStatus(action === "served" ? t.markedServed(result.value.ticketNumber) : t.markedMissed(result.value.ticketNumber));
  }
}

/** S / M: the customer called last. */
function finishCurrent(action) {
  const entries = state.queue && state.queue.activeEntries ? state.queue.activeEntries.nodes : [];
  const current = currentCalled(entries);
  if (!current) {
    showStatus(texts(state.lang).noCalled);
    return;
  }
  void finish(action, current.rowId);
}

async function addWalkIn(event) {
  event.preventDefault();
  const input = el("walk-in-name");
  const name = cleanWalkInName(input.value);
  if (!name) {
    setText("walk-in-error", describeError("VALIDATION", state.lang, "walkIn"));
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  setText("walk-in-error", "");
  input.removeAttribute("aria-invalid");
  const result = await act("walkIn", state.choice.queueId, { name });
  if (result && result.value) {
    input.value = "";
    showStatus(texts(state.lang).walkInAdded(result.value.ticketNumber, result.value.clientName));
  }
}

async function setQueueState(action) {
  if (action === "close" && !window.confirm(texts(state.lang).closeConfirm)) return;
  await act(action, state.choice.queueId);
}

function setTv(on) {
  state.tv = on;
  showScreen("counter");
  applyTexts();
  render();
  (on ? el("tv-exit") : el("tv-toggle")).focus();
}

function onKey(event) {
  if (el("counter").hidden && el("tv").hidden) return;
  const action = shortcutFor(event);
  if (!action) return;
  if (state.tv && action !== "tvOff" && action !== "tv") return;
  event.preventDefault();
  switch (action) {
    case "callNext":
      void callNext();
      break;
    case "served":
    case "missed":
      finishCurrent(action);
      break;
    case "walkIn":
      el("walk-in-name").focus();
      break;
    case "tv":
      setTv(!state.tv);
      break;
    case "tvOff":
      if (state.tv) setTv(false);
      break;
  }
}

// ------------------------------------------------------------------ start

function start() {
  applyTexts();
  el("signin-form").addEventListener("submit", (event) => void signIn(event));
  el("business-select").addEventListener("change", () => fillQueues(el("business-select").value, null));
  el("picker-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const businessId = el("business-select").value;
    const queueId = el("queue-select").value;
    if (businessId && queueId) void openCounter({ businessId, queueId });
  });
  el("sign-out").addEventListener("click", () => signOut(null));
  el("change-queue").addEventListener("click", () => {
    state.tv = false;
    showPicker(state.choice);
  });
  el("tv-toggle").addEventListener("click", () => setTv(!state.tv));
  el("poster").addEventListener("click", () => void downloadPoster());
  el("tv-exit").addEventListener("click", () => setTv(false));
  el("call-next").addEventListener("click", () => void callNext());
  el("open-queue").addEventListener("click", () => void setQueueState("open"));
  el("pause-queue").addEventListener("click", () => void setQueueState("pause"));
  el("resume-queue").addEventListener("click", () => void setQueueState("resume"));
  el("close-queue").addEventListener("click", () => void setQueueState("close"));
  el("called-list").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (button && !button.disabled) void finish(button.dataset.action, button.dataset.entryId);
  });
  el("walk-in-form").addEventListener("submit", (event) => void addWalkIn(event));
  document.addEventListener("keydown", onKey);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") void refresh();
  });
  // Times move on between fetches (waited, time left before the deadline).
  setInterval(() => {
    if (state.queue && !el("counter").hidden) render();
    else if (state.queue && state.tv) render();
  }, TICK_MS);

  if (state.token) {
    keeper.schedule();
    void loadBusinesses();
  } else showSignIn("");
}

start();
