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

// "<count>/<window>": 1000/1m, 5/1h, 30/600 (seconds when no unit).
const rateWindow = z
  .string()
  .regex(/^\s*\d{1,9}\s*\/\s*\d{1,6}\s*[smh]?\s*$/, { message: 'must be "<count>/<window>" such as "1000/1m", "5/1h" or "30/600" (seconds)' })
  .transform((value) => parseRateWindow(value))
  .refine((window) => window.points >= 1 && window.seconds >= 1 && window.seconds <= 7 * 86_400, {
    message: "must count at least 1 in a window of 1 second to 7 days",
  });

/** "30/10m" → { points: 30, seconds: 600 } (already validated). */
function parseRateWindow(value: string): { points: number; seconds: number } {
  const [count, window] = value.replace(/\s+/g, "").split("/") as [string, string];
  const unit = { s: 1, m: 60, h: 3_600 }[window.slice(-1)] ?? 1;
  return { points: Number(count), seconds: Number.parseInt(window, 10) * unit };
}

// Express's "trust proxy": false, true (every hop: only behind a proxy that
// overwrites X-Forwarded-For), a number of hops, or addresses / subnets /
// loopback, linklocal, uniquelocal, comma-separated.
const trustProxyEntry = /^(loopback|linklocal|uniquelocal|[0-9a-f.:]+(\/\d{1,3})?)$/i;
const trustProxy = z
  .string()
  .refine(
    (value) => /^(true|false|\d{1,2})$/.test(value.trim()) || value.split(",").every((entry) => trustProxyEntry.test(entry.trim())),
    { message: 'must be false, true, a number of proxies, or addresses/subnets ("loopback, 10.0.0.0/8")' },
  )
  .transform((value): boolean | number | string[] => {
    const trimmed = value.trim();
    if (trimmed === "true" || trimmed === "false") return trimmed === "true";
    if (/^\d+$/.test(trimmed)) return Number(trimmed);
    return trimmed.split(",").map((entry) => entry.trim());
  });

// A PEM key, from a file's contents or an environment line with "\n" escapes.
const pemKey = (kind: "PRIVATE KEY" | "PUBLIC KEY") =>
  z
    .string()
    .transform((value) => value.replace(/\\n/g, "\n").trim())
    .refine((value) => new RegExp(`^-----BEGIN (RSA )?${kind}-----[\\s\\S]+-----END (RSA )?${kind}-----$`).test(value), {
      message: `must be a PEM ${kind.toLowerCase()} (-----BEGIN ${kind}-----…)`,
    });

