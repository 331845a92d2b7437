// The README's configuration table must list every variable the code reads.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { configVariables } from "../../lib/config.ts";

const readme = readFileSync(path.join(import.meta.dirname, "..", "..", "README.md"), "utf8");

describe("README", () => {
  it.each(configVariables)("documents %s in the configuration table", (name) => {
    expect(readme).toMatch(new RegExp(`^\\|\\s*\`${name}\`\\s*\\|`, "m"));
  });

  it("names the two commands", () => {
    expect(readme).toContain("npm install && npm start");
    expect(readme).toContain("npm test");
  });
});
