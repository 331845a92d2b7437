// Google sign-in. The ID token's signature, audience, issuer and expiry can
// only be checked in TypeScript (Google's keys are fetched over HTTPS and
// cached by jose); everything about accounts is SQL:
// app_private.google_sign_in() creates or links the account and returns the
// claims, which are signed like every other session token.
import { GraphQLError } from "postgraphile/graphql";
import { sideEffect } from "postgraphile/grafast";
import { extendSchema, gql } from "postgraphile/utils";
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from "jose";
import type pg from "pg";
import { signToken, type JwtSettings, type TokenClaims } from "./jwt.ts";

export interface GoogleSettings {
  clientId: string;
  /** Google's JWKS (https://www.googleapis.com/oauth2/v3/certs); tests serve their own. */
  jwksUrl: string;
}

/** The parts of a verified Google ID token the account logic needs. */
export interface GoogleIdentity {
  googleId: string;
  email: string;
  emailVerified: boolean;
  firstName: string | null;
  lastName: string | null;
  picture: string | null;
}

const GOOGLE_ISSUERS = ["accounts.google.com", "https://accounts.google.com"];

function invalid(message = "Jeton Google invalide."): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "UNAUTHENTICATED" } });
}

export function makeGoogleVerifier(settings: GoogleSettings): (idToken: string) => Promise<GoogleIdentity> {
  // jose caches the key set and refetches it when Google rotates its keys.
  const keys: JWTVerifyGetKey = createRemoteJWKSet(new URL(settings.jwksUrl), { timeoutDuration: 5000 });
  return async (idToken) => {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(idToken, keys, {
        algorithms: ["RS256"],
        issuer: GOOGLE_ISSUERS,
        audience: settings.clientId,
        requiredClaims: ["sub", "exp", "iat"],
      }));
    } catch {
      throw invalid();
    }
    const { sub, email } = payload;
    if (typeof sub !== "string" || sub === "" || typeof email !== "string") throw invalid();
    const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : null);
    return {
      googleId: sub,
      email,
      emailVerified: payload.email_verified === true || payload.email_verified === "true",
      firstName: text(payload.given_name),
      lastName: text(payload.family_name),
      picture: text(payload.picture),
    };
  };
}

/**
 * The authenticateGoogle mutation. The SQL runs on the authenticator's own
 * connection (no request role): app_private.google_sign_in is granted to the
 * authenticator only and refuses any request role, so no GraphQL caller can
 * reach it except through a verified Google token.
 */
export function makeGoogleSignInPlugin(options: {
  google: GoogleSettings;
  jwt: JwtSettings;
  pool: pg.Pool;
}): GraphileConfig.Plugin {
  const verify = makeGoogleVerifier(options.google);
  const signIn = async (idToken: unknown): Promise<{ jwtToken: string }> => {
    if (typeof idToken !== "string" || idToken.length > 8192) throw invalid();
    const identity = await verify(idToken);
    const { rows } = await options.pool.query<TokenClaims>(
      "select role, user_id, sub, auth_time from app_private.google_sign_in($1, $2, $3, $4, $5, $6)",
      [identity.googleId, identity.email, identity.emailVerified, identity.firstName, identity.lastName, identity.picture],
    );
    const claims = rows[0];
    if (!claims?.role) throw invalid();
    return { jwtToken: signToken(claims, options.jwt) };
  };
  return extendSchema(() => ({
    typeDefs: gql`
      input AuthenticateGoogleInput {
        "The ID token Google Identity Services gave the browser."
        idToken: String!
        clientMutationId: String
      }
      type AuthenticateGooglePayload {
        "A Waitify session token (send as Authorization: Bearer)."
        jwtToken: String
        clientMutationId: String
      }
      extend type Mutation {
        "Signs in with Google: creates the account on first use, or links it to an existing account with the same verified email."
        authenticateGoogle(input: AuthenticateGoogleInput!): AuthenticateGooglePayload
      }
    `,
    objects: {
      Mutation: {
        plans: {
          authenticateGoogle(_, fieldArgs) {
            return sideEffect(fieldArgs.getRaw(["input", "idToken"]), signIn);
          },
        },
      },
    },
  }), "WaitifyGoogleSignInPlugin");
}
