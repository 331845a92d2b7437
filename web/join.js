// The join page (/q/<qr token>), the browser part: reads the QR token from the
// address, shows the queue's public status (refreshed every 30 s, so a paused
// queue that resumes shows its form again), lets the customer join, then
// sends them to their status page. What to show is decided in join-view.js;
// this file only talks to the DOM and the network. Text goes in with
// textContent only: nothing from the server or the URL is parsed as HTML.
import { graphql } from "./api.js";
import { readLanguageChoice, saveLanguageChoice } from "./language-choice.js";
import {
  JOIN_QUEUE_MUTATION,
  QUEUE_STATUS_QUERY,
  checkForm,
  describeJoinError,
  describeQueue,
  entryPath,
  errorCode,
  labels,
  otherLanguage,
  pickLanguage,
  texts,
  tokenFromPath,
} from "./join-view.js";

const REFRESH_MS = 30000;

const el = (id) => document.getElementById(id);
const card = el("card");
const form = el("join-form");
const phoneInput = el("phone");
const nameInput = el("name");
const submitButton = el("submit");
const switchButton = el("lang-switch");
const formError = el("form-error");

const token = tokenFromPath(location.pathname);
let chosen = readLanguageChoice();
let lang = pickLanguage(chosen, null, navigator.language);
/** The last queue status shown, re-rendered when the language changes. */
let lastStatus = null;
/** The error on screen, if any: { code } (re-rendered on a language change). */
let shownError = null;
/** The code of a dead page (no longer valid), re-rendered on a language change. */
let finalCode = null;
let timer = null;
let joining = false;

function setText(id, text) {
  const node = el(id);
  node.textContent = text || "";
  node.hidden = !text;
}

function renderLabels() {
  document.documentElement.lang = lang;
  const all = labels(lang, lastStatus ? lastStatus.phoneRetentionHours : null);
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = all[node.getAttribute("data-t")];
  if (joining) submitButton.textContent = texts(lang).submitting;
  const other = otherLanguage(lang);
  switchButton.textContent = all.switchLabel;
  switchButton.setAttribute("lang", other);
  switchButton.setAttribute("aria-label", texts(lang).switchHint);
  switchButton.hidden = false;
}

function renderQueue(view) {
  document.title = view.business ? `${view.business} – Waitify` : `${view.title} – Waitify`;
  card.className = `card tone-${view.state === "open" ? "open" : "error"}`;
  setText("business", view.business);
  setText("queue", view.queue);
  el("headline").textContent = view.title;
  const state = el("state");
  state.textContent = view.stateLabel;
  state.className = `state state-${view.state}`;
  state.hidden = false;
  const lines = el("lines");
  lines.textContent = "";
  for (const line of view.lines) {
    const p = document.createElement("p");
    p.textContent = line;
    lines.appendChild(p);
  }
  setText("custom-message", view.customMessage);
  form.hidden = !view.canJoin;
}

/** A dead code (or a path that cannot be one): only the sentence stays. */
function renderFinal(error) {
  finalCode = error.code;
  document.title = `${error.headline} – Waitify`;
  card.className = "card tone-not-found";
  setText("business", "");
  setText("queue", "");
  el("state").hidden = true;
  el("headline").textContent = error.headline;
  const lines = el("lines");
  lines.textContent = "";
  const p = document.createElement("p");
  p.textContent = error.message;
  lines.appendChild(p);
  setText("custom-message", "");
  form.hidden = true;
  stop();
}

function clearError() {
  shownError = null;
  formError.textContent = "";
  formError.hidden = true;
  for (const input of [phoneInput, nameInput]) {
    input.removeAttribute("aria-invalid");
    input.setAttribute("aria-describedby", `${input.id}-hint`);
  }
}

/** Says what went wrong next to the form, and moves the focus where it can be fixed. */
function showError(code, focus) {
  const error = describeJoinError(code, lang);
  if (error.final) return renderFinal(error);
  clearError();
  shownError = { code };
  formError.textContent = error.message;
  formError.hidden = false;
  const field = error.field === "phone" ? phoneInput : error.field === "name" ? nameInput : null;
  if (field) {
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-describedby", `form-error ${field.id}-hint`);
  }
  if (focus) (field || formError).focus();
}

function render() {
  renderLabels();
  if (finalCode) return renderFinal(describeJoinError(finalCode, lang));
  if (lastStatus) renderQueue(describeQueue(lastStatus, lang));
  if (shownError) showError(shownError.code, false);
}

function stop() {
  if (timer) clearTimeout(timer);
  timer = null;
}

function schedule() {
  stop();
  timer = setTimeout(() => void load(), REFRESH_MS);
}

async function load() {
  const body = await graphql(QUEUE_STATUS_QUERY, { t: token });
  const status = body && body.data ? body.data.queueStatus : null;
  const code = errorCode(body) || (status ? null : "NOT_FOUND");
  if (code) {
    if (describeJoinError(code, lang).final) return renderFinal(describeJoinError(code, lang));
    // A passing failure: keep what is shown, say why, try again later.
    if (!lastStatus) el("headline").textContent = texts(lang).title;
    showError(code, false);
    return schedule();
  }
  lastStatus = status;
  if (!chosen) lang = pickLanguage(null, status.language, navigator.language);
  // The server answered: an error about the queue or the network is over
  // (the state now says how things are); one about what was typed stays.
  if (shownError && !describeJoinError(shownError.code, lang).field) clearError();
  render();
  schedule();
}

async function join(event) {
  event.preventDefault();
  if (joining) return;
  const phone = phoneInput.value;
  const name = nameInput.value.trim();
  const invalid = checkForm(phone, name);
  if (invalid) return showError(invalid, true);
  clearError();
  joining = true;
  submitButton.disabled = true;
  submitButton.textContent = texts(lang).submitting;
  form.setAttribute("aria-busy", "true");
  const body = await graphql(JOIN_QUEUE_MUTATION, { t: token, phone, name: name || null });
  const result = body && body.data && body.data.joinQueue ? body.data.joinQueue.result : null;
  const code = errorCode(body) || (result ? null : "INTERNAL");
  if (!code) {
    stop();
    // replace(): the back button should not lead to the form again.
    location.replace(entryPath(result.entryToken));
    return;
  }
  joining = false;
  submitButton.disabled = false;
  submitButton.textContent = texts(lang).submit;
  form.removeAttribute("aria-busy");
  showError(code, true);
  // The queue may have closed, paused or filled up: show its state as it is now.
  if (code === "QUEUE_CLOSED" || code === "QUEUE_PAUSED" || code === "QUEUE_FULL") void refreshKeepingError();
}

/** Refreshes the status without hiding the error the customer has to read. */
async function refreshKeepingError() {
  const body = await graphql(QUEUE_STATUS_QUERY, { t: token });
  if (body && body.data && body.data.queueStatus) {
    lastStatus = body.data.queueStatus;
    renderQueue(describeQueue(lastStatus, lang));
  }
}

function switchLanguage() {
  chosen = otherLanguage(lang);
  lang = chosen;
  saveLanguageChoice(chosen);
  render();
}

renderLabels();
switchButton.addEventListener("click", switchLanguage);
if (!token) {
  renderFinal(describeJoinError("NOT_FOUND", lang));
} else {
  form.addEventListener("submit", (event) => void join(event));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && timer) void load();
  });
  void load();
}
