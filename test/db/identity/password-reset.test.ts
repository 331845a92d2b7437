// Password reset in SQL (db/identity/password-reset.sql): the anonymous
// request only queues a keyed job, whatever the address; the worker's half
// (issue_password_reset, called here as the task calls it) makes a hashed,
// single-use, one-hour token and its email, at most three an hour; the reset
// takes the token once and sets a bcrypt hash. No worker runs here.
import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { asAnonymous, codeOf, failure, useTestDatabase } from "../../helpers/db.ts";
import { createBusiness, createMerchant, emailLogs } from "../../helpers/fixtures.ts";

const db = useTestDatabase();

const request = (email: string | null) =>
  asAnonymous(db(), (client) => client.query("select app_public.request_password_reset($1)", [email]), { commit: true });

const reset = (token: string | null, password: string | null) =>
  asAnonymous(db(), (client) => client.query("select app_public.reset_password($1, $2)", [token, password]), { commit: true });

const signIn = (email: string, password: string) =>
  codeOf(asAnonymous(db(), (client) => client.query("select app_public.authenticate($1, $2)", [email, password])));

/** What the password_reset task does for an address: the email log id, or null. */
async function issue(email: string): Promise<string | null> {
  const { rows } = await db().root.query<{ id: string | null }>("select app_private.issue_password_reset($1) as id", [email]);
  return rows[0]!.id;
}

/** The token in a queued (not yet sent, so not yet redacted) reset email. */
async function tokenOf(logId: string): Promise<string> {
  const [log] = await emailLogs(db(), "id = $1", [logId]);
  return /#token=([A-Za-z0-9_-]+)$/m.exec(log!.body)![1]!;
}

async function resetJobs(): Promise<Array<{ key: string; payload: unknown; max_attempts: number }>> {
  const { rows } = await db().root.query(
    `select j.key, j.payload, j.max_attempts
       from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
      where t.identifier = 'password_reset' order by j.id`,
  );
  return rows;
}

beforeAll(async () => {
  await db().root.query("update app_public.system_configs set value = 'https://waitify.example/' where key = 'public_url'");
});

describe("request_password_reset (anonymous)", () => {
  it("queues the same keyed job for an address with or without an account, and answers the same", async () => {
    await createMerchant(db(), { email: "known@example.test" });
    await db().root.query("delete from graphile_worker._private_jobs");
    const known = await request(" Known@Example.TEST ");
    const unknown = await request("unknown@example.test");
    expect(known.rows).toEqual(unknown.rows);
    expect(await resetJobs()).toEqual([
      { key: "password_reset:known@example.test", payload: { email: "known@example.test" }, max_attempts: 5 },
      { key: "password_reset:unknown@example.test", payload: { email: "unknown@example.test" }, max_attempts: 5 },
    ]);
    // Nothing about the account was touched by the request itself.
    expect(await emailLogs(db(), "to_address in ('known@example.test', 'unknown@example.test')")).toEqual([]);
  });

  it("a burst of requests for one address is one job", async () => {
    await db().root.query("delete from graphile_worker._private_jobs");
    for (let i = 0; i < 5; i++) await request("burst@example.test");
    expect(await resetJobs()).toHaveLength(1);
  });

  it("refuses a malformed address (no account can have it)", async () => {
    for (const bad of ["not an address", "", null, `${"a".repeat(250)}@example.test`]) {
      expect(await codeOf(request(bad)), String(bad)).toBe("WTVAL");
    }
  });
});

describe("issue_password_reset (the worker's half)", () => {
  beforeAll(async () => {
    await createMerchant(db(), { email: "eve@example.test", firstName: "Eve" });
  });

  it("stores only the sha256 of a one-hour token and queues the email with the link", async () => {
    const logId = await issue("EVE@example.test");
    expect(logId).not.toBeNull();
    const [log] = await emailLogs(db(), "id = $1", [logId]);
    expect(log).toMatchObject({ template: "password_reset", to_address: "eve@example.test", language: "fr", status: "pending" });
    expect(log!.subject).toBe("Réinitialisation de votre mot de passe Waitify");
    const token = await tokenOf(logId!);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(log!.body).toContain(`\n\nhttps://waitify.example/reset-password#token=${token}\n\n`);
    const { rows } = await db().root.query(
      `select t.token_hash, extract(epoch from t.expires_at - t.created_at)::int as ttl, t.used_at, log.dedupe_key
         from app_private.password_reset_tokens t
         join app_private.email_logs log on log.dedupe_key = 'password_reset:' || t.id
        where log.id = $1`,
      [logId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).toEqual(createHash("sha256").update(token).digest());
    expect(rows[0]).toMatchObject({ ttl: 3600, used_at: null });
    // The token itself is nowhere in the tokens table.
    const stored = await db().root.query("select count(*)::int as n from app_private.password_reset_tokens t where t::text like $1", [
      `%${token}%`,
    ]);
    expect(stored.rows[0].n).toBe(0);
  });

  it("does nothing for an unknown or a disabled account", async () => {
    expect(await issue("nobody@example.test")).toBeNull();
    const disabled = await createMerchant(db(), { email: "disabled@example.test" });
    await db().root.query("update app_public.users set is_active = false where id = $1", [disabled.userId]);
    expect(await issue("disabled@example.test")).toBeNull();
    expect(await emailLogs(db(), "to_address in ('nobody@example.test', 'disabled@example.test')")).toEqual([]);
  });

  it("sends at most three an hour per account, silently", async () => {
    const busy = await createMerchant(db(), { email: "busy@example.test" });
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await issue("busy@example.test"));
    expect(results.filter((id) => id !== null)).toHaveLength(3);
    expect(results.slice(3)).toEqual([null, null]);
    // An hour later, one more.
    await db().root.query(
      "update app_private.password_reset_tokens set created_at = created_at - interval '61 minutes' where user_id = $1",
      [busy.userId],
    );
    expect(await issue("busy@example.test")).not.toBeNull();
  });

  it("writes in the account's language", async () => {
    const owner = await createMerchant(db(), { email: "sam@example.test", firstName: "Sam" });
    await createBusiness(db(), { merchant: owner, language: "en" });
    const [log] = await emailLogs(db(), "id = $1", [await issue("sam@example.test")]);
    expect(log).toMatchObject({ language: "en", subject: "Reset your Waitify password" });
    expect(log!.body).toMatch(/^Hello Sam,\n/);
  });
});

