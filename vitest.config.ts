import { defineConfig } from "vitest/config";

// The global set-up (embedded PostgreSQL, template database) logs through
// lib/logger.ts in this process: keep it quiet unless asked.
process.env.LOG_LEVEL ??= "warn";

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
