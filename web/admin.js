// The back office (/admin): an administrator signs in, then reads the SaaS
// figures, the accounts (suspend, reactivate), the overdue accounts (remind),
// the promo codes (create, disable) and the audit log — each through the
// admin GraphQL schema with the session token in the Authorization header.
// Everything from the server is written with textContent, never as HTML.
/* global window */
import { graphql } from "./api.js";
import { sessionKeeper, tokenClaims } from "./session.js";

const TOKEN_KEY = "waitify.admin.token";
let token = window.sessionStorage.getItem(TOKEN_KEY);
const $ = (id) => document.getElementById(id);

const MESSAGES = {
  NETWORK: "Le serveur ne répond pas. Réessayez.",
  INTERNAL: "Erreur du serveur. Réessayez plus tard.",
  UNAUTHENTICATED: "Session expirée : reconnectez-vous.",
  FORBIDDEN:
    "Accès refusé : cette session n'est pas celle d'un administrateur.",
  NOT_ADMIN: "Ce compte n'est pas un compte administrateur.",
};

const euro = new Intl.NumberFormat("fr-FR", {
  style: "currency",
  currency: "EUR",
});
const euros = (cents) =>
  cents == null ? "—" : euro.format(Number(cents) / 100);
const percent = (value) =>
  value == null ? "—" : `${Number(value).toLocaleString("fr-FR")} %`;
const day = (iso) => (iso ? new Date(iso).toLocaleDateString("fr-FR") : "—");
const monthName = (iso) =>
  new Date(`${iso.slice(0, 7)}-01T00:00:00Z`).toLocaleDateString("fr-FR", {
    month: "long",
    year: "numeric",
    timeZone: "UTC",
  });

function setStatus(text) {
  $("status").textContent = text;
}

function showNotice(text) {
  $("notice").textContent = text;
  $("notice").hidden = !text;
}

function messageOf(errors) {
  const first = errors[0] || {};
  const code = first.extensions && first.extensions.code;
  return MESSAGES[code] || first.message || MESSAGES.INTERNAL;
}

/** One GraphQL call as the admin; null (and the reason shown) when it failed. */
async function call(query, variables = {}) {
  const body = await graphql(query, variables, { token });
  if (body.errors && body.errors.length) {
    if ((body.errors[0].extensions || {}).code === "UNAUTHENTICATED")
      signOut(MESSAGES.UNAUTHENTICATED);
    else showNotice(messageOf(body.errors));
    return null;
  }
  showNotice("");
  return body.data;
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text == null ? "—" : String(text);
  if (className) td.className = className;
  row.append(td);
  return td;
}

function actionButton(td, label, className, onClick) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = className;
  button.textContent = label;
  button.addEventListener("click", onClick);
  td.append(button);
  return button;
}

function fill(tbody, items, render, empty) {
  tbody.replaceChildren();
  for (const item of items) {
    const row = document.createElement("tr");
    render(row, item);
    tbody.append(row);
  }
  if (!items.length) {
    const row = document.createElement("tr");
    const td = cell(row, empty, "muted");
    td.colSpan = tbody.closest("table").querySelectorAll("thead th").length;
    tbody.append(row);
  }
}

/** A reason asked before a write: null when the admin cancelled. */
function askReason(question) {
  const reason = window.prompt(question);
  return reason === null ? null : reason.trim();
}

// ------------------------------------------------------------ SaaS figures

function previousMonth() {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1))
    .toISOString()
    .slice(0, 7);
}

