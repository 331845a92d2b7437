// The email texts (app_private.email_templates, db/email/templates.sql): every
// template in French and English, rendered without a placeholder left; the
// account's language; amounts and dates as each language writes them.
import type pg from "pg";
import { describe, expect, it } from "vitest";
import { asRoot, failure, useTestDatabase } from "../../helpers/db.ts";
import { createMerchant, emailTemplateVars } from "../../helpers/fixtures.ts";

const db = useTestDatabase();

interface Rendered {
  subject: string;
  body: string;
}

async function render(template: string, language: string, vars: Record<string, unknown>): Promise<Rendered> {
  const { rows } = await db().root.query<Rendered>("select * from app_private.render_email($1, $2, $3)", [
    template,
    language,
    JSON.stringify(vars),
  ]);
  return rows[0]!;
}

const NBSP = "\u00a0";

describe("the templates", () => {
  it("are exactly the expected ones, each in French and in English", async () => {
    const { rows } = await db().root.query<{ template: string; languages: string[] }>(
      "select template, array_agg(language order by language) as languages from app_private.email_templates group by 1 order by 1",
    );
    expect(rows).toEqual(Object.keys(emailTemplateVars).sort().map((template) => ({ template, languages: ["en", "fr"] })));
  });

  it("use only the placeholders render_email fills: {greeting}, {app_url} and their caller's vars", async () => {
    const { rows } = await db().root.query<{ template: string; name: string }>(
      `select distinct t.template, m[1] as name
         from app_private.email_templates t, regexp_matches(t.subject || t.body, '\\{([a-z_]+)\\}', 'g') m`,
    );
    const derived: Record<string, string> = { amount: "amount_cents" };
    for (const { template, name } of rows) {
      const vars = emailTemplateVars[template]!;
      const known = ["greeting", "app_url"].includes(name) || name in vars || derived[name]! in vars;
      expect(known, `${template}: {${name}}`).toBe(true);
    }
  });

  it.each(Object.keys(emailTemplateVars))("%s renders in both languages, nothing left to fill", async (template) => {
    const vars = { first_name: "Eve", ...emailTemplateVars[template] };
    const french = await render(template, "fr", vars);
    const english = await render(template, "en", vars);
    for (const email of [french, english]) {
      expect(email.subject + email.body).not.toMatch(/[{}]/);
      expect(email.subject).not.toMatch(/[\r\n]/);
      expect(email.body).not.toMatch(/^\s|\s$/);
      expect(email.body).not.toMatch(/\n{3}/);
      // Links stand on a line of their own, so mail clients make them clickable whole.
      if ("link" in vars) expect(email.body.split("\n")).toContain(vars.link);
    }
    expect(french.body).toMatch(/^Bonjour Eve,\n\n/);
    expect(french.body).toMatch(/\n\nL'équipe Waitify$/);
    expect(english.body).toMatch(/^Hello Eve,\n\n/);
    expect(english.body).toMatch(/\n\nThe Waitify team$/);
    expect(french.subject).not.toBe(english.subject);
    if ("amount_cents" in vars) {
      expect(french.body).toContain(`${NBSP}€`);
      expect(english.body).toMatch(/€\d/);
    }
  });

  it("the dunning texts say what happens next, with the amount and dates written out", async () => {
    const unpaid = await render("invoice_unpaid_7d", "fr", { first_name: "Eve", ...emailTemplateVars.invoice_unpaid_7d });
    expect(unpaid.body).toContain(`Votre facture Waitify de 19,00${NBSP}€, arrivée à échéance le 4 mars 2026, reste impayée`);
    expect(unpaid.body).toContain("Sans règlement d'ici le 3 avril 2026, votre compte sera suspendu");
    const due = await render("invoice_due", "en", emailTemplateVars.invoice_due!);
    expect(due.subject).toBe("Your Waitify invoice is due on 4 March 2026");
    const trial = await render("trial_ending", "fr", emailTemplateVars.trial_ending!);
    expect(trial.subject).toBe("Votre essai gratuit Waitify se termine le 1er mars 2026");
    const reset = await render("password_reset", "fr", emailTemplateVars.password_reset!);
    expect(reset.body).toContain("Ce lien est valable 60 minutes et ne peut servir qu'une seule fois.");
  });

  it("greets without a name when the account has none", async () => {
    expect((await render("payment_succeeded", "fr", emailTemplateVars.payment_succeeded!)).body).toMatch(/^Bonjour,\n/);
    expect((await render("payment_succeeded", "en", { ...emailTemplateVars.payment_succeeded, first_name: " " })).body).toMatch(
      /^Hello,\n/,
    );
  });
});

describe("rendering", () => {
  it("fills in one pass: a value that looks like a placeholder stays as it is", async () => {
    const email = await render("password_reset", "en", { ...emailTemplateVars.password_reset, first_name: "{link}" });
    expect(email.body).toMatch(/^Hello \{link\},\n/);
  });

  it("keeps line breaks out of the subject", async () => {
    const email = await render("trial_ending", "en", { trial_end_date: "x\r\nBcc: eve@example.test", link: "l" });
    expect(email.subject).toBe("Your free Waitify trial ends on x Bcc: eve@example.test");
  });

  it("refuses a missing value and an unknown template (a caller's bug, not a business error)", async () => {
    expect(await failure(render("invoice_due", "fr", { amount_cents: 100, link: "l" }))).toMatchObject({
      code: "P0001",
      message: "app_private.email_fill: no value for {due_date}",
    });
    expect(await failure(render("no_such_template", "fr", {}))).toMatchObject({
      code: "P0001",
      message: "app_private.render_email: unknown template no_such_template",
    });
  });

  it("writes amounts and dates as each language does", async () => {
    const { rows } = await db().root.query<Record<string, string>>(`select
        app_private.format_money(1900, 'eur', 'fr') as a, app_private.format_money(1900, 'eur', 'en') as b,
        app_private.format_money(123456789, null, 'fr') as c, app_private.format_money(123456789, 'usd', 'en') as d,
        app_private.format_money(5, 'eur', 'en') as e, app_private.format_money(15000, 'xof', 'fr') as f,
        app_private.format_money(-250, 'eur', 'fr') as g, app_private.format_money(990, 'chf', 'en') as h,
        app_private.format_date('2026-03-01', 'fr') as i, app_private.format_date('2026-08-15', 'fr') as j,
        app_private.format_date('2026-12-01', 'en') as k`);
    expect(rows[0]).toEqual({
      a: `19,00${NBSP}€`,
      b: "€19.00",
      c: `1${NBSP}234${NBSP}567,89${NBSP}€`,
      d: "$1,234,567.89",
      e: "€0.05",
      f: `15${NBSP}000${NBSP}FCFA`,
      g: `-2,50${NBSP}€`,
      h: "9.90 CHF",
      i: "1er mars 2026",
      j: "15 août 2026",
      k: "1 December 2026",
    });
  });
});

describe("the account's language", () => {
  const languageOf = async (client: Pick<pg.PoolClient, "query">, userId: string) =>
    (await client.query<{ l: string }>("select app_private.email_language($1) as l", [userId])).rows[0]!.l;

  it("is French without a business, else its first active business's", async () => {
    const merchant = await createMerchant(db(), { plan: "pro" });
    expect(await languageOf(db().root, merchant.userId)).toBe("fr");
    await asRoot(db(), async (client) => {
      const insert = `insert into app_public.businesses (user_id, name, business_type, language, created_at)
                      values ($1, $2, 'bakery', $3, $4) returning id`;
      const first = await client.query<{ id: string }>(insert, [merchant.userId, "First", "en", "2026-01-01"]);
      await client.query(insert, [merchant.userId, "Second", "fr", "2026-02-01"]);
      expect(await languageOf(client, merchant.userId)).toBe("en");
      // The first one deleted (inactive): the next active one speaks.
      await client.query("update app_public.businesses set is_active = false where id = $1", [first.rows[0]!.id]);
      expect(await languageOf(client, merchant.userId)).toBe("fr");
    });
  });
});
