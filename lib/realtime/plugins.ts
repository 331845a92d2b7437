// Which subscriptions each request role's schema offers (one PostGraphile
// instance per role, lib/http/app.ts): a customer follows their place; a
// merchant their place-holders' queues, their own queues and their account;
// the admin any queue.
import { ADMIN_ROLE, ANONYMOUS_ROLE, MERCHANT_ROLE, type RequestRole } from "../db/roles.ts";
import { AccountEventPlugin } from "./account-event.ts";
import { EntryChangedPlugin } from "./entry-changed.ts";
import { QueueChangedPlugin } from "./queue-changed.ts";

const byRole: Record<RequestRole, GraphileConfig.Plugin[]> = {
  [ANONYMOUS_ROLE]: [EntryChangedPlugin],
  [MERCHANT_ROLE]: [EntryChangedPlugin, QueueChangedPlugin, AccountEventPlugin],
  [ADMIN_ROLE]: [QueueChangedPlugin],
};

export function realtimePlugins(role: RequestRole): GraphileConfig.Plugin[] {
  return byRole[role];
}
