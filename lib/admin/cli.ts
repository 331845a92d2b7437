// The back office's one DBA command:
//   npm run admin:create -- <email>
// creates an administrator (or sets the password of an existing one: the
// recovery path). The password is read from stdin — piped
// (`printf '%s' "$PASSWORD" | npm run admin:create -- ops@example.com`) or
// typed at a prompt that does not echo — never from the command line, where
// it would stay in the shell history and the process list. No API operation
// can make anyone an administrator.
import { ConfigError, loadConfig } from "../config.ts";
import { withOperatorConnection } from "../db/operator-connection.ts";
import { log } from "../logger.ts";
import { readSecret } from "./read-secret.ts";

async function main(): Promise<void> {
  const [command, email] = process.argv.slice(2);
  if (command !== "create" || !email) {
    console.error(
      "usage: npm run admin:create -- <email>   (the password is read from stdin)",
    );
    process.exit(2);
  }
  const password = await readSecret(
    process.stdin,
    process.stderr,
    `Password for ${email} (12+ characters): `,
  );
  const config = loadConfig();
  await withOperatorConnection(config, async (client) => {
    const { rows } = await client.query<{ admin_id: string; created: boolean }>(
      "select admin_id, created from app_private.create_admin($1, $2)",
      [email, password],
    );
    const { admin_id: adminId, created } = rows[0]!;
    console.log(
      created
        ? `Administrator ${email} created (${adminId}).`
        : `Password of administrator ${email} replaced (${adminId}).`,
    );
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof ConfigError) console.error(error.message);
    // Our coded errors (invalid address, short password, a merchant's address) say what to fix.
    else if (
      typeof (error as { code?: unknown }).code === "string" &&
      /^WT/.test((error as { code: string }).code)
    ) {
      console.error((error as Error).message);
    } else
      log.error("admin:create failed", {
        error: error instanceof Error ? error.message : String(error),
      });
    process.exit(1);
  },
);
