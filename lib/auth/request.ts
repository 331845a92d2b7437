// Who is calling, decided once per HTTP request before GraphQL runs: no
// Authorization header → anonymous; a valid Bearer token → its role and user;
// anything else → a coded UNAUTHENTICATED error, never anonymous access by
// accident (a client whose session expired must be told, not shown less).
import type { IncomingMessage, ServerResponse } from "node:http";
import { ANONYMOUS_ROLE, type RequestRole } from "../db/roles.ts";
import { InvalidTokenError, verifyToken, type JwtSettings } from "./jwt.ts";

export interface RequestAuth {
  role: RequestRole;
  userId: string | null;
  /** The administrator of an admin token (null: it may read, never write). */
  adminId?: string | null;
  /** When the session's token expires (ms since the epoch); null for anonymous. */
  expiresAt?: number | null;
  /** When the session began (the token's auth_time, seconds since the epoch), for refresh_session. */
  authTime?: number | null;
}

const sessions = new WeakMap<IncomingMessage, RequestAuth>();

export const anonymousAuth: RequestAuth = { role: ANONYMOUS_ROLE, userId: null };

/** The caller of a request that went through authenticate(); anonymous otherwise. */
export function requestAuth(req: IncomingMessage): RequestAuth {
  return sessions.get(req) ?? anonymousAuth;
}

/**
 * PostgreSQL settings for the request's transaction (PostGraphile applies them
 * with set_config). Anonymous requests need none: their pool's connections
 * already run as the anonymous role (lib/http/app.ts), and with no settings
 * PostGraphile sends the query alone instead of begin/set_config/query/commit.
 */
export function pgSettingsFor(auth: RequestAuth): Record<string, string> {
  if (auth.role === ANONYMOUS_ROLE && !auth.userId) return {};
  return {
    role: auth.role,
    ...(auth.userId ? { "jwt.claims.user_id": auth.userId } : {}),
    ...(auth.adminId ? { "jwt.claims.admin_id": auth.adminId } : {}),
    ...(auth.authTime != null ? { "jwt.claims.auth_time": String(auth.authTime) } : {}),
  };
}

export function authenticateRequest(req: IncomingMessage, settings: JwtSettings): RequestAuth {
  return authenticate(req, req.headers.authorization, settings);
}

/**
 * The same check for a websocket (lib/realtime/websocket.ts), whose
 * Authorization value comes in connection_init's payload
 * (`connectionParams.authorization`) rather than a header: browsers cannot
 * set headers on a websocket. `req` is the upgrade request, which then
 * carries the session for every operation on that socket.
 */
export function authenticateConnection(req: IncomingMessage, authorization: unknown, settings: JwtSettings): RequestAuth {
  if (authorization !== undefined && authorization !== null && typeof authorization !== "string") {
    throw new InvalidTokenError("Paramètre authorization invalide : « Bearer <jeton> » attendu.");
  }
  return authenticate(req, authorization ?? undefined, settings);
}

function authenticate(req: IncomingMessage, authorization: string | undefined, settings: JwtSettings): RequestAuth {
  if (authorization === undefined || authorization === "") return anonymousAuth;
  const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(authorization.trim());
  if (!match) throw new InvalidTokenError("En-tête Authorization invalide : « Bearer <jeton> » attendu.");
  const session = verifyToken(match[1]!, settings);
  const auth: RequestAuth = { ...session };
  sessions.set(req, auth);
  return auth;
}

/** Sends the GraphQL-shaped 401 for a refused token. */
export function sendUnauthenticated(res: ServerResponse, error: InvalidTokenError): void {
  const body = JSON.stringify({ errors: [{ message: error.message, extensions: { code: "UNAUTHENTICATED" } }] });
  res.statusCode = 401;
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.setHeader("www-authenticate", 'Bearer error="invalid_token"');
  res.end(body);
}
