// The PostGraphile 5 preset. Built by a function because the connection URLs
// and the per-request settings are only known at run time.
//
// One schema per request role: PostGraphile builds its schema from what the
// introspecting role may do (PgRBACPlugin), so lib/http/app.ts builds one
// instance per role (anonymous / merchant / admin) with
// `pgSettingsForIntrospection` set to that role, and routes each request by
// its verified token. An anonymous introspection therefore shows only what
// anonymous may call, and GRANTs alone shape each role's API.
import type pg from "pg";
import { makePgService } from "postgraphile/adaptors/pg";
import type { GrafastSubscriber } from "postgraphile/grafast";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { ANONYMOUS_ROLE, type RequestRole } from "./lib/db/roles.ts";
import { signOptions, type JwtSettings } from "./lib/auth/jwt.ts";
import { anonymousAuth, pgSettingsFor, requestAuth } from "./lib/auth/request.ts";
import { maskError } from "./lib/errors.ts";
import { defaultQueryLimits, type QueryLimits } from "./lib/graphql/limits.ts";
import { makeLimitsPreset } from "./lib/graphql/preset.ts";

export interface PresetOptions {
  /** A pool logged in as the authenticator: PostGraphile never connects as the owner. */
  pool: pg.Pool;
  development: boolean;
  /** The request role this instance serves; its schema is introspected as that role. */
  role?: RequestRole;
  /** Signs the app_public.jwt_token values SQL returns (register, authenticate). */
  jwt: JwtSettings;
  /** Extra plugins (Google sign-in, …). */
  plugins?: GraphileConfig.Plugin[];
  /**
   * The process's one LISTEN connection (lib/realtime/listener.ts), shared by
   * every role's instance; without it an instance would open its own.
   */
  pgSubscriber?: GrafastSubscriber<Record<string, string>>;
  /** Query limits and error codes (lib/graphql/; README "Limits"); the defaults when absent. */
  limits?: QueryLimits;
}

export function makePreset(options: PresetOptions): GraphileConfig.Preset {
  const role = options.role ?? ANONYMOUS_ROLE;
  return {
    extends: [PostGraphileAmberPreset, makeLimitsPreset(options.limits ?? defaultQueryLimits)],
    plugins: options.plugins ?? [],
    pgServices: [
      // Our own pool, so shutdown can end it after PostGraphile is released.
      makePgService({
        pool: options.pool,
        schemas: ["app_public"],
        // Introspection is start-up work, not a request: the request pools'
        // statement_timeout (DATABASE_STATEMENT_TIMEOUT_MS) must not fail a
        // start on a busy database.
        pgSettingsForIntrospection: { role, statement_timeout: "0" },
        pgSubscriber: options.pgSubscriber,
      }),
    ],
    gather: {
      // SQL functions returning this composite type return a signed JWT.
      pgJwtTypes: ["app_public.jwt_token"],
    },
    schema: {
      pgJwtSecret: options.jwt.keys.privateKey,
      pgJwtSignOptions: signOptions(options.jwt),
    },
    grafserv: {
      graphqlPath: "/graphql",
      // Ruru (the GraphQL IDE) is a development tool only.
      graphiql: options.development,
      graphiqlOnGraphQLGET: options.development,
      graphiqlPath: "/graphiql",
      watch: false,
      // Subscriptions over graphql-ws. The instances register no upgrade
      // handler of their own: lib/realtime/websocket.ts owns /graphql's
      // upgrades, authenticates the socket, then hands each operation to the
      // instance of its role.
      websockets: true,
      maskError,
    },
    grafast: {
      context(requestContext) {
        // An HTTP request, or a websocket's upgrade request for an operation on it.
        const req = requestContext.expressv4?.req ?? requestContext.node?.req ?? requestContext.ws?.request;
        // The token was verified before the request was routed here
        // (lib/http/app.ts, or lib/realtime/websocket.ts when the socket
        // opened); an instance only ever runs as its own role.
        const auth = req ? requestAuth(req) : anonymousAuth;
        if (auth.role !== role) throw new Error(`request for ${auth.role} reached the ${role} schema`);
        return { pgSettings: pgSettingsFor(auth) };
      },
    },
  };
}
