// The back office's overdue accounts over HTTP: an administrator ranks the
// overdue accounts (hand-built histories, scores worked out from the rule in
// db/admin/overdue.sql) and sends a reminder now, which a real worker sends
// through the real SMTP sender to a local SMTP server, once, with its audit
// row. A merchant's schema has none of it; an admin-role token that names no
// administrator can neither read the list nor send.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SmtpEmailSender } from "../../lib/email/smtp.ts";
import { adminHeaders } from "../helpers/auth.ts";
import { useTestDatabase } from "../helpers/db.ts";
import { startFakeSmtp, type FakeSmtp } from "../helpers/fake-smtp.ts";
import { createAdmin, createMerchant, type TestAdmin } from "../helpers/fixtures.ts";
import { buildHistory, type BuiltHistory } from "../helpers/overdue.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const db = useTestDatabase();
let smtp: FakeSmtp;
let server: TestServer;
let admin: TestAdmin;
const accounts: Record<"longOverdue" | "threeFailures" | "middle" | "loyal", BuiltHistory> = {} as never;

beforeAll(async () => {
  smtp = await startFakeSmtp();
  // No crontab: the scheduled dunning pass would send its own reminders to these accounts.
  server = await startTestServer(db(), {
    worker: true,
    schedule: false,
    email: new SmtpEmailSender({ url: smtp.url, from: "Waitify <no-reply@waitify.test>" }),
  });
  admin = await createAdmin(db());
  const now = new Date().toISOString();
  // The four histories of test/db/admin/overdue.test.ts: 82, 58, 40 and 0 points.
  accounts.longOverdue = await buildHistory(db(), now, {
    plan: "pro",
    status: "suspended",
    tenureMonths: 2,
    unpaid: [
      { amountCents: 4900, dueDaysAgo: 45 },
      { amountCents: 4900, dueDaysAgo: 15 },
    ],
  });
  accounts.threeFailures = await buildHistory(db(), now, {
    status: "suspended",
    tenureMonths: 8,
    paid: [1900, 1900, 1900, 1900],
    unpaid: [{ amountCents: 1900, dueDaysAgo: 3, attempts: 3 }],
  });
  accounts.middle = await buildHistory(db(), now, {
    status: "past_due",
    tenureMonths: 14,
    paid: [1900, 1900],
    pastFailures: 1,
    unpaid: [{ amountCents: 1900, dueDaysAgo: 10, attempts: 1 }],
  });
  accounts.loyal = await buildHistory(db(), now, {
    plan: "pro",
    status: "past_due",
    tenureMonths: 24,
    paid: Array.from({ length: 20 }, () => 4900),
    unpaid: [{ amountCents: 2450, dueDaysAgo: 1 }],
  });
});

afterAll(async () => {
  await server?.close();
  await smtp?.close();
});

const LIST = `{
  adminOverdueAccounts {
    nodes { userId email planName subscriptionStatus unpaidInvoices amountDueCents currency daysOverdue failedAttempts
            paidInvoices tenureMonths lastReminderAt lastReminderKind daysPoints amountPoints attemptPoints historyPoints
            pastFailurePoints tenurePoints statusPoints riskScore }
  }
}`;
const REMIND = `mutation ($userId: UUID!, $reason: String) {
  adminSendPaymentReminder(input: { userId: $userId, reason: $reason }) {
    result { userId lastReminderKind lastReminderAt riskScore }
  }
}`;

interface Listed {
  userId: string;
  riskScore: number;
  amountDueCents: string;
  daysOverdue: number;
  lastReminderKind: string | null;
}

