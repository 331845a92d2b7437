// entryChanged(entryToken): a customer's own place, live. Listens on the
// channel of the entry's queue (positions move when anyone ahead leaves) and,
// for every notification, re-reads exactly what entryStatus returns: the
// payload itself (another customer's entry id) never reaches the customer.
//
// A join never changes anyone else's view (newcomers queue behind; estimates
// learn from services, not joins), and the customer's own join came before
// the subscription: entry_joined is skipped. Notifications that pile up while
// a re-read is under way collapse into the last (lib/realtime/latest.ts).
import { TYPES } from "postgraphile/@dataplan/pg";
import { context, lambda, listen } from "postgraphile/grafast";
import { extendSchema, gql } from "postgraphile/utils";
import { channel } from "./channel.ts";
import { parsePayload, subscribedEvent, type QueueNotification } from "./events.ts";
import { latestOnlySubscriber } from "./latest.ts";

const changesTheView = (payload: string) => (JSON.parse(payload) as QueueNotification).event !== "entry_joined";

export const EntryChangedPlugin = extendSchema((build) => {
  const { pgResources, pgExecutors } = build.input.pgRegistry;
  const entryStatus = pgResources.entry_status;
  if (!entryStatus) throw new Error("WaitifyEntryChangedPlugin: app_public.entry_status is not in this role's schema");
  return {
    typeDefs: gql`
      extend type Subscription {
        """
        Your place in the queue, live: the same view as entryStatus, first as soon as the subscription listens, then after every change in your queue that can change it (positions move when others leave; a newcomer behind you changes nothing; changes in quick succession may arrive as one, the latest). Errors: ENTRY_NOT_FOUND (NOT_FOUND) for an unknown token; SUBSCRIPTION_INTERRUPTED if the server lost its database notifications (subscribe again).
        """
        entryChanged(entryToken: String!): CustomerEntry
      }
    `,
    objects: {
      Subscription: {
        plans: {
          entryChanged: {
            subscribePlan(_$root, fieldArgs) {
              const $channel = channel(pgExecutors.main!, "entry_channel", fieldArgs.getRaw("entryToken"));
              const $feed = lambda(context().get("pgSubscriber"), (subscriber) => latestOnlySubscriber(subscriber!, changesTheView), true);
              return listen($feed, $channel, parsePayload, subscribedEvent());
            },
            plan(_$event, fieldArgs) {
              return entryStatus.execute([{ step: fieldArgs.getRaw("entryToken"), pgCodec: TYPES.text }]);
            },
          },
        },
      },
    },
  };
}, "WaitifyEntryChangedPlugin");
