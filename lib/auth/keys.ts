// The RS256 key pair that signs merchant sessions. Production passes it in
// JWT_PRIVATE_KEY / JWT_PUBLIC_KEY (lib/config.ts refuses to start without);
// development generates one once into the git-ignored .data/jwt/ so sessions
// survive restarts; tests generate their own in memory.
import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { log } from "../logger.ts";

export interface JwtKeys {
  privateKey: string;
  publicKey: string;
}

/** A fresh 2048-bit RSA pair in PEM (PKCS#8 / SPKI). */
export function generateJwtKeys(): JwtKeys {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return { privateKey, publicKey };
}

/** Throws unless the two PEMs are an RSA pair (a swapped or mismatched pair fails at start-up, not at login). */
export function assertKeyPair(keys: JwtKeys): void {
  const privateKey = createPrivateKey(keys.privateKey);
  if (privateKey.asymmetricKeyType !== "rsa") throw new Error("JWT_PRIVATE_KEY must be an RSA key (RS256)");
  const derived = createPublicKey(privateKey).export({ type: "spki", format: "pem" }).toString();
  const given = createPublicKey(keys.publicKey).export({ type: "spki", format: "pem" }).toString();
  if (derived !== given) throw new Error("JWT_PUBLIC_KEY is not the public half of JWT_PRIVATE_KEY");
}

/** The configured pair, or (outside production) the one kept in `folder`, created on first use. */
export async function loadJwtKeys(options: {
  privateKey?: string;
  publicKey?: string;
  production: boolean;
  folder?: string;
}): Promise<JwtKeys> {
  if (options.privateKey && options.publicKey) {
    const keys = { privateKey: options.privateKey, publicKey: options.publicKey };
    assertKeyPair(keys);
    return keys;
  }
  if (options.production) throw new Error("JWT_PRIVATE_KEY and JWT_PUBLIC_KEY are required in production");
  const folder = options.folder ?? path.join(process.cwd(), ".data", "jwt");
  const privateFile = path.join(folder, "private.pem");
  const publicFile = path.join(folder, "public.pem");
  try {
    const keys = { privateKey: await readFile(privateFile, "utf8"), publicKey: await readFile(publicFile, "utf8") };
    assertKeyPair(keys);
    return keys;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const keys = generateJwtKeys();
  await mkdir(folder, { recursive: true, mode: 0o700 });
  // "wx": two processes starting at once must not overwrite each other's key.
  try {
    await writeFile(privateFile, keys.privateKey, { mode: 0o600, flag: "wx" });
    await writeFile(publicFile, keys.publicKey, { mode: 0o644, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return loadJwtKeys({ ...options, folder });
  }
  log.info("generated a development JWT key pair", { folder });
  return keys;
}
