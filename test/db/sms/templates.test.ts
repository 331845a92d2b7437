// The SMS texts (db/sms/templates.sql): each message type in French and
// English, with the business's name and custom message and the link to the
// customer's status page (PUBLIC_URL/e/<entry token>). Entries and events are
// written directly, as the queue engine writes them (test/helpers/fixtures.ts).
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../lib/config.ts";
import { publishSmsSettings } from "../../../lib/sms/settings.ts";
import { asRoot, useTestDatabase } from "../../helpers/db.ts";
import { changeDirect, createBusiness, joinDirect, smsLogs } from "../../helpers/fixtures.ts";

const db = useTestDatabase();

beforeAll(async () => {
  // What each process does at start with PUBLIC_URL (trailing slash removed by the config).
  await publishSmsSettings(db().ownerUrl, loadConfig({ PUBLIC_URL: "https://waitify.example/" }));
});

describe("texts", () => {
  it("English for an English business, with its custom message", async () => {
    const business = await createBusiness(db(), {
      name: "Corner Pharmacy",
      language: "en",
      customMessage: "Bring your prescription.",
    });
    const entry = await asRoot(db(), async (client) => {
      const entry = await joinDirect(client, business);
      await changeDirect(client, business, entry.id, "entry_called");
      return entry;
    }, { commit: true });
    const logs = await smsLogs(db(), "queue_entry_id = $1", [entry.id]);
    const link = `https://waitify.example/e/${entry.entryToken}`;
    expect(Object.fromEntries(logs.map((log) => [log.message_type, log.message_content]))).toEqual({
      confirmation: `Your place #1 at Corner Pharmacy is confirmed, estimated wait: 0min. Bring your prescription. Status: ${link}`,
      your_turn: `It's your turn at Corner Pharmacy! Please come to the counter. Bring your prescription. ${link}`,
    });
  });

  it("each type in French: your_turn, missed, cancelled", async () => {
    const business = await createBusiness(db(), { name: "Coiffure Léa", customMessage: "Merci !" });
    const [a, b] = await asRoot(db(), async (client) => {
      const a = await joinDirect(client, business);
      const b = await joinDirect(client, business);
      await changeDirect(client, business, a.id, "entry_called");
      await changeDirect(client, business, a.id, "entry_missed");
      await changeDirect(client, business, b.id, "entry_cancelled");
      return [a, b];
    }, { commit: true });
    const texts = Object.fromEntries(
      (await smsLogs(db(), "business_id = $1 and message_type <> 'confirmation'", [business.businessId])).map((log) => [
        log.message_type,
        log.message_content,
      ]),
    );
    expect(texts).toEqual({
      your_turn: `C'est votre tour chez Coiffure Léa ! Présentez-vous au comptoir. Merci ! https://waitify.example/e/${a.entryToken}`,
      missed: `Votre tour chez Coiffure Léa est passé. Rescannez le QR code. https://waitify.example/e/${a.entryToken}`,
      cancelled: `Votre place chez Coiffure Léa a été annulée. https://waitify.example/e/${b.entryToken}`,
    });
  });
});
