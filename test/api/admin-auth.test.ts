// Administrators over HTTP: created by the DBA command (npm run admin:create,
// password on stdin), signed in through the same authenticate mutation as
// merchants, their token carrying admin_id; the audit log readable with it,
// absent from the merchant's and the anonymous schemas.
import { spawn } from "node:child_process";
import path from "node:path";
import jwt from "jsonwebtoken";
import { describe, expect, it } from "vitest";
import { adminHeaders, bearer } from "../helpers/auth.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { createAdmin, createMerchant } from "../helpers/fixtures.ts";
import { useTestServer } from "../helpers/server.ts";

const db = useTestDatabase();
const server = useTestServer(db);
const root = path.join(import.meta.dirname, "..", "..");

const AUTHENTICATE = `mutation ($email: String!, $password: String!) { authenticate(input: { email: $email, password: $password }) { jwtToken } }`;
const AUDIT_LOG =
  "{ allAdminAuditLogs(orderBy: ROW_ID_DESC) { nodes { action targetType targetId adminEmail reason } } }";

function adminCreate(
  email: string,
  stdin: string,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      path.join(root, "node_modules", ".bin", "node"),
      ["lib/admin/cli.ts", "create", email],
      {
        cwd: root,
        env: {
          ...process.env,
          NODE_ENV: "test",
          DATABASE_URL: db().ownerUrl,
          AUTH_DATABASE_URL: db().authUrl,
          LOG_LEVEL: "warn",
        },
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
    child.stdin.end(stdin);
  });
}

async function signIn(email: string, password: string) {
  return (
    await server().graphql<{ authenticate: { jwtToken: string } | null }>(
      AUTHENTICATE,
      { email, password },
    )
  ).body;
}

describe("npm run admin:create", () => {
  it("creates an admin from the password on stdin, who then signs in over HTTP and gets an admin token", async () => {
    const created = await adminCreate(
      "ops@example.test",
      "a long admin password\n",
    );
    expect(created.output).toMatch(
      /Administrator ops@example\.test created \([0-9a-f-]{36}\)\./,
    );
    expect(created.code).toBe(0);
    const body = await signIn("ops@example.test", "a long admin password");
    expect(body.errors).toBeUndefined();
    const claims = jwt.decode(
      body.data!.authenticate!.jwtToken,
    ) as jwt.JwtPayload;
    expect(claims).toMatchObject({
      role: "waitify_admin",
      sub: claims.admin_id,
    });
    expect(claims.user_id ?? null).toBeNull();
    // The trailing newline of the pipe is not part of the password.
    expect(
      (await signIn("ops@example.test", "a long admin password\n")).errors?.[0]
        ?.extensions?.code,
    ).toBe("INVALID_CREDENTIALS");
  });

  it("refuses a short password or a merchant's address with our message and a non-zero exit, creating nothing", async () => {
    const merchant = await createMerchant(db());
    const short = await adminCreate("short@example.test", "too short");
    expect(short.code).toBe(1);
    expect(short.output).toContain(
      "An administrator's password must be at least 12 characters long.",
    );
    const taken = await adminCreate(merchant.email, "a long admin password");
    expect(taken.code).toBe(1);
    expect(taken.output).toContain(
      "An account already exists with this email address.",
    );
    const { rows } = await db().root.query(
      "select count(*)::int as n from app_private.admins where email in ('short@example.test', $1)",
      [merchant.email],
    );
    expect(rows[0].n).toBe(0);
  });
});

describe("the admin's session", () => {
  it("reads the audit log; merchants and anonymous clients do not even see it in their schema", async () => {
    const admin = await createAdmin(db());
    const read = await server().graphql<{
      allAdminAuditLogs: { nodes: unknown[] };
    }>(AUDIT_LOG, {}, admin.headers);
    expect(read.body.errors).toBeUndefined();
    expect(Array.isArray(read.body.data!.allAdminAuditLogs.nodes)).toBe(true);

    const merchant = await createMerchant(db());
    for (const headers of [merchant.headers, {}]) {
      const refused = await server().graphql(AUDIT_LOG, {}, headers);
      expect(refused.body.data).toBeUndefined();
      expect(refused.body.errors?.[0]?.message).toMatch(
        /Cannot query field "allAdminAuditLogs"/,
      );
    }
  });

  it("an admin-role token naming no administrator still reads (writes refuse it: test/db/admin/admins.test.ts)", async () => {
    const read = await server().graphql<{
      allAdminAuditLogs: { nodes: unknown[] };
    }>(AUDIT_LOG, {}, adminHeaders());
    expect(read.body.errors).toBeUndefined();
  });

  it("a merchant token that claims an admin id is refused outright", async () => {
    const merchant = await createMerchant(db());
    const { signToken } = await import("../../lib/auth/jwt.ts");
    const { testJwt } = await import("../helpers/auth.ts");
    const forged = signToken(
      {
        role: "waitify_merchant",
        user_id: merchant.userId,
        sub: merchant.userId,
        admin_id: merchant.userId,
      },
      testJwt,
    );
    const answer = await server().graphql(AUDIT_LOG, {}, bearer(forged));
    expect(answer.status).toBe(401);
    expect(answer.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });
});
