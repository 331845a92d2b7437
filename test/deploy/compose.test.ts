// No Docker engine runs here, so the production compose file is checked as
// data: its services, their order of start, and that every variable it sets
// is one Waitify actually reads.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { configVariables } from "../../lib/config.ts";

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
  ports?: string[];
}

const root = path.join(import.meta.dirname, "..", "..");
const compose = parse(readFileSync(path.join(root, "docker-compose.yml"), "utf8"), { merge: true }) as {
  services: Record<string, Service>;
};
const { postgres, migrate, api, worker } = compose.services;

describe("docker-compose.yml", () => {
  it("has PostgreSQL 18, a one-shot migration, the API and a worker", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["api", "migrate", "postgres", "worker"]);
    expect(postgres!.image).toBe("postgres:18");
    expect(migrate!.restart).toBe("no");
    expect(migrate!.command!.join(" ")).toContain("db/cli.ts migrate");
    expect(api!.command).toEqual(["node", "server.ts"]);
    expect(worker!.command).toEqual(["node", "server.ts", "worker"]);
  });

  it("starts the API and the worker only after the migration succeeded", () => {
    expect(migrate!.depends_on).toEqual({ postgres: { condition: "service_healthy" } });
    for (const service of [api!, worker!]) {
      expect(service.depends_on).toEqual({ migrate: { condition: "service_completed_successfully" } });
      expect(service.environment!.MIGRATE_ON_START).toBe("false");
    }
    expect(api!.environment!.WORKER).toBe("off");
  });

  it("gives the API its session keys, required from the environment", () => {
    expect(api!.environment!.JWT_PRIVATE_KEY).toBe("${JWT_PRIVATE_KEY:?set JWT_PRIVATE_KEY}");
    expect(api!.environment!.JWT_PUBLIC_KEY).toBe("${JWT_PUBLIC_KEY:?set JWT_PUBLIC_KEY}");
  });

  it("gives every service both database roles' URLs, pointing at the postgres service", () => {
    for (const service of [migrate!, api!, worker!]) {
      expect(service.environment!.DATABASE_URL).toMatch(/^postgres:\/\/waitify_owner:.*@postgres:5432\/waitify$/);
      expect(service.environment!.AUTH_DATABASE_URL).toMatch(/^postgres:\/\/waitify_authenticator:.*@postgres:5432\/waitify$/);
    }
    expect(migrate!.environment!.ROOT_DATABASE_URL).toMatch(/@postgres:5432\/postgres$/);
  });

  it("sends SMS from the worker through SNS", () => {
    expect(worker!.environment!.SMS_PROVIDER).toBe("sns");
    expect(worker!.environment!.AWS_REGION).toBeTruthy();
    expect(worker!.environment!.PUBLIC_URL).toBe("${PUBLIC_URL:?set PUBLIC_URL}");
  });

  it("sends email from the worker through an SMTP relay given by the environment", () => {
    expect(worker!.environment!.EMAIL_PROVIDER).toBe("smtp");
    expect(worker!.environment!.SMTP_URL).toBe("${SMTP_URL:?set SMTP_URL}");
  });

  it("sets only variables that Waitify (or the AWS SDK) reads, and takes secrets from the environment", () => {
    const awsSdkVariables = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"];
    for (const service of [migrate!, api!, worker!]) {
      for (const name of Object.keys(service.environment!)) expect([...configVariables, ...awsSdkVariables]).toContain(name);
    }
    const text = readFileSync(path.join(root, "docker-compose.yml"), "utf8");
    // Passwords are required interpolations, never literals.
    expect(text).toMatch(/\$\{POSTGRES_PASSWORD:\?/);
    expect(text).not.toMatch(/PASSWORD: [^$\s]/);
  });
});
