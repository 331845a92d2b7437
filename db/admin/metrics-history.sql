-- The subscription history the SaaS metrics read (db/admin/metrics.sql):
-- app_private.subscription_changes gets one row each time an account's
-- Stripe subscription changes what it is worth or what it is (plan, billing
-- interval, Stripe status). A row is the account's state from its changed_at
-- until the account's next row.
--
-- Its MRR is app_private.account_mrr_cents's, the one definition of MRR
-- (licensed plan price, a yearly plan normalised to a month, only Stripe
-- statuses active and past_due, SMS overage excluded), taken when the change
-- is written and frozen there: a later change of a plan's price does not
-- rewrite what the past was worth.

-- After the row is written, so account_mrr_cents reads the new state. Fires
-- only on a change of the three columns the MRR and the history depend on:
-- a renewal (new period dates), a scheduled cancellation or a newer
-- subscription on the same plan and status writes nothing. The time is
-- clock_timestamp(), taken after the subscription row's lock: two changes of
-- one account (each webhook first locks the account, see
-- app_private.mirror_stripe_subscription) are stamped in the order they
-- were made, which a transaction's start time (now()) would not promise.
create or replace function app_private.tg_subscriptions__record_history() returns trigger
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  if tg_op = 'UPDATE'
     and (new.plan_id, new.billing_interval, new.stripe_status)
         is not distinct from (old.plan_id, old.billing_interval, old.stripe_status) then
    return null;
  end if;
  insert into app_private.subscription_changes (user_id, changed_at, plan_id, billing_interval, stripe_status, mrr_cents)
  values (new.user_id, clock_timestamp(), new.plan_id, new.billing_interval, new.stripe_status,
          app_private.account_mrr_cents(new.user_id));
  return null;
end;
$$;
comment on function app_private.tg_subscriptions__record_history() is
  'Appends the account''s new subscription state (and its MRR) to app_private.subscription_changes.';

drop trigger if exists _900_record_history on app_private.subscriptions;
create trigger _900_record_history after insert or update of plan_id, billing_interval, stripe_status on app_private.subscriptions
  for each row execute function app_private.tg_subscriptions__record_history();

-- Backfill: an account whose subscription predates the history (or the
-- trigger) gets one row, its current state, from when that state began as
-- far as we know: the subscription's creation, or its cancellation for one
-- that ended. The best we know, not the truth: a plan changed before the
-- history began counts from the creation, and the revenue of a subscription
-- that had already ended is unknown (it ended before the history starts).
-- Here rather than in the migration because it needs the one MRR rule,
-- which db/ defines and a migration may not call (db/README.md). Writes
-- nothing once every subscription has its history: applying db/ again is a
-- no-op. No change slips between the two: creating the trigger above locks
-- app_private.subscriptions against writes until db/ commits (one
-- transaction), so this statement sees every change committed before the
-- trigger existed, and the trigger records every one after.
insert into app_private.subscription_changes (user_id, changed_at, plan_id, billing_interval, stripe_status, mrr_cents)
select s.user_id,
       case when s.stripe_status in ('canceled', 'incomplete_expired') then coalesce(s.canceled_at, s.updated_at)
            else s.stripe_created end,
       s.plan_id, s.billing_interval, s.stripe_status, app_private.account_mrr_cents(s.user_id)
  from app_private.subscriptions s
 where not exists (select 1 from app_private.subscription_changes c where c.user_id = s.user_id);
