// Live updates for the pages: one GraphQL subscription over graphql-ws on
// /graphql (the server's realtime API, README "Realtime"). The page includes
// <script src="/assets/vendor/graphql-ws.js"></script> (graphql-ws's own
// browser build, which sets window.graphqlWs) before its module script.
//
// What it takes care of, so that a page only renders:
// - the socket: authenticated with the merchant's token in connectionParams
//   (never in the URL), reconnected with a growing, jittered delay when the
//   network drops, the subscription sent again each time;
// - onConnected after every (re)connection, and again when the feed resumes
//   after an interruption: the page re-reads its state then, so nothing that
//   changed while it was not listening is missed;
// - errors as codes: the server's extensions.code (NOT_FOUND,
//   UNAUTHENTICATED, SUBSCRIPTION_INTERRUPTED…), or NETWORK.
// A refusal (NOT_FOUND, UNAUTHENTICATED, VALIDATION…) ends the subscription:
// retrying would only be refused again. Pages keep a slow polling fallback for
// browsers or networks where websockets do not work.
/* global window */

/** Codes after which subscribing again may work: the feed is resumed by itself. */
const RESUMABLE = ["SUBSCRIPTION_INTERRUPTED", "INTERNAL", "NETWORK"];

const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30000;

/** 1 s, 2 s, 4 s… up to 30 s, each between half and all of it (clients that lost the server together do not return together). */
function backoff(attempt) {
  const ceiling = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * Math.pow(2, attempt));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

function graphqlUrl() {
  return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/graphql";
}

/** The code of GraphQL errors (the first one's), of a closed socket, or NETWORK. */
function codeOf(error) {
  if (Array.isArray(error)) {
    const first = error[0];
    const code = first && first.extensions && first.extensions.code;
    return typeof code === "string" ? code : "INTERNAL";
  }
  // A CloseEvent: 4401 is the server refusing the token.
  if (error && typeof error.code === "number") return error.code === 4401 ? "UNAUTHENTICATED" : "NETWORK";
  return "NETWORK";
}

/**
 * subscribe({ query, variables, token, onData, onError, onConnected }) → unsubscribe()
 *  - query/variables: one subscription operation
 *  - token: the merchant's JWT or null (anonymous)
 *  - onData(data): each `data` payload
 *  - onError(code): a coded error (e.g. NOT_FOUND, UNAUTHENTICATED, SUBSCRIPTION_INTERRUPTED, NETWORK)
 *  - onConnected(): after every (re)connection is acknowledged, and when the feed resumes
 *    after SUBSCRIPTION_INTERRUPTED — the page re-fetches its state by query then
 * Reconnects by itself with backoff (and resubscribes) when the network drops.
 */
export function subscribe(options) {
  const query = options.query;
  const variables = options.variables || {};
  const token = options.token || null;
  const onData = options.onData || function () {};
  const onError = options.onError || function () {};
  const onConnected = options.onConnected || function () {};

  const graphqlWs = typeof window !== "undefined" ? window.graphqlWs : undefined;
  if (!graphqlWs || typeof graphqlWs.createClient !== "function" || typeof window.WebSocket !== "function") {
    // No websockets here: the page's polling is all there is.
    setTimeout(function () {
      onError("NETWORK");
    }, 0);
    return function () {};
  }

  let stopped = false;
  let cancel = null;
  let timer = null;
  let failures = 0;
  /** Acknowledged by the server and not closed since. */
  let connected = false;

  const client = graphqlWs.createClient({
    url: graphqlUrl(),
    connectionParams: function () {
      return token ? { authorization: "Bearer " + token } : {};
    },
    // The socket opens with the subscription, and stays open through the
    // pause before resuming an interrupted one.
    lazy: true,
    lazyCloseTimeout: MAX_DELAY_MS + 5000,
    // The network may be gone for long (a phone in a pocket): keep trying.
    retryAttempts: Infinity,
    retryWait: function (retries) {
      return new Promise(function (resolve) {
        setTimeout(resolve, backoff(retries));
      });
    },
    on: {
      connected: function () {
        connected = true;
        if (!stopped) onConnected();
      },
      closed: function () {
        connected = false;
      },
    },
  });

  function start() {
    if (stopped) return;
    let failed = null;
    const finish = function () {
      cancel = null;
      if (stopped) return;
      if (failed) onError(failed);
      if (failed && RESUMABLE.indexOf(failed) < 0) {
        // Refused: nothing more will come; let the socket go.
        client.dispose();
        return;
      }
      // Interrupted (or ended by the server): subscribe again a little later;
      // notifications may have been lost meanwhile, so the page re-reads.
      timer = setTimeout(function () {
        timer = null;
        if (stopped) return;
        start();
        // On the open socket: say so now. (Otherwise the socket's own
        // "connected" says it once the new connection is acknowledged.)
        if (connected) onConnected();
      }, backoff(failures));
      failures += 1;
    };
    cancel = client.subscribe(
      { query: query, variables: variables },
      {
        next: function (result) {
          if (result.errors && result.errors.length) {
            failed = codeOf(result.errors);
            return;
          }
          failures = 0;
          onData(result.data);
        },
        error: function (error) {
          failed = codeOf(error);
          finish();
        },
        complete: finish,
      },
    );
  }

  start();
  return function unsubscribe() {
    if (stopped) return;
    stopped = true;
    if (timer) clearTimeout(timer);
    if (cancel) cancel();
    client.dispose();
  };
}