async function idle(): Promise<void> {
  const deadline = Date.now() + 15_000;
  while ((await db().root.query("select 1 from graphile_worker._private_jobs")).rowCount! > 0) {
    if (Date.now() > deadline) throw new Error("jobs still pending");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("overdue accounts in the back office", () => {
  it("an administrator sees the overdue accounts ranked by risk, each rule's points beside the score", async () => {
    const { body } = await server.graphql<{ adminOverdueAccounts: { nodes: Listed[] } }>(LIST, {}, admin.headers);
    expect(body.errors).toBeUndefined();
    const nodes = body.data!.adminOverdueAccounts.nodes;
    expect(nodes.map((node) => [node.userId, node.riskScore])).toEqual([
      [accounts.longOverdue.userId, 82],
      [accounts.threeFailures.userId, 58],
      [accounts.middle.userId, 40],
      [accounts.loyal.userId, 0],
    ]);
    expect(nodes[0]).toMatchObject({
      email: accounts.longOverdue.email,
      planName: "pro",
      subscriptionStatus: "suspended",
      unpaidInvoices: 2,
      amountDueCents: "9800",
      currency: "eur",
      daysOverdue: 45,
      tenureMonths: 2,
      daysPoints: 22,
      amountPoints: 20,
      historyPoints: 15,
      tenurePoints: 10,
      statusPoints: 15,
      lastReminderKind: null,
    });
  });

  it("send a reminder now: one email through the outbox and the SMTP server, the list shows it, the audit log records it", async () => {
    const target = accounts.middle;
    const seen = smtp.messages.length;
    const { body } = await server.graphql<{ adminSendPaymentReminder: { result: Listed & { lastReminderAt: string } } }>(
      REMIND,
      { userId: target.userId, reason: "Promised to pay on the phone" },
      admin.headers,
    );
    expect(body.errors).toBeUndefined();
    expect(body.data!.adminSendPaymentReminder.result).toMatchObject({
      userId: target.userId,
      lastReminderKind: "manual",
      riskScore: 40,
    });

    await smtp.waitForMessages(seen + 1);
    await idle();
    const received = smtp.messages.slice(seen);
    expect(received).toHaveLength(1);
    expect(received[0]!.rcptTo).toEqual([target.email]);
    expect(received[0]!.subject).toBe("Deuxième rappel : facture Waitify impayée");
    expect(received[0]!.text).toContain("19,00");
    expect(received[0]!.text).toContain(`https://invoice.stripe.test/${target.unpaidIds[0]}`);

    const listed = await server.graphql<{ adminOverdueAccounts: { nodes: Listed[] } }>(LIST, {}, admin.headers);
    const row = listed.body.data!.adminOverdueAccounts.nodes.find((node) => node.userId === target.userId)!;
    expect(row.lastReminderKind).toBe("manual");

    const audit = await db().root.query(
      "select admin_id, action, target_type, reason, after ->> 'template' as template from app_public.admin_audit_log where target_id = $1",
      [target.userId],
    );
    expect(audit.rows).toEqual([
      {
        admin_id: admin.adminId,
        action: "send_payment_reminder",
        target_type: "account",
        reason: "Promised to pay on the phone",
        template: "invoice_unpaid_7d",
      },
    ]);

    // A second click the same day: refused, no second email.
    const again = await server.graphql(REMIND, { userId: target.userId }, admin.headers);
    expect(again.body.errors?.[0]?.extensions?.code).toBe("REMINDER_ALREADY_SENT");
    await idle();
    expect(smtp.messages.length).toBe(seen + 1);
  });

  it("an account with nothing overdue is refused with a code", async () => {
    const paidUp = await buildHistory(db(), new Date().toISOString(), { status: "active", tenureMonths: 3, paid: [1900] });
    const { body } = await server.graphql(REMIND, { userId: paidUp.userId }, admin.headers);
    expect(body.errors?.[0]?.extensions?.code).toBe("NOTHING_OVERDUE");
    const unknown = await server.graphql(REMIND, { userId: "00000000-0000-4000-8000-000000000000" }, admin.headers);
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });

  it("an admin-role token that names no administrator can neither read the list nor send a reminder", async () => {
    const seen = smtp.messages.length;
    const list = await server.graphql(LIST, {}, adminHeaders());
    expect(list.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const send = await server.graphql(REMIND, { userId: accounts.loyal.userId }, adminHeaders());
    expect(send.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    await idle();
    expect(smtp.messages.length).toBe(seen);
    const reminders = await db().root.query("select count(*)::int as n from app_private.billing_reminders where user_id = $1", [
      accounts.loyal.userId,
    ]);
    expect(reminders.rows[0].n).toBe(0);
  });

  it("a merchant's token gets nothing: the operations and the type are absent from its schema", async () => {
    const { headers } = await createMerchant(db());
    const list = await server.graphql(LIST, {}, headers);
    expect(list.body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    const send = await server.graphql(REMIND, { userId: accounts.loyal.userId }, headers);
    expect(send.body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    const types = await server.graphql<{ __schema: { types: { name: string }[]; mutationType: { fields: { name: string }[] } } }>(
      "{ __schema { types { name } mutationType { fields { name } } } }",
      {},
      headers,
    );
    expect(types.body.data!.__schema.types.map((type) => type.name)).not.toContain("OverdueAccount");
    expect(types.body.data!.__schema.mutationType.fields.map((field) => field.name)).not.toContain("adminSendPaymentReminder");
    for (const role of ["merchant", "anonymous"]) {
      const sdl = await readFile(new URL(`../../schema/${role}.graphql`, import.meta.url), "utf8");
      expect(sdl).not.toMatch(/OverdueAccount|adminOverdueAccounts|adminSendPaymentReminder|riskScore/);
    }
    const admins = await readFile(new URL("../../schema/admin.graphql", import.meta.url), "utf8");
    expect(admins).toMatch(/adminOverdueAccounts/);
  });
});
