// Benchmark dispatcher: `npm run bench -- <name>` runs bench/<name>.ts (its
// default export); `npm run bench` alone lists them. Each benchmark starts and
// stops its own embedded PostgreSQL (see bench/README.md).
import { readdirSync } from "node:fs";
import path from "node:path";

// Quiet by default: the benchmarks print their own results.
process.env.LOG_LEVEL ??= "warn";
process.env.NODE_ENV ??= "production";
// Grafast without its development-mode checks, whatever NODE_ENV says.
process.env.GRAPHILE_ENV ??= "production";

const folder = import.meta.dirname;
// A benchmark is bench/<name>.ts; helpers are named <name>-<part>.ts.
const available = readdirSync(folder)
  .filter((file) => file.endsWith(".ts") && file !== "run.ts" && !file.includes("-"))
  .map((file) => path.basename(file, ".ts"))
  .sort();

const names = process.argv.slice(2);
if (names.length === 0) {
  console.log(`usage: npm run bench -- <${available.join("|")}>`);
  process.exit(0);
}
for (const name of names) {
  if (!available.includes(name)) {
    console.error(`unknown benchmark "${name}"; available: ${available.join(", ")}`);
    process.exit(1);
  }
}
for (const name of names) {
  const bench = (await import(path.join(folder, `${name}.ts`))) as { default: () => Promise<void> };
  await bench.default();
}
