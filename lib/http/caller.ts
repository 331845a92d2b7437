// Who may call a Bearer-token route outside GraphQL (PDFs, CSV exports):
// no token or a bad one → 401 UNAUTHENTICATED; a valid token of a role the
// route does not serve → 403 FORBIDDEN; otherwise the caller.
import type { Request, Response } from "express";
import { InvalidTokenError, type JwtSettings } from "../auth/jwt.ts";
import { authenticateRequest, sendUnauthenticated, type RequestAuth } from "../auth/request.ts";
import { ANONYMOUS_ROLE, type RequestRole } from "../db/roles.ts";
import { sendError } from "./errors.ts";

/** The caller, or null once the 401 / 403 has been sent. */
export function callerOf(req: Request, res: Response, jwt: JwtSettings, roles: readonly RequestRole[], refusal: string): RequestAuth | null {
  let auth: RequestAuth;
  try {
    auth = authenticateRequest(req, jwt);
  } catch (error) {
    if (error instanceof InvalidTokenError) {
      sendUnauthenticated(res, error);
      return null;
    }
    throw error;
  }
  if (auth.role === ANONYMOUS_ROLE) {
    sendUnauthenticated(res, new InvalidTokenError("Connexion requise : « Authorization: Bearer <jeton> ». / You must be signed in."));
    return null;
  }
  if (!roles.includes(auth.role)) {
    sendError(res, 403, "FORBIDDEN", refusal);
    return null;
  }
  return auth;
}
