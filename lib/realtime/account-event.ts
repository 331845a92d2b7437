// accountEvent: the signed-in merchant's notification feed (billing status,
// payments, reminders), each account event as it is inserted, re-read through
// RLS. The channel comes from the session's claims (app_hidden.account_channel).
import { context, lambda, listen, type Step } from "postgraphile/grafast";
import { extendSchema, gql } from "postgraphile/utils";
import { channel } from "./channel.ts";
import { parsePayload, type AccountNotification } from "./events.ts";

export const AccountEventPlugin = extendSchema((build) => {
  const { pgResources, pgExecutors } = build.input.pgRegistry;
  const accountEvents = pgResources.account_events;
  if (!accountEvents) throw new Error("WaitifyAccountEventPlugin: app_public.account_events is not in this role's schema");
  return {
    typeDefs: gql`
      extend type Subscription {
        """
        Your account's events (as allAccountEvents), each as it happens. Errors: UNAUTHENTICATED without a session; SUBSCRIPTION_INTERRUPTED if the server lost its database notifications (subscribe again).
        """
        accountEvent: AccountEvent
      }
    `,
    objects: {
      Subscription: {
        plans: {
          accountEvent: {
            subscribePlan() {
              const $channel = channel(pgExecutors.main!, "account_channel");
              return listen(context().get("pgSubscriber"), $channel, ($payload) => parsePayload<AccountNotification>($payload));
            },
            plan($event: Step<AccountNotification>) {
              // bigint ids travel as text in PostGraphile.
              return accountEvents.get({ id: lambda($event, (event) => String(event.id), true) });
            },
          },
        },
      },
    },
  };
}, "WaitifyAccountEventPlugin");