describe("reset_password (anonymous, with the token)", () => {
  it("sets the new password: the new one signs in, the old one no longer does", async () => {
    await createMerchant(db(), { email: "ana@example.test", password: "old password" });
    const token = await tokenOf((await issue("ana@example.test"))!);
    await reset(token, "brand new secret");
    expect(await signIn("ana@example.test", "brand new secret")).toBe("ok");
    expect(await signIn("ana@example.test", "old password")).toBe("WTCRD");
    const { rows } = await db().root.query(
      "select s.password_hash like '$2_$10$%' as bcrypt from app_private.user_secrets s join app_public.users u on u.id = s.user_id where u.email = 'ana@example.test'",
    );
    expect(rows[0].bcrypt).toBe(true);
  });

  it("a token works once, and a reset spends the account's other tokens", async () => {
    await createMerchant(db(), { email: "bob@example.test" });
    const first = await tokenOf((await issue("bob@example.test"))!);
    const second = await tokenOf((await issue("bob@example.test"))!);
    await reset(second, "first new password");
    expect(await failure(reset(second, "second new password"))).toEqual({
      code: "WTRST",
      message: "Ce lien de réinitialisation est invalide ou a expiré : demandez-en un nouveau.",
    });
    expect(await codeOf(reset(first, "second new password"))).toBe("WTRST");
    expect(await signIn("bob@example.test", "first new password")).toBe("ok");
  });

  it("an expired or unknown token fails the same way", async () => {
    const carl = await createMerchant(db(), { email: "carl@example.test", password: "carl's password" });
    const token = await tokenOf((await issue("carl@example.test"))!);
    await db().root.query(
      "update app_private.password_reset_tokens set created_at = now() - interval '2 hours', expires_at = now() - interval '1 second' where user_id = $1",
      [carl.userId],
    );
    expect(await codeOf(reset(token, "too late anyway"))).toBe("WTRST");
    for (const bad of ["x".repeat(43), "", null, "short", "y".repeat(500)]) {
      expect(await codeOf(reset(bad, "whatever password")), String(bad)).toBe("WTRST");
    }
    expect(await signIn("carl@example.test", "carl's password")).toBe("ok");
  });

  it("applies register's password rules, in the account's language, and keeps the token usable", async () => {
    const owner = await createMerchant(db(), { email: "dana@example.test" });
    await createBusiness(db(), { merchant: owner, language: "en" });
    const token = await tokenOf((await issue("dana@example.test"))!);
    expect(await failure(reset(token, "1234567"))).toEqual({
      code: "WTVAL",
      message: "The password must be at least 8 characters long.",
    });
    expect(await codeOf(reset(token, "é".repeat(37)))).toBe("WTVAL");
    expect(await codeOf(reset(token, null))).toBe("WTVAL");
    await reset(token, "é".repeat(36));
    expect(await signIn("dana@example.test", "é".repeat(36))).toBe("ok");
  });

  it("gives a Google-only account a password; refuses a disabled account", async () => {
    await db().root.query(
      "select app_private.google_sign_in('google-123', 'gina@example.test', true, 'Gina', null, null)",
    );
    const token = await tokenOf((await issue("gina@example.test"))!);
    await reset(token, "a password at last");
    expect(await signIn("gina@example.test", "a password at last")).toBe("ok");

    const frozen = await createMerchant(db(), { email: "frozen@example.test" });
    const frozenToken = await tokenOf((await issue("frozen@example.test"))!);
    await db().root.query("update app_public.users set is_active = false where id = $1", [frozen.userId]);
    expect(await codeOf(reset(frozenToken, "new password here"))).toBe("WTFRB");
  });
});

describe("who may call what", () => {
  it("anonymous runs the request and the reset, not the worker's half, and reads no token", async () => {
    for (const sql of [
      "select app_private.issue_password_reset('eve@example.test')",
      "select * from app_private.password_reset_tokens",
    ]) {
      expect(await codeOf(asAnonymous(db(), (client) => client.query(sql))), sql).toBe("42501");
    }
  });
});
