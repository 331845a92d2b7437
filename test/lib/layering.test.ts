// Imports run one way: the entry (server.ts, lib/lifecycle.ts) → HTTP and
// worker → the database runtime (lib/db/), never back. A module of lib/db/
// that imported the HTTP layer or a task would drag the whole server into
// `npm run db:migrate` and make cycles possible.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.join(import.meta.dirname, "..", "..");

/** Relative imports of every .ts file under a folder, resolved to repository paths. */
function importsOf(folder: string): { file: string; target: string }[] {
  const found: { file: string; target: string }[] = [];
  for (const name of readdirSync(path.join(root, folder), { recursive: true }).map(String)) {
    if (!name.endsWith(".ts")) continue;
    const file = path.join(folder, name);
    const source = readFileSync(path.join(root, file), "utf8");
    for (const match of source.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)) {
      found.push({ file, target: path.normalize(path.join(path.dirname(file), match[1]!)) });
    }
  }
  return found;
}

describe("import direction", () => {
  it("lib/db/ imports only lib/db/, the configuration and the logger", () => {
    const allowed = (target: string) =>
      target.startsWith(`lib${path.sep}db${path.sep}`) || target === path.join("lib", "config.ts") || target === path.join("lib", "logger.ts");
    const wrong = importsOf(path.join("lib", "db")).filter(({ target }) => !allowed(target));
    expect(wrong).toEqual([]);
  });

  it("nothing under lib/ or tasks/ imports the entry, and only the entry starts HTTP and the worker together", () => {
    const all = [...importsOf("lib"), ...importsOf("tasks")];
    expect(all.filter(({ target }) => target === "server.ts")).toEqual([]);
    const lifecycleUsers = all.filter(({ target }) => target === path.join("lib", "lifecycle.ts"));
    expect(lifecycleUsers).toEqual([]);
  });

  it("the HTTP layer and the tasks never import each other", () => {
    const httpToTasks = importsOf(path.join("lib", "http")).filter(({ target }) => target.startsWith(`tasks${path.sep}`));
    const tasksToHttp = importsOf("tasks").filter(({ target }) => target.startsWith(`lib${path.sep}http${path.sep}`));
    expect([...httpToTasks, ...tasksToHttp]).toEqual([]);
  });
});
