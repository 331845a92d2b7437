// Configuration is read once, from the environment only, and validated here.
// A missing or malformed variable stops start-up with one message naming it.
import { z } from "zod";

const postgresUrl = z
  .string()
  .refine((value) => /^postgres(ql)?:\/\/.+/.test(value), {
    message: "must be a postgres:// connection URL",
  });

const onOff = z.enum(["on", "off"]);
const booleanFlag = z.enum(["true", "false"]).transform((value) => value === "true");

const schema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    HOST: z.string().min(1).default("0.0.0.0"),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    DATABASE_URL: postgresUrl.optional(),
    AUTH_DATABASE_URL: postgresUrl.optional(),
    ROOT_DATABASE_URL: postgresUrl.optional(),
    SHADOW_DATABASE_URL: postgresUrl.optional(),
    EMBEDDED_PG_PORT: z.coerce.number().int().min(1024).max(65535).default(54320),
    EMBEDDED_PG_DIR: z.string().min(1).default(".data/pg"),
    MIGRATE_ON_START: booleanFlag.default(true),
    WORKER: onOff.default("on"),
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(5),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(20),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
  })
  .superRefine((env, ctx) => {
    // PostGraphile must log in as the NOINHERIT authenticator, never as the
    // owner (the owner bypasses row-level security), so an external database
    // needs both URLs.
    if (env.DATABASE_URL && !env.AUTH_DATABASE_URL) {
      ctx.addIssue({
        code: "custom",
        path: ["AUTH_DATABASE_URL"],
        message: "is required when DATABASE_URL is set (the authenticator role's connection URL)",
      });
    }
    if (env.AUTH_DATABASE_URL && !env.DATABASE_URL) {
      ctx.addIssue({
        code: "custom",
        path: ["DATABASE_URL"],
        message: "is required when AUTH_DATABASE_URL is set (the owner role's connection URL)",
      });
    }
  });

export type Config = z.output<typeof schema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Parses the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset: `FOO= npm start` should mean "use the default".
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ""));
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? "environment");
    // Never echo the value: it may be a secret.
    const message = issue.code === "invalid_value" ? `must be one of ${issue.values.join(", ")}` : issue.message;
    return `${name}: ${message}`;
  });
  throw new ConfigError(`Invalid configuration: ${lines.join("; ")}`);
}
