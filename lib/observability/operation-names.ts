// GraphQL operation names as metric labels, with a bounded number of values:
// the pages' own operations (found in web/*.js at start) always, then the
// first OTHER_NAMES_MAX other names seen (merchants' tools); anything beyond
// is "(other)", and a request without a name is "(anonymous)". A client
// inventing names cannot grow the metrics without limit.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const OTHER_NAMES_MAX = 50;
const WEB_ROOT = fileURLToPath(new URL("../../web/", import.meta.url));
const DECLARED = /\b(?:query|mutation|subscription)\s+([A-Z][_0-9A-Za-z]*)\s*[({]/g;

function pagesOperationNames(): Set<string> {
  const names = new Set<string>();
  for (const file of readdirSync(WEB_ROOT).filter((name) => name.endsWith(".js"))) {
    for (const match of readFileSync(WEB_ROOT + file, "utf8").matchAll(DECLARED)) names.add(match[1]!);
  }
  return names;
}

const known = pagesOperationNames();
const others = new Set<string>();

export function operationLabel(name: string | null | undefined): string {
  if (!name) return "(anonymous)";
  if (known.has(name) || others.has(name)) return name;
  if (others.size < OTHER_NAMES_MAX && /^[_A-Za-z][_0-9A-Za-z]{0,63}$/.test(name)) {
    others.add(name);
    return name;
  }
  return "(other)";
}

/** The names the pages use (tests). */
export function pagesOperations(): readonly string[] {
  return [...known];
}
