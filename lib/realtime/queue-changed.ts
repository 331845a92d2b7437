// queueChanged(queueId): the counter screen's feed. Authorised at subscribe
// time by app_hidden.queue_channel as the request's role (RLS: the owner, the
// admin); each notification becomes { event, entryId, queue } with the queue
// re-read with the same rights.
import { access, context, listen, object, type ObjectStep, type Step } from "postgraphile/grafast";
import { extendSchema, gql } from "postgraphile/utils";
import { channel } from "./channel.ts";
import { parsePayload, subscribedEvent, type QueueNotification } from "./events.ts";

export const QueueChangedPlugin = extendSchema((build) => {
  const { pgResources, pgExecutors } = build.input.pgRegistry;
  const queues = pgResources.queues;
  if (!queues) throw new Error("WaitifyQueueChangedPlugin: app_public.queues is not in this role's schema");
  return {
    typeDefs: gql`
      "A change in a queue: what happened, to which entry, and the queue as it is now."
      type QueueChange {
        "A queue event (entry_joined, entry_called, entry_served, entry_missed, entry_cancelled, queue_opened, queue_closed, queue_paused, queue_resumed, …), queue_updated (settings or QR token), or subscribed (the first message, once the subscription listens)."
        event: String!
        "The entry concerned, for entry_* events."
        entryId: UUID
        "The queue, read now."
        queue: Queue
      }

      extend type Subscription {
        """
        A queue's changes, live, for its owner (or the admin): a first message (event subscribed) as soon as the subscription listens, then one per change. Errors: QUEUE_NOT_FOUND (NOT_FOUND) for someone else's queue, UNAUTHENTICATED without a session, SUBSCRIPTION_INTERRUPTED if the server lost its database notifications (subscribe again).
        """
        queueChanged(queueId: UUID!): QueueChange
      }
    `,
    objects: {
      Subscription: {
        plans: {
          queueChanged: {
            subscribePlan(_$root, fieldArgs) {
              const $channel = channel(pgExecutors.main!, "queue_channel", fieldArgs.getRaw("queueId"));
              return listen(context().get("pgSubscriber"), $channel, ($payload) => parsePayload<QueueNotification>($payload), subscribedEvent());
            },
            plan($event: Step<QueueNotification>, fieldArgs) {
              return object({
                event: access($event, "event"),
                entryId: access($event, "entryId"),
                queueId: fieldArgs.getRaw("queueId") as Step<string>,
              });
            },
          },
        },
      },
      QueueChange: {
        plans: {
          queue($change: ObjectStep<{ queueId: Step<string> }>) {
            return queues.get({ id: $change.get("queueId") });
          },
        },
      },
    },
  };
}, "WaitifyQueueChangedPlugin");
