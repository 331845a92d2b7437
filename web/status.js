// The customer's status page (/e/<entry token>), the browser part: reads the
// token from the address, follows the entry live through the entryChanged
// subscription (web/live.js) — with a slow poll of entryStatus as the fallback
// for networks where websockets fail — and lets the customer ask for more
// time once while called, or leave the queue. What to show is decided in
// status-view.js; this file only talks to the DOM and the network. Text goes
// in with textContent only: nothing from the server or the URL is ever parsed
// as HTML.
import { graphql } from "./api.js";
import { readLanguageChoice } from "./language-choice.js";
import { subscribe } from "./live.js";
import {
  CANCEL_ENTRY_MUTATION,
  ENTRY_CHANGED_SUBSCRIPTION,
  ENTRY_STATUS_QUERY,
  REQUEST_MORE_TIME_MUTATION,
  describeEntry,
  describeError,
  describeMoreTimeError,
  errorCode,
  pageTitle,
  pickLanguage,
  texts,
  tokenFromPath,
} from "./status-view.js";

// The fallback only: live updates arrive within a second through the
// subscription; this poll covers a socket that silently stopped delivering.
const FALLBACK_REFRESH_MS = 30000;

const el = (id) => document.getElementById(id);
const card = el("card");
const cancelButton = el("cancel");
const moreTimeButton = el("more-time");

const token = tokenFromPath(location.pathname);
const chosen = readLanguageChoice();
let lang = pickLanguage(null, navigator.language, chosen);
let timer = null;
let stopped = false;
let unsubscribe = null;
/** The status request under way, if any (one at a time). */
let inflight = null;
/** The status last shown: a change to "called" is worth a buzz. */
let shownStatus = null;

function setText(id, text) {
  const node = el(id);
  node.textContent = text || "";
  node.hidden = !text;
}

function showNotice(text) {
  setText("notice", text);
}

function render(view) {
  document.documentElement.lang = view.lang;
  document.title = pageTitle(view);
  card.className = `card tone-${view.tone}`;
  setText("business", view.business);
  setText("queue", view.queue);
  setText("ticket", view.ticket);
  el("headline").textContent = view.headline;
  const lines = el("lines");
  lines.textContent = "";
  for (const line of view.lines) {
    const p = document.createElement("p");
    p.textContent = line;
    lines.appendChild(p);
  }
  setText("custom-message", view.customMessage);
  moreTimeButton.textContent = view.moreTimeLabel || "";
  moreTimeButton.hidden = !view.showMoreTime;
  moreTimeButton.disabled = false;
  cancelButton.textContent = texts(view.lang).cancelButton;
  cancelButton.hidden = !view.showCancel;
  cancelButton.disabled = false;
}

/** Shows an entry as the server sent it (query, subscription or mutation). */
function showEntry(entry) {
  lang = pickLanguage(entry.language, navigator.language, chosen);
  const view = describeEntry(entry, lang);
  render(view);
  showNotice("");
  // Called just now: a phone in a pocket buzzes (where the browser allows it).
  if (entry.status === "called" && shownStatus && shownStatus !== "called" && typeof navigator.vibrate === "function") {
    navigator.vibrate([300, 150, 300]);
  }
  shownStatus = entry.status;
  if (view.final) stop();
}

/** A dead link (unknown token): only the sentence stays, nothing refreshes. */
function showFinalError(view) {
  render({ ...view, showCancel: false, showMoreTime: false });
  showNotice("");
  stop();
}

function stop() {
  stopped = true;
  if (timer) clearTimeout(timer);
  timer = null;
  if (unsubscribe) unsubscribe();
  unsubscribe = null;
}

function schedule() {
  if (stopped) return;
  if (timer) clearTimeout(timer);
  timer = setTimeout(refresh, FALLBACK_REFRESH_MS);
}

function refresh() {
  if (stopped) return Promise.resolve();
  if (inflight) return inflight;
  inflight = load()
    .catch(() => showNotice(describeError("INTERNAL", lang).lines[0]))
    .finally(() => {
      inflight = null;
      schedule();
    });
  return inflight;
}

async function load() {
  const body = await graphql(ENTRY_STATUS_QUERY, { t: token });
  const entry = body && body.data ? body.data.entryStatus : null;
  const code = errorCode(body) || (entry ? null : "NOT_FOUND");
  if (code) {
    const view = describeError(code, lang);
    // A passing failure keeps what is shown and says why it is not fresh.
    if (view.final) showFinalError(view);
    else showNotice(view.lines[0]);
    return;
  }
  showEntry(entry);
}

function goLive() {
  unsubscribe = subscribe({
    query: ENTRY_CHANGED_SUBSCRIPTION,
    variables: { t: token },
    token: null,
    onData(data) {
      if (stopped || !data || !data.entryChanged) return;
      showEntry(data.entryChanged);
      // Fresh news just arrived: the fallback poll can wait its full delay.
      schedule();
    },
    onConnected() {
      // (Re)connected: whatever changed while the socket was down is read now.
      void refresh();
    },
    onError(code) {
      if (stopped) return;
      const view = describeError(code, lang);
      if (view.final) showFinalError(view);
      // Otherwise live.js resubscribes by itself, and the poll goes on.
    },
  });
}

async function leaveQueue() {
  if (!confirm(texts(lang).cancelConfirm)) return;
  cancelButton.disabled = true;
  const body = await graphql(CANCEL_ENTRY_MUTATION, { t: token });
  const code = errorCode(body);
  // Show the entry as the server now has it, whatever happened (a request
  // sent before leaving would show the old status: wait for it first)…
  if (inflight) await inflight;
  await refresh();
  // …and, if leaving failed, why (after refresh, which clears notices).
  if (code) showNotice(describeError(code, lang).lines[0]);
  cancelButton.disabled = false;
}

async function askForMoreTime() {
  moreTimeButton.disabled = true;
  const body = await graphql(REQUEST_MORE_TIME_MUTATION, { t: token });
  const code = errorCode(body);
  const entry = body && body.data && body.data.requestMoreTime ? body.data.requestMoreTime.result : null;
  if (!code && entry) return showEntry(entry);
  // Refused (asked already, or no longer called): the state as it is now,
  // then the reason, where the keyboard is.
  if (inflight) await inflight;
  await refresh();
  showNotice(describeMoreTimeError(code || "INTERNAL", lang));
  moreTimeButton.disabled = false;
  el("notice").focus();
}

if (!token) {
  showFinalError(describeError("NOT_FOUND", lang));
} else {
  cancelButton.addEventListener("click", () => void leaveQueue());
  moreTimeButton.addEventListener("click", () => void askForMoreTime());
  // A phone wakes the page up: show fresh news at once.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") void refresh();
  });
  void refresh();
  goLive();
}
