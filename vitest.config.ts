import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    // Each test file gets its own database cloned from a migrated template,
    // so files run in parallel; the machines have two cores.
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    env: { NODE_ENV: "test", GRAPHILE_ENV: "test", LOG_LEVEL: "warn" },
  },
});
