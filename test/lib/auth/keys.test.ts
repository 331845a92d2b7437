// The session key pair: configured keys are checked as a pair, development
// generates one once and reuses it, production refuses to start without.
import { mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { generateJwtKeys, loadJwtKeys } from "../../../lib/auth/keys.ts";
import { ConfigError, loadConfig } from "../../../lib/config.ts";
import { start } from "../../../lib/lifecycle.ts";

describe("loadJwtKeys", () => {
  it("generates a pair once into the data folder and reuses it", async () => {
    const folder = path.join(await mkdtemp(path.join(tmpdir(), "waitify-jwt-")), "jwt");
    const first = await loadJwtKeys({ production: false, folder });
    const second = await loadJwtKeys({ production: false, folder });
    expect(second).toEqual(first);
    expect(await readFile(path.join(folder, "private.pem"), "utf8")).toBe(first.privateKey);
    expect((await stat(path.join(folder, "private.pem"))).mode & 0o777).toBe(0o600);
  });

  it("uses configured keys, and refuses halves of different pairs", async () => {
    const a = generateJwtKeys();
    const b = generateJwtKeys();
    expect(await loadJwtKeys({ ...a, production: true })).toEqual(a);
    await expect(loadJwtKeys({ privateKey: a.privateKey, publicKey: b.publicKey, production: true })).rejects.toThrow(
      /not the public half/,
    );
  });

  it("refuses to generate keys in production", async () => {
    await expect(loadJwtKeys({ production: true })).rejects.toThrow(/required in production/);
  });
});

describe("JWT configuration", () => {
  it("stops a production API's start-up without keys, naming the variable, before touching the database", async () => {
    const config = loadConfig({ NODE_ENV: "production", DATABASE_URL: "postgres://nobody@127.0.0.1:1/none", AUTH_DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" });
    await expect(start(config, "all")).rejects.toThrowError(ConfigError);
    await expect(start(config, "all")).rejects.toThrowError(/JWT_PRIVATE_KEY: is required in production/);
  });

  it("accepts PEM keys with escaped newlines, as an environment line carries them", () => {
    const keys = generateJwtKeys();
    const config = loadConfig({
      NODE_ENV: "production",
      JWT_PRIVATE_KEY: keys.privateKey.replace(/\n/g, "\\n"),
      JWT_PUBLIC_KEY: keys.publicKey.replace(/\n/g, "\\n"),
    });
    expect(config.JWT_PRIVATE_KEY).toBe(keys.privateKey.trim());
    expect(config.JWT_EXPIRES_IN).toBe("1h");
    expect(config.JWT_ISSUER).toBe("waitify");
  });

  it("refuses one key without the other, a non-PEM key, a bad duration, a bad JWKS URL", () => {
    const keys = generateJwtKeys();
    expect(() => loadConfig({ JWT_PRIVATE_KEY: keys.privateKey })).toThrowError(/JWT_PUBLIC_KEY: is required with its pair/);
    expect(() => loadConfig({ JWT_PRIVATE_KEY: "secret", JWT_PUBLIC_KEY: keys.publicKey })).toThrowError(/JWT_PRIVATE_KEY: must be a PEM/);
    expect(() => loadConfig({ JWT_EXPIRES_IN: "forever" })).toThrowError(/JWT_EXPIRES_IN/);
    expect(() => loadConfig({ GOOGLE_JWKS_URL: "not a url" })).toThrowError(/GOOGLE_JWKS_URL/);
  });
});