const variables = z.object({
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
  // How often a worker frees the jobs of worker processes that died (lib/worker-liveness.ts).
  WORKER_RECOVERY_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(20),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
  // Bounded cost per request (lib/graphql/limits.ts; README "Limits"). Every
  // limit is checked before Grafast plans the document. QUERY_LIMITS=off turns
  // the query limits off (benchmarks, development tools), never the default.
  QUERY_LIMITS: onOff.default("on"),
  GRAPHQL_MAX_BODY_BYTES: z.coerce.number().int().min(1_000).max(10_000_000).default(100_000),
  QUERY_MAX_BYTES: z.coerce.number().int().min(100).max(10_000_000).default(20_000),
  QUERY_MAX_FIELDS: z.coerce.number().int().min(10).max(100_000).default(400),
  QUERY_MAX_ALIASES: z.coerce.number().int().min(0).max(100_000).default(30),
  QUERY_MAX_DEPTH: z.coerce.number().int().min(2).max(1_000).default(12),
  QUERY_MAX_LISTS: z.coerce.number().int().min(1).max(10_000).default(20),
  QUERY_MAX_COST: z.coerce.number().int().min(1).max(1_000_000_000).default(50_000),
  PAGE_SIZE_MAX: z.coerce.number().int().min(1).max(1_000_000).default(1_000),
  PAGE_SIZE_DEFAULT: z.coerce.number().int().min(1).max(1_000_000).default(200),
  // Unset: 100 ms in production, 500 ms otherwise (lib/graphql/limits.ts).
  PLANNING_TIMEOUT_MS: z.coerce.number().int().min(10).max(600_000).optional(),
  // statement_timeout of the API's database sessions (every request role); 0 = none.
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(5_000),
  // How long a client may take to send a whole request, and its headers.
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(30_000),
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(10_000),
  // Rate limits (lib/http/rate-limit/; README "Rate limits"), counted in
  // PostgreSQL so every API process counts together. RATE_LIMITS=off turns
  // them off (load tests, development tools), never the default. A limit is
  // "<count>/<window>", the window in s, m or h ("1000/1m").
  RATE_LIMITS: onOff.default("on"),
  TRUST_PROXY: trustProxy.prefault("false"),
  RATE_LIMIT_REQUESTS: rateWindow.prefault("1000/1m"),
  RATE_LIMIT_JOIN_PER_ADDRESS: rateWindow.prefault("30/10m"),
  RATE_LIMIT_JOIN_PER_PHONE: rateWindow.prefault("5/1h"),
  RATE_LIMIT_JOIN_PER_QUEUE: rateWindow.prefault("60/1m"),
  RATE_LIMIT_AUTH_PER_ADDRESS: rateWindow.prefault("30/15m"),
  RATE_LIMIT_RESET_PER_ACCOUNT: rateWindow.prefault("5/1h"),
  RATE_LIMIT_LOGIN_FREE_FAILURES: z.coerce.number().int().min(1).max(1_000).default(5),
  RATE_LIMIT_LOGIN_MAX_DELAY_S: z.coerce.number().int().min(1).max(86_400).default(900),
  RATE_LIMIT_LOGIN_ACCOUNT_FREE_FAILURES: z.coerce.number().int().min(1).max(100_000).default(20),
  RATE_LIMIT_LOGIN_ACCOUNT_MAX_DELAY_S: z.coerce.number().int().min(1).max(86_400).default(60),
  RATE_LIMIT_WS_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(1).max(100_000).default(100),
  RATE_LIMIT_WS_SUBSCRIBES_PER_SOCKET: rateWindow.prefault("100/1m"),
  RATE_LIMIT_STORE_TIMEOUT_MS: z.coerce.number().int().min(10).max(60_000).default(200),
  RATE_LIMIT_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(4),
  // Read by lib/logger.ts at import; validated here so a typo is reported.
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  // Read by lib/logger.ts too: "json" keeps JSON lines in development (pino-pretty otherwise).
  LOG_FORMAT: z.enum(["pretty", "json"]).optional(),
  // GET /metrics (Prometheus) with this Bearer token; unset: no /metrics route (404).
  METRICS_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9._~+/=-]{16,200}$/, { message: "must be 16 to 200 characters without spaces (e.g. openssl rand -hex 32)" })
    .optional(),
  // Origins allowed to call /graphql from a browser: "https://a.example,https://b.example"; unset: same origin only.
  CORS_ORIGINS: z
    .string()
    .regex(/^\s*https?:\/\/[^\s/?#,]+\s*(,\s*https?:\/\/[^\s/?#,]+\s*)*,?\s*$/, {
      message: 'must be a comma-separated list of origins without path ("https://app.example.com,https://admin.example.com")',
    })
    .transform((value) => value.split(",").map((origin) => origin.trim()).filter(Boolean))
    .optional(),
  // Merchant sessions (lib/auth): RS256 key pair in PEM ("\n" escapes allowed).
  // Without them, development generates a pair once under .data/jwt/; a
  // production API refuses to start (lib/lifecycle.ts: the worker needs none).
  JWT_PRIVATE_KEY: pemKey("PRIVATE KEY").optional(),
  JWT_PUBLIC_KEY: pemKey("PUBLIC KEY").optional(),
  JWT_ISSUER: z.string().min(1).default("waitify"),
  JWT_AUDIENCE: z.string().min(1).default("waitify-api"),
  // A jsonwebtoken/ms duration: "15m", "1h", "3600" (seconds).
  JWT_EXPIRES_IN: z
    .string()
    .regex(/^\d+(\s?(s|m|h|d))?$/, { message: 'must be a duration such as "15m", "1h" or "3600"' })
    .default("1h"),
  // Google sign-in: the OAuth client id (the ID token's audience); unset disables it.
  GOOGLE_CLIENT_ID: z.string().min(1).optional(),
  GOOGLE_JWKS_URL: z
    .string()
    .url({ message: "must be an http(s) URL" })
    .default("https://www.googleapis.com/oauth2/v3/certs"),
  // SMS (lib/sms): "log" only writes messages to the log (development);
  // "sns" publishes them through AWS SNS in AWS_REGION. Credentials come
  // from the AWS SDK's own chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,
  // a profile, or the instance role).
  SMS_PROVIDER: z.enum(["log", "sns"]).default("log"),
  AWS_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { message: 'must be an AWS region such as "eu-west-3"' }).optional(),
  // Another SNS endpoint (tests, LocalStack); unset means AWS's regional one.
  SNS_ENDPOINT: z.string().url({ message: "must be an http(s) URL" }).optional(),
  // Alphanumeric sender shown on phones where the country allows it (1–11 characters).
  SMS_SENDER_ID: z
    .string()
    .regex(/^(?=.*[A-Za-z])[A-Za-z0-9]{1,11}$/, { message: "must be 1 to 11 letters or digits, at least one letter" })
    .optional(),
  // Email (lib/email): "log" only writes emails to the log (development);
  // "smtp" sends them through SMTP_URL (smtp://user:pass@host:587, or
  // smtps://… for TLS from the start) with EMAIL_FROM as the sender.
  EMAIL_PROVIDER: z.enum(["log", "smtp"]).default("log"),
  SMTP_URL: z
    .string()
    .refine((value) => /^smtps?:\/\/[^\s/?#]+\/?(\?\S*)?$/.test(value) && (URL.parse(value)?.hostname ?? "") !== "", {
      message: "must be an smtp:// or smtps:// URL (smtp://user:pass@host:587)",
    })
    .optional(),
  EMAIL_FROM: z
    .string()
    .regex(/^(?:[^<>\r\n"]*<[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+)$/, {
      message: 'must be an address or "Name <address>"',
    })
    .default("Waitify <no-reply@waitify.local>"),
  // Base of the links in SMS (status page: PUBLIC_URL/e/<entry token>) and
  // emails (PUBLIC_URL/reset-password#token=…). Stored at start in
  // system_configs.public_url, where SQL renders messages.
  PUBLIC_URL: z
    .string()
    .regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, { message: "must be an http(s) URL without query or fragment" })
    .transform((value) => value.replace(/\/+$/, ""))
    .optional(),
  // Billing (lib/stripe). Without a secret key billing is not configured:
  // the API says BILLING_NOT_CONFIGURED and /health reports "not_configured".
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/, { message: "must be a Stripe secret or restricted key (sk_… or rk_…)" })
    .optional(),
  // Verifies /webhooks/stripe deliveries; required by the API when the key is set (lib/lifecycle.ts).
  STRIPE_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_[A-Za-z0-9_]+$/, { message: "must be a webhook signing secret (whsec_…)" })
    .optional(),
  // Another base for Stripe's API (tests: a local fake); unset means https://api.stripe.com.
  STRIPE_API_URL: z
    .string()
    .regex(/^https?:\/\/[^\s/?#]+\/?$/, { message: "must be an http(s) URL without path, query or fragment" })
    .transform((value) => value.replace(/\/+$/, ""))
    .optional(),
  // Price ids that override the lookup-key search of `npm run stripe:sync`:
  // "waitify_basic_monthly=price_…,waitify_basic_yearly=price_…". Each is
  // retrieved and checked against the plan before it is recorded.
  STRIPE_PRICES: z
    .string()
    .regex(/^\s*waitify_[a-z0-9_]{1,90}\s*=\s*price_[A-Za-z0-9_]+\s*(,\s*waitify_[a-z0-9_]{1,90}\s*=\s*price_[A-Za-z0-9_]+\s*)*,?\s*$/, {
      message: 'must be a comma-separated list of lookup_key=price_id ("waitify_basic_monthly=price_…,…")',
    })
    .transform((value) => parsePriceList(value))
    .optional(),
});