async function loadMetrics() {
  const month = $("metrics-month").value || previousMonth();
  const data = await call(
    `query ($month: Date) {
      adminSaasMetrics(month: $month) {
        mrrCents arrCents overageCents payingAccounts arpuCents startMrrCents newMrrCents reactivationMrrCents
        expansionMrrCents contractionMrrCents churnedMrrCents churnedAccounts logoChurnPct revenueChurnPct
        ltvCents ltvNote grossMarginPct
      }
      adminMrrSeries(months: 12) { nodes { month mrrCents arrCents payingAccounts overageCents } }
    }`,
    { month: `${month}-01` },
  );
  if (!data) return;
  const m = data.adminSaasMetrics;
  const figures = [
    ["MRR", euros(m.mrrCents)],
    ["ARR", euros(m.arrCents)],
    ["Comptes payants", m.payingAccounts],
    ["ARPU", euros(m.arpuCents)],
    ["LTV", euros(m.ltvCents)],
    ["Churn (comptes)", percent(m.logoChurnPct)],
    ["Churn (revenu)", percent(m.revenueChurnPct)],
    ["MRR au début du mois", euros(m.startMrrCents)],
    ["Nouveau", euros(m.newMrrCents)],
    ["Réactivations", euros(m.reactivationMrrCents)],
    ["Expansion", euros(m.expansionMrrCents)],
    ["Contraction", euros(m.contractionMrrCents)],
    ["Perdu (churn)", euros(m.churnedMrrCents)],
    ["Dépassement SMS (hors MRR)", euros(m.overageCents)],
  ];
  $("metrics-figures").replaceChildren(
    ...figures.map(([label, value]) => {
      const box = document.createElement("div");
      const dt = document.createElement("dt");
      const dd = document.createElement("dd");
      dt.textContent = label;
      dd.textContent = value == null ? "—" : String(value);
      box.append(dt, dd);
      return box;
    }),
  );
  const notes = {
    no_churn_observed:
      "LTV : aucun churn sur 12 mois, la durée de vie n'est pas bornée.",
    no_paying_accounts: "LTV : aucun compte payant.",
  };
  $("metrics-ltv-note").textContent = notes[m.ltvNote] || "";
  $("metrics-ltv-note").hidden = !m.ltvNote;
  fill(
    $("series-rows"),
    data.adminMrrSeries.nodes,
    (row, point) => {
      cell(row, monthName(point.month));
      cell(row, euros(point.mrrCents), "num");
      cell(row, euros(point.arrCents), "num");
      cell(row, point.payingAccounts, "num");
      cell(row, euros(point.overageCents), "num");
    },
    "Aucun mois.",
  );
  setStatus(`Indicateurs de ${monthName(`${month}-01`)}.`);
}

// ---------------------------------------------------------------- accounts

const STATUS_NAMES = {
  trial: "essai",
  active: "actif",
  past_due: "paiement en retard",
  read_only: "lecture seule",
  suspended: "suspendu",
  cancelled: "résilié",
};

async function loadAccounts() {
  const search = $("accounts-query").value.trim() || null;
  const data = await call(
    `query ($search: String) {
      adminAccounts(search: $search, first: 100) {
        nodes { rowId email firstName lastName subscriptionStatus businessCount smsPartsThisMonth mrrCents
                subscriptionPlanBySubscriptionPlanId { name } }
      }
    }`,
    { search },
  );
  if (!data) return;
  fill(
    $("accounts-rows"),
    data.adminAccounts.nodes,
    (row, account) => {
      cell(row, account.email);
      cell(
        row,
        account.subscriptionPlanBySubscriptionPlanId
          ? account.subscriptionPlanBySubscriptionPlanId.name
          : null,
      );
      cell(
        row,
        STATUS_NAMES[account.subscriptionStatus] || account.subscriptionStatus,
      );
      cell(row, account.businessCount, "num");
      cell(row, account.smsPartsThisMonth, "num");
      cell(row, euros(account.mrrCents), "num");
      const actions = cell(row, "");
      if (account.subscriptionStatus === "suspended") {
        actionButton(actions, "Réactiver", "ghost", () =>
          accountWrite(
            "adminReactivateAccount",
            account,
            "Motif de la réactivation :",
          ),
        );
      } else {
        actionButton(actions, "Suspendre", "danger", () =>
          accountWrite(
            "adminSuspendAccount",
            account,
            "Motif de la suspension :",
          ),
        );
      }
    },
    "Aucun compte.",
  );
  setStatus(`${data.adminAccounts.nodes.length} compte(s).`);
}

async function accountWrite(mutation, account, question) {
  const reason = askReason(`${account.email} — ${question}`);
  if (reason === null) return;
  const data = await call(
    `mutation ($userId: UUID!, $reason: String) { ${mutation}(input: { userId: $userId, reason: $reason }) { clientMutationId } }`,
    { userId: account.rowId, reason },
  );
  if (data) await loadAccounts();
}

// ----------------------------------------------------------------- overdue

