// The PostGraphile 5 preset. Built by a function because the connection URLs
// and the per-request settings are only known at run time.
import type { IncomingMessage } from "node:http";
import type pg from "pg";
import { makePgService } from "postgraphile/adaptors/pg";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { ANONYMOUS_ROLE } from "./db/roles.ts";
import { maskError } from "./lib/errors.ts";

export interface PresetOptions {
  /** A pool logged in as the authenticator: PostGraphile never connects as the owner. */
  pool: pg.Pool;
  development: boolean;
  /** Per-request PostgreSQL settings (role, jwt claims). Throw a coded GraphQLError to refuse. */
  pgSettingsFor?: (req: IncomingMessage) => Promise<Record<string, string>> | Record<string, string>;
}

export function makePreset(options: PresetOptions): GraphileConfig.Preset {
  const pgSettingsFor = options.pgSettingsFor ?? (() => ({ role: ANONYMOUS_ROLE }));
  return {
    extends: [PostGraphileAmberPreset],
    pgServices: [
      // Our own pool, so shutdown can end it after PostGraphile is released.
      makePgService({ pool: options.pool, schemas: ["app_public"] }),
    ],
    grafserv: {
      graphqlPath: "/graphql",
      // Ruru (the GraphQL IDE) is a development tool only.
      graphiql: options.development,
      graphiqlOnGraphQLGET: options.development,
      graphiqlPath: "/graphiql",
      watch: false,
      websockets: false,
      maskError,
    },
    grafast: {
      async context(requestContext) {
        const req = requestContext.expressv4?.req ?? requestContext.node?.req;
        const pgSettings = req ? await pgSettingsFor(req) : { role: ANONYMOUS_ROLE };
        return { pgSettings };
      },
    },
  };
}
