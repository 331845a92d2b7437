// GraphQL over websockets (graphql-ws, protocol graphql-transport-ws) on the
// HTTP server's own port and path (/graphql). One websocket server for the
// process; each socket is authenticated once, from connection_init's
// `connectionParams.authorization` ("Bearer <jwt>", verified exactly as the
// HTTP Authorization header is), then every operation on it runs on the
// PostGraphile instance of its role, as grafserv would run it
// (makeGraphQLWSConfig), with the same error masking as HTTP.
//
// - No token: anonymous. A bad or expired token: the socket is closed with
//   4401 "UNAUTHENTICATED", never downgraded to anonymous. A socket opened
//   with a token is closed the same way when that token expires.
// - An anonymous operation that only a signed-in schema knows (queueChanged,
//   accountEvent) is refused with UNAUTHENTICATED, not with a bare "cannot
//   query field": the client is told to sign in.
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import type { Context, ServerOptions, SubscribePayload } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer, type WebSocket } from "ws";
import { makeGraphQLWSConfig, type GrafservBase } from "postgraphile/grafserv";
import { GraphQLError, parse, validate, type GraphQLSchema } from "postgraphile/graphql";
import { ANONYMOUS_ROLE, MERCHANT_ROLE, type RequestRole } from "../db/roles.ts";
import { InvalidTokenError, type JwtSettings } from "../auth/jwt.ts";
import { authenticateConnection, requestAuth } from "../auth/request.ts";
import { applicationErrorCodes } from "../errors.ts";
import { log } from "../logger.ts";
import type { RealtimeLimits } from "../http/rate-limit/realtime.ts";
import { RATE_LIMITED, rateLimitedMessage, rateLimitedUpgradeResponse, retryAfterSeconds } from "../http/rate-limit/refusal.ts";

/** The close code and reason a refused token gets (4401 mirrors HTTP 401). */
export const UNAUTHENTICATED_CLOSE = { code: 4401, reason: "UNAUTHENTICATED" } as const;

type Extra = { socket: WebSocket; request: IncomingMessage };
type WsContext = Context<Record<string, unknown> | undefined, Extra>;

export interface RealtimeOptions {
  server: Server;
  path: string;
  jwt: JwtSettings;
  /** The grafserv instance of each request role. */
  servs: Map<RequestRole, GrafservBase>;
  /**
   * The largest websocket message read (GRAPHQL_MAX_BODY_BYTES, as for an HTTP
   * body); a larger one closes the socket with 1009 before it is parsed
   * (ws's own default would be 100 MiB).
   */
  maxMessageBytes: number;
  /** Rate limits (lib/http/rate-limit/realtime.ts): sockets per address, subscribe messages; none when absent. */
  limits?: RealtimeLimits;
}

export interface RealtimeHandle {
  /** Open sockets (for tests and the bench). */
  connections(): number;
  /** Stops taking upgrades and closes every socket (1001 "Going away"); their subscriptions end. */
  close(): Promise<void>;
}

