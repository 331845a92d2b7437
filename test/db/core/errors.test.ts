// db/core/errors.sql: one catalogue, one helper, two languages, and the rules
// of db/CONVENTIONS.md that a scan of the catalog or of db/ can check.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { errorCodes } from "../../../lib/errors.ts";
import { createMerchant } from "../../helpers/fixtures.ts";
import { useTestDatabase } from "../../helpers/db.ts";

const db = useTestDatabase();

interface Raised {
  code: string;
  message: string;
}

async function raised(sql: string, values: unknown[] = []): Promise<Raised> {
  try {
    await db().root.query(sql, values);
  } catch (error) {
    const { code, message } = error as { code: string; message: string };
    return { code, message };
  }
  throw new Error(`no error from: ${sql}`);
}

describe("app_hidden.raise_error", () => {
  it("raises every catalogued code with its SQLSTATE, known to lib/errors.ts, in French and in English", async () => {
    // Every code raised three ways in one round trip (one query per raise took
    // 30 s on a loaded two-core machine): a temporary function catches each
    // raise and answers its SQLSTATE and message.
    const client = await db().root.connect();
    try {
      await client.query(`create function pg_temp.caught(code text, lang text, args text[]) returns text[] language plpgsql as $$
        begin
          if lang is null then perform app_hidden.raise_error(code); else perform app_hidden.raise_error(code, lang, variadic args); end if;
          return null;
        exception when others then
          return array[sqlstate, sqlerrm];
        end $$`);
      const { rows } = await client.query<{ code: string; sqlstate: string; french: string[] | null; english: string[] | null; by_default: string[] | null }>(
        `select c.code, c.sqlstate,
                pg_temp.caught(c.code, 'fr', array['x', '1', '2']) as french,
                pg_temp.caught(c.code, 'en', array['x', '1', '2']) as english,
                pg_temp.caught(c.code, null, null) as by_default
           from app_hidden.error_catalog() c`,
      );
      expect(rows.length).toBeGreaterThanOrEqual(30);
      for (const row of rows) {
        expect(errorCodes[row.sqlstate], `${row.code}: ${row.sqlstate} unknown to lib/errors.ts`).toBeDefined();
        expect(row.sqlstate).toMatch(/^WT[0-9A-Z]{3}$/);
        const [french, english, byDefault] = [row.french, row.english, row.by_default].map((caught) => {
          expect(caught, `${row.code} did not raise`).not.toBeNull();
          return { code: caught![0]!, message: caught![1]! };
        });
        expect(french!.code).toBe(row.sqlstate);
        expect(english!.code).toBe(row.sqlstate);
        expect(byDefault!.code).toBe(row.sqlstate);
        expect(english!.message, row.code).not.toBe(french!.message);
        expect(byDefault!.message.split(" ")[0]).toBe(french!.message.split(" ")[0]);
        // Every %s is filled: no placeholder reaches a client.
        expect(french!.message).not.toContain("%s");
        expect(english!.message).not.toContain("%s");
      }
    } finally {
      client.release();
    }
  });

  it("fills the message's %s from its arguments, in order", async () => {
    const english = await raised("select app_hidden.raise_error('PLAN_LIMIT_DOWNGRADE', 'en', 'basic', '1', '3')");
    expect(english).toEqual({
      code: "WTPLN",
      message: 'The "basic" plan allows 1 active business(es); you have 3. Delete some before changing plans.',
    });
  });

  it("refuses an unknown code with an error that is not a business rule", async () => {
    const error = await raised("select app_hidden.raise_error('NO_SUCH_CODE', 'en')");
    expect(error.code).toBe("P0001");
    expect(errorCodes[error.code]).toBeUndefined();
  });

  it("speaks the business's language: an English business's invalid edit is refused in English", async () => {
    const merchant = await createMerchant(db());
    const { rows } = await db().root.query<{ id: string }>(
      `insert into app_public.businesses (user_id, name, business_type, language) values ($1, 'Corner shop', 'bakery', 'en')
       returning id`,
      [merchant.userId],
    );
    const blankName = await raised("update app_public.businesses set name = ' ' where id = $1", [rows[0]!.id]);
    expect(blankName).toEqual({ code: "WTVAL", message: "The business name is required." });
    const badHours = await raised(`update app_public.businesses set opening_hours = '[]' where id = $1`, [rows[0]!.id]);
    expect(badHours.code).toBe("WTVAL");
    expect(badHours.message).toMatch(/^Invalid opening hours: /);
  });
});

describe("conventions that the catalog shows (db/CONVENTIONS.md)", () => {
  it("every function of ours fixes its search_path to pg_catalog, public, pg_temp", async () => {
    const { rows } = await db().root.query<{ fn: string; config: string[] | null }>(`
      select p.oid::regprocedure::text as fn, p.proconfig as config
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname in ('app_public', 'app_hidden', 'app_private')`);
    expect(rows.length).toBeGreaterThan(50);
    const wrong = rows.filter((row) => !(row.config ?? []).includes("search_path=pg_catalog, public, pg_temp"));
    expect(wrong.map((row) => row.fn)).toEqual([]);
  });

  it("every SECURITY DEFINER function states its caller check in a '-- Caller:' line", async () => {
    const { rows } = await db().root.query<{ fn: string }>(`
      select p.oid::regprocedure::text as fn
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname in ('app_public', 'app_hidden', 'app_private') and p.prosecdef
         and p.prosrc not like '%-- Caller: %'`);
    expect(rows.map((row) => row.fn)).toEqual([]);
  });

  it("no db/ file raises a business error by hand: they all go through raise_error", () => {
    const root = path.join(import.meta.dirname, "..", "..", "..", "db");
    const offenders: string[] = [];
    for (const name of readdirSync(root, { recursive: true }).map(String)) {
      if (!name.endsWith(".sql") || name === path.join("core", "errors.sql")) continue;
      const sql = readFileSync(path.join(root, name), "utf8");
      if (/raise\s+exception\s+using\s+errcode\s*=\s*'WT/i.test(sql)) offenders.push(name);
    }
    expect(offenders).toEqual([]);
  });
});
