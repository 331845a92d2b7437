// lib/db/definitions.ts: the db/ files are listed once each, applied in one
// transaction after the migrations, skipped when unchanged, and an edited
// file reaches the database (also through `npm run db:watch`).
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { applyDefinitions, DB_SOURCE_DIR, fillPlaceholders, readDefinitionFiles } from "../../../lib/db/definitions.ts";
import { definitionPlaceholders } from "../../../lib/db/migrate.ts";
import { schemaSnapshot } from "../../../lib/db/schema-snapshot.ts";
import { useTestDatabase, type TestDatabase } from "../../helpers/db.ts";

const db = useTestDatabase();
const copies: string[] = [];
afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

/** A scratch copy of db/ to edit. */
function copyOfSource(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "waitify-db-"));
  copies.push(dir);
  cpSync(DB_SOURCE_DIR, dir, { recursive: true });
  return dir;
}

const apply = (database: TestDatabase, options: { force?: boolean; dir?: string } = {}) =>
  applyDefinitions(database.ownerUrl, { placeholders: definitionPlaceholders(database), ...options });

async function functionComment(signature: string): Promise<string | null> {
  const { rows } = await db().root.query<{ comment: string | null }>(
    "select obj_description($1::regprocedure, 'pg_proc') as comment",
    [signature],
  );
  return rows[0]!.comment;
}

describe("db/apply-order.txt", () => {
  it("lists every .sql file of db/, once", async () => {
    const files = await readDefinitionFiles();
    expect(files.length).toBeGreaterThanOrEqual(20);
    expect(files.map((file) => file.name)).toContain("queue/customer.sql");
    expect(new Set(files.map((file) => file.name)).size).toBe(files.length);
  });

  it("refuses a file that is not listed, a listed file that is missing, and a file listed twice", async () => {
    const unlisted = copyOfSource();
    writeFileSync(path.join(unlisted, "queue", "forgotten.sql"), "select 1;\n");
    await expect(readDefinitionFiles(unlisted)).rejects.toThrow("queue/forgotten.sql is not listed");

    const missing = copyOfSource();
    rmSync(path.join(missing, "sms", "usage.sql"));
    await expect(readDefinitionFiles(missing)).rejects.toThrow("sms/usage.sql is listed but does not exist");

    const twice = copyOfSource();
    appendFileSync(path.join(twice, "apply-order.txt"), "core/session.sql\n");
    await expect(readDefinitionFiles(twice)).rejects.toThrow("core/session.sql is listed twice");
  });
});

describe("placeholders", () => {
  it("fills the known placeholders and leaves casts, times and prose alone", () => {
    const sql = "grant usage on schema app_private to :DATABASE_AUTHENTICATOR; select '08:00'::time, :UNKNOWN, 'a : b';";
    expect(fillPlaceholders(sql, { ":DATABASE_AUTHENTICATOR": "auth_role" })).toBe(
      "grant usage on schema app_private to auth_role; select '08:00'::time, :UNKNOWN, 'a : b';",
    );
  });
});

describe("applying the definitions", () => {
  it("skips unchanged files, re-applies when forced, and the catalog is the same either way", async () => {
    const before = await schemaSnapshot(db().root);
    const skipped = await apply(db());
    expect(skipped.applied).toBe(false);
    const forced = await apply(db(), { force: true });
    expect(forced.applied).toBe(true);
    expect(forced.digest).toBe(skipped.digest);
    expect(await schemaSnapshot(db().root)).toBe(before);
    const { rows } = await db().root.query("select digest, files from app_private.applied_definitions");
    expect(rows).toEqual([{ digest: forced.digest, files: forced.files }]);
  });

  it("applies an edited file, and records the new digest", async () => {
    const dir = copyOfSource();
    const file = path.join(dir, "queue", "customer.sql");
    const edited = readFileSync(file, "utf8").replace(
      /comment on function app_public\.entry_status\(text\) is\n\s+'(?:[^']|'')*';/,
      "comment on function app_public.entry_status(text) is 'Edited in a test.';",
    );
    expect(edited).toContain("Edited in a test.");
    writeFileSync(file, edited);
    const result = await apply(db(), { dir });
    expect(result.applied).toBe(true);
    expect(await functionComment("app_public.entry_status(text)")).toBe("Edited in a test.");
    // Back to the real files for the other tests.
    await apply(db(), { force: true });
    expect(await functionComment("app_public.entry_status(text)")).not.toBe("Edited in a test.");
  });

  it("a broken file names itself and its line, and changes nothing (one transaction)", async () => {
    const before = await schemaSnapshot(db().root);
    const dir = copyOfSource();
    // An earlier file changes a comment; a later one has a syntax error.
    const session = path.join(dir, "core", "session.sql");
    writeFileSync(session, `${readFileSync(session, "utf8")}\ncomment on function app_public.current_user_id() is 'changed';\n`);
    const usage = path.join(dir, "sms", "usage.sql");
    writeFileSync(usage, `${readFileSync(usage, "utf8")}\ncreate or replace functio broken();\n`);
    const lines = readFileSync(usage, "utf8").split("\n").length;
    await expect(apply(db(), { dir, force: true })).rejects.toThrow(
      new RegExp(`^db/sms/usage\\.sql:${lines - 1}: syntax error`),
    );
    expect(await schemaSnapshot(db().root)).toBe(before);
  });
});

describe("npm run db:watch", () => {
  it("applies a saved db/ file at once", async () => {
    const dir = copyOfSource();
    const node = path.join(import.meta.dirname, "..", "..", "..", "node_modules", ".bin", "node");
    const child = spawn(node, ["lib/db/cli.ts", "watch", "--source", dir], {
      cwd: path.join(import.meta.dirname, "..", "..", ".."),
      env: {
        ...process.env,
        NODE_ENV: "test",
        DATABASE_URL: db().ownerUrl,
        AUTH_DATABASE_URL: db().authUrl,
        LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    try {
      await waitFor(() => output.includes("watching"), 30_000, () => output);
      const file = path.join(dir, "core", "session.sql");
      const saved = `${readFileSync(file, "utf8")}\ncomment on function app_public.current_user_id() is 'Saved while watching.';\n`;
      // Saved again every second until applied, as an editor would: Node's
      // recursive watch may still be walking the subfolders at the first save.
      let saves = 0;
      await waitFor(
        async () => {
          if (saves++ % 10 === 0) writeFileSync(file, saved);
          return (await functionComment("app_public.current_user_id()")) === "Saved while watching.";
        },
        30_000,
        () => output,
      );
    } finally {
      child.kill("SIGINT");
      await new Promise((resolve) => child.once("exit", resolve));
      await apply(db(), { force: true });
    }
  }, 60_000);
});

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, context: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out; output:\n${context()}`);
}