async function loadOverdue() {
  const data = await call(`{
    adminOverdueAccounts(first: 200) {
      nodes { userId email riskScore amountDueCents daysOverdue failedAttempts lastReminderAt }
    }
  }`);
  if (!data) return;
  fill(
    $("overdue-rows"),
    data.adminOverdueAccounts.nodes,
    (row, account) => {
      cell(row, account.email);
      cell(row, account.riskScore, "num score");
      cell(row, euros(account.amountDueCents), "num");
      cell(row, account.daysOverdue, "num");
      cell(row, account.failedAttempts, "num");
      cell(row, day(account.lastReminderAt));
      const actions = cell(row, "");
      actionButton(actions, "Relancer", "ghost", async () => {
        const sent = await call(
          `mutation ($userId: UUID!) { adminSendPaymentReminder(input: { userId: $userId }) { clientMutationId } }`,
          { userId: account.userId },
        );
        if (sent) {
          setStatus(`Relance envoyée à ${account.email}.`);
          await loadOverdue();
        }
      });
      actionButton(actions, "Suspendre", "danger", () =>
        accountWrite(
          "adminSuspendAccount",
          { rowId: account.userId, email: account.email },
          "Motif de la suspension :",
        ),
      );
    },
    "Aucun compte en retard.",
  );
  setStatus(
    `${data.adminOverdueAccounts.nodes.length} compte(s) en retard, du plus risqué au moins risqué.`,
  );
}