export function startRealtime(options: RealtimeOptions): RealtimeHandle {
  const configs = new Map([...options.servs].map(([role, serv]) => [role, makeGraphQLWSConfig(serv)]));
  const configOf = (ctx: WsContext) => configs.get(requestAuth(ctx.extra.request).role)!;
  const expiryTimers = new WeakMap<WebSocket, NodeJS.Timeout>();

  const serverOptions: ServerOptions<Record<string, unknown> | undefined, Extra> = {
    onConnect(ctx) {
      const { socket, request } = ctx.extra;
      try {
        const auth = authenticateConnection(request, ctx.connectionParams?.authorization, options.jwt);
        // (A token valid for more than setTimeout's 24.8 days is not watched.)
        if (auth.expiresAt && auth.expiresAt - Date.now() < 2 ** 31 - 1) {
          const timer = setTimeout(() => socket.close(UNAUTHENTICATED_CLOSE.code, UNAUTHENTICATED_CLOSE.reason), auth.expiresAt - Date.now());
          timer.unref();
          expiryTimers.set(socket, timer);
        }
        return true;
      } catch (error) {
        if (!(error instanceof InvalidTokenError)) throw error;
        // graphql-ws would close with 4403 on `false`; ours comes first and wins.
        socket.close(UNAUTHENTICATED_CLOSE.code, UNAUTHENTICATED_CLOSE.reason);
        return false;
      }
    },
    async onSubscribe(ctx, id, payload) {
      const waitMs = (await options.limits?.admitSubscribe(ctx.extra.request)) ?? 0;
      if (waitMs > 0) {
        const seconds = retryAfterSeconds(waitMs);
        return [new GraphQLError(rateLimitedMessage(seconds), { extensions: { code: RATE_LIMITED, retryAfterSeconds: seconds } })];
      }
      const result = await configOf(ctx).onSubscribe!(ctx, id, payload);
      if (Array.isArray(result) && requestAuth(ctx.extra.request).role === ANONYMOUS_ROLE && (await signedInOnly(payload))) {
        return [new GraphQLError("Connexion requise.", { extensions: { ...applicationErrorCodes.UNAUTHENTICATED } })];
      }
      return result;
    },
    onNext: (ctx, id, payload, args, result) => configOf(ctx).onNext!(ctx, id, payload, args, result),
    onError: (ctx, id, payload, errors) => configOf(ctx).onError!(ctx, id, payload, errors),
    // The arguments onSubscribe returned carry their instance's execute and
    // subscribe (grafserv's hooks only call them): any role's hook will do.
    execute: (args) => configs.get(ANONYMOUS_ROLE)!.execute!(args),
    subscribe: (args) => configs.get(ANONYMOUS_ROLE)!.subscribe!(args),
  };

  const MAX_SIGNED_IN_CHECK_LENGTH = 5_000;
  // Valid for a merchant but not for anonymous: the operation needs a session.
  let merchantSchema: Promise<GraphQLSchema> | undefined;
  async function signedInOnly(payload: SubscribePayload): Promise<boolean> {
    const merchant = options.servs.get(MERCHANT_ROLE);
    if (!merchant || typeof payload.query !== "string") return false;
    // A refused text too large to be a real operation is not parsed again here.
    if (payload.query.length > MAX_SIGNED_IN_CHECK_LENGTH) return false;
    try {
      merchantSchema ??= Promise.resolve(merchant.getSchema());
      return validate(await merchantSchema, parse(payload.query)).length === 0;
    } catch {
      return false;
    }
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes });
  const graphqlWs = useServer(serverOptions, wss);
  wss.on("connection", (socket) => {
    socket.once("close", () => clearTimeout(expiryTimers.get(socket)));
  });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? "").split("?")[0];
    if (path !== options.path) {
      socket.destroy();
      return;
    }
    const { limits } = options;
    if (!limits) {
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
      return;
    }
    // Rate limits: refused with a plain 429 before any websocket exists.
    limits.admitConnection(req).then(
      (waitMs) => {
        if (waitMs > 0) return void socket.end(rateLimitedUpgradeResponse(waitMs));
        if (socket.destroyed) return limits.released(req);
        // The TCP socket's close: after the websocket's, or after a refused handshake.
        socket.once("close", () => limits.released(req));
        wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
      },
      (error: unknown) => {
        log.error("websocket upgrade failed", { error: error instanceof Error ? error.message : String(error) });
        socket.destroy();
      },
    );
  };
  options.server.on("upgrade", onUpgrade);

  return {
    connections: () => wss.clients.size,
    async close() {
      options.server.off("upgrade", onUpgrade);
      const sockets = [...wss.clients];
      // A client that does not answer the close handshake is cut off.
      const timer = setTimeout(() => {
        for (const socket of sockets) socket.terminate();
      }, 2_000);
      await graphqlWs.dispose();
      clearTimeout(timer);
      log.debug("websockets closed", { sockets: sockets.length });
    },
  };
}
