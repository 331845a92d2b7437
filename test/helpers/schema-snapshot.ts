// The role names a test database uses, mapped to the placeholders
// schema/database.sql prints (the owner and the authenticator are named by the
// connection URLs, which differ between machines).
import { AUTHENTICATOR_PLACEHOLDER, OWNER_PLACEHOLDER } from "../../lib/db/schema-snapshot.ts";
import { urlParts } from "../../lib/db/urls.ts";
import type { TestDatabase } from "./db.ts";

export function snapshotRoleNames(db: TestDatabase): Record<string, string> {
  return { [urlParts(db.ownerUrl).user]: OWNER_PLACEHOLDER, [urlParts(db.authUrl).user]: AUTHENTICATOR_PLACEHOLDER };
}