/** The payments CSV comes with the session header, so it is fetched and handed over as a file. */
async function downloadPayments() {
  const response = await fetch("/admin/payments.csv", {
    headers: { authorization: `Bearer ${token}` },
    credentials: "omit",
    cache: "no-store",
    referrerPolicy: "no-referrer",
  }).catch(() => null);
  if (!response || !response.ok)
    return showNotice(
      response && response.status === 401
        ? MESSAGES.UNAUTHENTICATED
        : MESSAGES.INTERNAL,
    );
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = "waitify-paiements.csv";
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

// ------------------------------------------------------------- promo codes

function discountOf(code) {
  if (code.kind === "percentage") return `${code.value} %`;
  if (code.kind === "fixed_amount") return euros(code.value);
  return `${code.value} mois offert(s)`;
}

async function loadPromos() {
  const data = await call(`{
    allPromoCodes(orderBy: CODE_ASC, first: 200) {
      nodes { rowId code kind value duration durationMonths maxUses timesUsed validFrom validUntil active }
    }
  }`);
  if (!data) return;
  fill(
    $("promo-rows"),
    data.allPromoCodes.nodes,
    (row, code) => {
      cell(row, code.code);
      cell(
        row,
        `${discountOf(code)}${code.duration === "repeating" ? ` pendant ${code.durationMonths} mois` : code.duration === "forever" ? ", toujours" : ", une fois"}`,
      );
      cell(
        row,
        code.maxUses ? `${code.timesUsed} / ${code.maxUses}` : code.timesUsed,
        "num",
      );
      cell(
        row,
        `${day(code.validFrom)} → ${code.validUntil ? day(code.validUntil) : "sans fin"}`,
      );
      cell(row, code.active ? "actif" : "désactivé");
      const actions = cell(row, "");
      if (code.active) {
        actionButton(actions, "Désactiver", "danger", async () => {
          const reason = askReason(
            `${code.code} — motif de la désactivation :`,
          );
          if (reason === null) return;
          const done = await call(
            `mutation ($id: UUID!, $reason: String) { adminDisablePromoCode(input: { promoCodeId: $id, reason: $reason }) { promoCode { rowId } } }`,
            { id: code.rowId, reason },
          );
          if (done) await loadPromos();
        });
      }
    },
    "Aucun code promo.",
  );
}

async function createPromo(event) {
  event.preventDefault();
  const number = (id) => ($(id).value === "" ? null : Number($(id).value));
  const until = $("promo-until").value;
  const input = {
    code: $("promo-code").value.trim(),
    kind: $("promo-kind").value,
    value: number("promo-value"),
    duration:
      $("promo-kind").value === "FREE_MONTHS"
        ? null
        : $("promo-duration").value,
    durationMonths: number("promo-months"),
    maxUses: number("promo-max-uses"),
    validUntil: until ? new Date(`${until}T23:59:59`).toISOString() : null,
  };
  const data = await call(
    `mutation ($input: AdminCreatePromoCodeInput!) { adminCreatePromoCode(input: $input) { promoCode { code } } }`,
    { input },
  );
  if (!data) return;
  setStatus(`Code ${data.adminCreatePromoCode.promoCode.code} créé.`);
  $("promo-form").reset();
  await loadPromos();
}

// --------------------------------------------------------------- audit log

const ACTIONS = {
  suspend_account: "suspension",
  reactivate_account: "réactivation",
  change_plan: "changement de forfait",
  create_promo_code: "création de code promo",
  disable_promo_code: "désactivation de code promo",
  send_payment_reminder: "relance de paiement",
};

async function loadAudit() {
  const data = await call(`{
    allAdminAuditLogs(orderBy: ROW_ID_DESC, first: 100) { nodes { createdAt adminEmail action targetType targetId reason } }
  }`);
  if (!data) return;
  fill(
    $("audit-rows"),
    data.allAdminAuditLogs.nodes,
    (row, entry) => {
      cell(row, new Date(entry.createdAt).toLocaleString("fr-FR"));
      cell(row, entry.adminEmail);
      cell(row, ACTIONS[entry.action] || entry.action);
      cell(row, `${entry.targetType} ${entry.targetId || ""}`.trim());
      cell(row, entry.reason);
    },
    "Aucune action enregistrée.",
  );
}

// ---------------------------------------------------------- sign in, tabs

const LOADERS = {
  metrics: loadMetrics,
  accounts: loadAccounts,
  overdue: loadOverdue,
  promos: loadPromos,
  audit: loadAudit,
};

async function show(section) {
  setStatus("");
  for (const tab of document.querySelectorAll(".tab"))
    tab.setAttribute("aria-pressed", String(tab.dataset.section === section));
  for (const name of Object.keys(LOADERS)) $(name).hidden = name !== section;
  await LOADERS[section]();
}

/**
 * Renews the token before it expires (web/session.js), so an administrator at
 * work is not sent back to sign-in every hour; 12 hours after sign-in at most.
 */
const keeper = sessionKeeper({
  token: () => token,
  request: (query) => graphql(query, {}, { token }),
  serverNow: () => Date.now(),
  onRenewed(renewed) {
    token = renewed;
    window.sessionStorage.setItem(TOKEN_KEY, renewed);
  },
});

function signOut(message = "") {
  keeper.stop();
  token = null;
  window.sessionStorage.removeItem(TOKEN_KEY);
  $("office").hidden = true;
  $("who").hidden = true;
  $("sign-out").hidden = true;
  $("signin").hidden = false;
  setStatus("");
  showNotice(message);
  $("email").focus();
}

async function enter() {
  keeper.schedule();
  $("signin").hidden = true;
  $("office").hidden = false;
  $("sign-out").hidden = false;
  $("who").hidden = false;
  $("who").textContent = "Administrateur";
  await show("metrics");
}

async function signIn(event) {
  event.preventDefault();
  const error = $("signin-error");
  error.hidden = true;
  const body = await graphql(
    "mutation ($email: String!, $password: String!) { authenticate(input: { email: $email, password: $password }) { jwtToken } }",
    { email: $("email").value.trim(), password: $("password").value },
  );
  const jwt =
    body.data && body.data.authenticate
      ? body.data.authenticate.jwtToken
      : null;
  let failure = null;
  if (body.errors && body.errors.length) failure = messageOf(body.errors);
  else if (!jwt) failure = MESSAGES.INTERNAL;
  // The token is read, not verified, here: the server checks it on every call.
  else if ((tokenClaims(jwt) || {}).role !== "waitify_admin") failure = MESSAGES.NOT_ADMIN;
  if (failure) {
    error.textContent = failure;
    error.hidden = false;
    $("password").focus();
    return;
  }
  token = jwt;
  window.sessionStorage.setItem(TOKEN_KEY, jwt);
  $("password").value = "";
  await enter();
}

$("signin-form").addEventListener("submit", signIn);
$("sign-out").addEventListener("click", () => signOut());
$("metrics-month").addEventListener("change", loadMetrics);
$("accounts-search").addEventListener("submit", (event) => {
  event.preventDefault();
  loadAccounts();
});
$("payments-csv").addEventListener("click", downloadPayments);
$("promo-form").addEventListener("submit", createPromo);
for (const tab of document.querySelectorAll(".tab"))
  tab.addEventListener("click", () => show(tab.dataset.section));
$("metrics-month").value = previousMonth();

const session = tokenClaims(token) || {};
if (session.role === "waitify_admin" && session.exp * 1000 > Date.now())
  enter();
else signOut();
