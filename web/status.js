// The customer's status page (/e/<entry token>), the browser part: reads the
// token from the address, asks the anonymous GraphQL API every 15 seconds,
// and lets the customer leave the queue. What to show is decided in
// status-view.js; this file only talks to the DOM and the network.
// Text goes in with textContent only: nothing from the server or the URL is
// ever parsed as HTML.
import {
  CANCEL_ENTRY_MUTATION,
  ENTRY_STATUS_QUERY,
  describeEntry,
  describeError,
  errorCode,
  pickLanguage,
  texts,
  tokenFromPath,
} from "./status-view.js";

const REFRESH_MS = 15000;

const el = (id) => document.getElementById(id);
const card = el("card");
const cancelButton = el("cancel");

const token = tokenFromPath(location.pathname);
let lang = pickLanguage(null, navigator.language);
let timer = null;
let stopped = false;
/** The status request under way, if any (one at a time). */
let inflight = null;

/** POSTs an operation; resolves to the response body, or to a coded error. */
async function graphql(query, variables) {
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json" },
      body: JSON.stringify({ query, variables }),
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer",
    });
  } catch {
    return { errors: [{ extensions: { code: "NETWORK" } }] };
  }
  try {
    return await response.json();
  } catch {
    // A proxy's HTML error page, a cut connection…
    return { errors: [{ extensions: { code: response.status >= 500 ? "INTERNAL" : "NETWORK" } }] };
  }
}

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
  document.title = view.business ? `${view.business} – Waitify` : `${view.title} – Waitify`;
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
  cancelButton.textContent = texts(view.lang).cancelButton;
  cancelButton.hidden = !view.showCancel;
  cancelButton.disabled = false;
}

function stop() {
  stopped = true;
  if (timer) clearTimeout(timer);
  timer = null;
}

function schedule() {
  if (stopped) return;
  if (timer) clearTimeout(timer);
  timer = setTimeout(refresh, REFRESH_MS);
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
    if (view.final) {
      render({ ...view, showCancel: false });
      showNotice("");
      stop();
    } else {
      // A passing failure: keep what is shown, say why it is not fresh.
      showNotice(view.lines[0]);
    }
    return;
  }
  lang = pickLanguage(entry.language, navigator.language);
  const view = describeEntry(entry, lang);
  render(view);
  showNotice("");
  if (view.final) stop();
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

if (!token) {
  render({ ...describeError("NOT_FOUND", lang), showCancel: false });
} else {
  cancelButton.addEventListener("click", () => void leaveQueue());
  // A phone wakes the page up: show fresh news at once.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") void refresh();
  });
  void refresh();
}
