// Configuration errors stop start-up with one clear message naming the variable.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../lib/config.ts";
import { defaultRateLimits, rateLimitsFromConfig } from "../../lib/http/rate-limit/settings.ts";
import { start } from "../../lib/lifecycle.ts";

const root = path.join(import.meta.dirname, "..", "..");

describe("loadConfig", () => {
  it("applies defaults for an empty environment", () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.WORKER).toBe("on");
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it("names a malformed variable", () => {
    expect(() => loadConfig({ PORT: "not-a-port" })).toThrowError(ConfigError);
    expect(() => loadConfig({ PORT: "not-a-port" })).toThrowError(/PORT/);
    expect(() => loadConfig({ WORKER: "maybe" })).toThrowError(/WORKER: must be one of on, off/);
    expect(() => loadConfig({ DATABASE_URL: "mysql://x", AUTH_DATABASE_URL: "postgres://a@b/c" })).toThrowError(
      /DATABASE_URL: must be a postgres:\/\/ connection URL/,
    );
  });

  it("requires the authenticator URL with an external database", () => {
    expect(() => loadConfig({ DATABASE_URL: "postgres://owner:pw@db/waitify" })).toThrowError(/AUTH_DATABASE_URL/);
  });

  it("never echoes a value, which may be a secret", () => {
    try {
      loadConfig({ DATABASE_URL: "mysql://user:s3cret@db/x", AUTH_DATABASE_URL: "postgres://a@b/c" });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain("s3cret");
    }
  });
});

describe("observability variables", () => {
  it("takes a metrics token and refuses a short one without echoing it", () => {
    expect(loadConfig({ METRICS_TOKEN: "0123456789abcdef0123" }).METRICS_TOKEN).toBe("0123456789abcdef0123");
    expect(loadConfig({}).METRICS_TOKEN).toBeUndefined();
    expect(() => loadConfig({ METRICS_TOKEN: "short-secret" })).toThrowError(/METRICS_TOKEN: must be 16 to 200 characters/);
    expect(() => loadConfig({ METRICS_TOKEN: "with spaces in it 0123456789" })).toThrowError(/METRICS_TOKEN/);
    try {
      loadConfig({ METRICS_TOKEN: "short-secret" });
    } catch (error) {
      expect((error as Error).message).not.toContain("short-secret");
    }
  });

  it("reads CORS_ORIGINS as a list of origins, and refuses paths and other schemes", () => {
    expect(loadConfig({ CORS_ORIGINS: "https://app.example, http://localhost:5173," }).CORS_ORIGINS).toEqual(["https://app.example", "http://localhost:5173"]);
    expect(loadConfig({}).CORS_ORIGINS).toBeUndefined();
    expect(() => loadConfig({ CORS_ORIGINS: "https://app.example/path" })).toThrowError(/CORS_ORIGINS/);
    expect(() => loadConfig({ CORS_ORIGINS: "*" })).toThrowError(/CORS_ORIGINS/);
    expect(() => loadConfig({ CORS_ORIGINS: "ftp://files.example" })).toThrowError(/CORS_ORIGINS/);
  });

  it("knows LOG_FORMAT", () => {
    expect(loadConfig({ LOG_FORMAT: "json" }).LOG_FORMAT).toBe("json");
    expect(() => loadConfig({ LOG_FORMAT: "xml" })).toThrowError(/LOG_FORMAT/);
  });
});

