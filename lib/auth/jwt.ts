// Session tokens: RS256, claims role, sub and user_id (a merchant) or
// admin_id (an administrator), auth_time (when the holder signed in, kept
// when the session is refreshed: db/identity/session-refresh.sql), iss, aud, exp.
// PostGraphile signs the tokens that SQL returns (app_public.jwt_token, see
// graphile.config.ts) with the same options; this module verifies them on
// every request and signs the few that TypeScript issues (Google sign-in).
import jwt from "jsonwebtoken";
import { ADMIN_ROLE, MERCHANT_ROLE } from "../db/roles.ts";
import type { JwtKeys } from "./keys.ts";

export interface JwtSettings {
  keys: JwtKeys;
  issuer: string;
  audience: string;
  /** jsonwebtoken duration: "15m", "1h", or seconds. */
  expiresIn: string;
}

/** The roles a token may carry: never the owner, the authenticator or anything else. */
export const TOKEN_ROLES = [MERCHANT_ROLE, ADMIN_ROLE] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

/** What a verified token says about the caller. */
export interface Session {
  role: TokenRole;
  /** The merchant account; null for an administrator. */
  userId: string | null;
  /** The administrator (admin tokens only); null when the token names none, which can read but never write. */
  adminId: string | null;
  /** The token's expiry (ms since the epoch): a websocket opened with it is closed then. */
  expiresAt: number;
  /** When the session began (seconds since the epoch); null for a token without it, which is never refreshed. */
  authTime: number | null;
}

/** The claims row app_public.jwt_token (SQL) produces. */
export interface TokenClaims {
  role: string;
  user_id: string | null;
  sub: string | null;
  admin_id?: string | null;
  auth_time?: number | null;
}

export class InvalidTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidTokenError";
  }
}

/** The options PostGraphile's PgJWTPlugin and signToken both use. */
export function signOptions(settings: JwtSettings): jwt.SignOptions {
  return {
    algorithm: "RS256",
    issuer: settings.issuer,
    audience: settings.audience,
    expiresIn: /^\d+$/.test(settings.expiresIn) ? Number(settings.expiresIn) : (settings.expiresIn as jwt.SignOptions["expiresIn"]),
  };
}

export function signToken(claims: TokenClaims, settings: JwtSettings): string {
  const payload = Object.fromEntries(Object.entries(claims).filter(([, value]) => value != null));
  return jwt.sign(payload, settings.keys.privateKey, signOptions(settings));
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Verifies signature (RS256 only: no "none", no HS256 signed with the public
 * key), issuer, audience and expiry, then the claims we rely on.
 */
export function verifyToken(token: string, settings: JwtSettings): Session {
  let claims: jwt.JwtPayload;
  try {
    const decoded = jwt.verify(token, settings.keys.publicKey, {
      algorithms: ["RS256"],
      issuer: settings.issuer,
      audience: settings.audience,
    });
    if (typeof decoded === "string") throw new InvalidTokenError("token payload is not an object");
    claims = decoded;
  } catch (error) {
    if (error instanceof jwt.TokenExpiredError) throw new InvalidTokenError("Session expirée : reconnectez-vous.");
    throw new InvalidTokenError("Jeton d'authentification invalide.");
  }
  if (typeof claims.exp !== "number") throw new InvalidTokenError("Jeton d'authentification invalide.");
  const role = claims.role as unknown;
  if (!TOKEN_ROLES.includes(role as TokenRole)) throw new InvalidTokenError("Jeton d'authentification invalide.");
  // sub names whoever signed in: the merchant (user_id) or the administrator (admin_id).
  const adminId = (role === ADMIN_ROLE ? (claims.admin_id ?? null) : null) as unknown;
  const userId = (claims.user_id ?? (role === MERCHANT_ROLE ? claims.sub : null) ?? null) as unknown;
  for (const id of [userId, adminId]) {
    if (id !== null && (typeof id !== "string" || !uuid.test(id))) throw new InvalidTokenError("Jeton d'authentification invalide.");
  }
  const named = role === ADMIN_ROLE ? adminId : userId;
  if (claims.sub !== undefined && claims.sub !== null && claims.sub !== named) {
    throw new InvalidTokenError("Jeton d'authentification invalide.");
  }
  // A merchant is always somebody; an administrator is never a merchant too.
  if (role === MERCHANT_ROLE && userId === null) throw new InvalidTokenError("Jeton d'authentification invalide.");
  if (role === MERCHANT_ROLE && claims.admin_id != null) throw new InvalidTokenError("Jeton d'authentification invalide.");
  const authTime = (claims.auth_time ?? null) as unknown;
  if (authTime !== null && (typeof authTime !== "number" || !Number.isSafeInteger(authTime) || authTime < 0)) {
    throw new InvalidTokenError("Jeton d'authentification invalide.");
  }
  return {
    role: role as TokenRole,
    userId: userId as string | null,
    adminId: adminId as string | null,
    expiresAt: claims.exp * 1000,
    authTime: authTime as number | null,
  };
}
