// Configuration errors stop start-up with one clear message naming the variable.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../lib/config.ts";

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