describe("Stripe variables", () => {
  const key = "sk_test_51abcDEF";

  it("leaves billing off without a key, and takes a key, a webhook secret and an API base", () => {
    expect(loadConfig({}).STRIPE_SECRET_KEY).toBeUndefined();
    const config = loadConfig({ STRIPE_SECRET_KEY: key, STRIPE_WEBHOOK_SECRET: "whsec_abc", STRIPE_API_URL: "http://127.0.0.1:12111/" });
    expect(config).toMatchObject({ STRIPE_SECRET_KEY: key, STRIPE_WEBHOOK_SECRET: "whsec_abc", STRIPE_API_URL: "http://127.0.0.1:12111" });
  });

  it("reads STRIPE_PRICES as lookup_key=price_id pairs", () => {
    const config = loadConfig({ STRIPE_SECRET_KEY: key, STRIPE_PRICES: "waitify_basic_monthly=price_1A, waitify_basic_sms_overage=price_2B" });
    expect(config.STRIPE_PRICES).toEqual({ waitify_basic_monthly: "price_1A", waitify_basic_sms_overage: "price_2B" });
    expect(() => loadConfig({ STRIPE_SECRET_KEY: key, STRIPE_PRICES: "basic=price_1" })).toThrowError(/STRIPE_PRICES: must be a comma-separated list/);
  });

  it("refuses malformed values without echoing them", () => {
    expect(() => loadConfig({ STRIPE_SECRET_KEY: "pk_test_publishable" })).toThrowError(/STRIPE_SECRET_KEY: must be a Stripe secret or restricted key/);
    expect(() => loadConfig({ STRIPE_SECRET_KEY: key, STRIPE_API_URL: "http://127.0.0.1:12111/v1" })).toThrowError(/STRIPE_API_URL/);
    try {
      loadConfig({ STRIPE_SECRET_KEY: "sk_live_s3cr3t!", STRIPE_WEBHOOK_SECRET: "whsec_t0p-secret" });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toMatch(/STRIPE_SECRET_KEY.*STRIPE_WEBHOOK_SECRET/);
      expect((error as Error).message).not.toMatch(/s3cr3t|t0p-secret/);
    }
  });

  it("calls half a configuration a mistake: the other Stripe variables need the key", () => {
    expect(() => loadConfig({ STRIPE_WEBHOOK_SECRET: "whsec_abc", STRIPE_API_URL: "http://127.0.0.1:1" })).toThrowError(
      "Invalid configuration: STRIPE_SECRET_KEY: is required when STRIPE_WEBHOOK_SECRET, STRIPE_API_URL are set",
    );
  });

  it("the API refuses to start with a key but no webhook secret, before touching the database", async () => {
    const config = loadConfig({ STRIPE_SECRET_KEY: key, DATABASE_URL: "postgres://nobody@127.0.0.1:1/none", AUTH_DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" });
    await expect(start(config, "all")).rejects.toThrowError(/STRIPE_WEBHOOK_SECRET: is required when STRIPE_SECRET_KEY is set/);
  });
});

describe("rate-limit variables", () => {
  it("reads <count>/<window> limits and TRUST_PROXY's forms, into the settings startHttp takes", () => {
    const config = loadConfig({ RATE_LIMIT_REQUESTS: "50/30", RATE_LIMIT_JOIN_PER_PHONE: " 3 / 2h ", TRUST_PROXY: "loopback, 10.0.0.0/8" });
    expect(config.RATE_LIMIT_REQUESTS).toEqual({ points: 50, seconds: 30 });
    expect(config.RATE_LIMIT_JOIN_PER_PHONE).toEqual({ points: 3, seconds: 7_200 });
    expect(config.TRUST_PROXY).toEqual(["loopback", "10.0.0.0/8"]);
    expect(loadConfig({ TRUST_PROXY: "2" }).TRUST_PROXY).toBe(2);
    const defaults = rateLimitsFromConfig(loadConfig({}));
    expect(defaults).toEqual(defaultRateLimits);
    expect(loadConfig({}).TRUST_PROXY).toBe(false);
    expect(rateLimitsFromConfig(loadConfig({ RATE_LIMITS: "off" })).enabled).toBe(false);
  });

  it("refuses malformed limits and proxies, naming each", () => {
    expect(() => loadConfig({ RATE_LIMIT_REQUESTS: "lots", RATE_LIMIT_JOIN_PER_QUEUE: "0/1m", TRUST_PROXY: "the proxy", RATE_LIMITS: "maybe" })).toThrowError(
      /RATE_LIMITS: must be one of on, off; TRUST_PROXY: must be .*; RATE_LIMIT_REQUESTS: must be "<count>\/<window>".*; RATE_LIMIT_JOIN_PER_QUEUE: must count at least 1/,
    );
  });
});

describe("server start-up with a bad configuration", () => {
  it("exits non-zero with one line naming the variable and no stack trace", () => {
    const result = spawnSync(process.execPath, ["server.ts"], {
      cwd: root,
      env: { ...process.env, PORT: "eighty", NODE_ENV: "test" },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe("Invalid configuration: PORT: Invalid input: expected number, received NaN");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