/** "a=price_1, b=price_2" → { a: "price_1", b: "price_2" } (already validated). */
function parsePriceList(value: string): Record<string, string> {
  const entries = value
    .split(",")
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => pair.split("=").map((part) => part.trim()) as [string, string]);
  return Object.fromEntries(entries);
}

/** Every variable Waitify reads (README's table and docker-compose are checked against it). */
export const configVariables = Object.keys(variables.shape);

const schema = variables.superRefine((env, ctx) => {
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
  // Tokens signed with a key nobody else has: both halves or neither.
  if (Boolean(env.JWT_PRIVATE_KEY) !== Boolean(env.JWT_PUBLIC_KEY)) {
    ctx.addIssue({
      code: "custom",
      path: [env.JWT_PRIVATE_KEY ? "JWT_PUBLIC_KEY" : "JWT_PRIVATE_KEY"],
      message: "is required with its pair (JWT_PRIVATE_KEY and JWT_PUBLIC_KEY go together)",
    });
  }
  if (env.SMS_PROVIDER === "sns" && !env.AWS_REGION) {
    ctx.addIssue({
      code: "custom",
      path: ["AWS_REGION"],
      message: 'is required when SMS_PROVIDER=sns (the SNS region, e.g. "eu-west-3")',
    });
  }
  if (env.EMAIL_PROVIDER === "smtp" && !env.SMTP_URL) {
    ctx.addIssue({
      code: "custom",
      path: ["SMTP_URL"],
      message: "is required when EMAIL_PROVIDER=smtp (smtp://user:pass@host:587 or smtps://…)",
    });
  }
  // Half a Stripe configuration is a mistake, not "billing off": say so.
  if (!env.STRIPE_SECRET_KEY) {
    const without = (["STRIPE_WEBHOOK_SECRET", "STRIPE_API_URL", "STRIPE_PRICES"] as const).filter((name) => env[name] !== undefined);
    if (without.length > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["STRIPE_SECRET_KEY"],
        message: `is required when ${without.join(", ")} ${without.length > 1 ? "are" : "is"} set`,
      });
    }
  }
  if (env.PAGE_SIZE_DEFAULT > env.PAGE_SIZE_MAX) {
    ctx.addIssue({ code: "custom", path: ["PAGE_SIZE_DEFAULT"], message: "must not be larger than PAGE_SIZE_MAX" });
  }
  if (env.QUERY_MAX_BYTES > env.GRAPHQL_MAX_BODY_BYTES) {
    ctx.addIssue({ code: "custom", path: ["QUERY_MAX_BYTES"], message: "must not be larger than GRAPHQL_MAX_BODY_BYTES (the body holds the query)" });
  }
  if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) {
    ctx.addIssue({ code: "custom", path: ["HTTP_HEADERS_TIMEOUT_MS"], message: "must not be larger than HTTP_REQUEST_TIMEOUT_MS" });
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
