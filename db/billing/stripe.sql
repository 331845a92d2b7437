-- Stripe's side of the account: the webhook event log, the mirrors of the
-- merchant's customer, subscription and invoices, and the account status they
-- imply.
--
-- Stripe delivers events late, out of order and more than once. So an event
-- is only a signal: the stripe_event task (tasks/stripe_event.ts) fetches the
-- object again from Stripe, with the customer's current subscription and open
-- invoices, and hands their current state to apply_stripe_objects below; one
-- account's jobs run one at a time (a customer's events share a
-- graphile-worker queue). The status is then recomputed once from the mirrors alone
-- (refresh_account_status), so neither the final state nor the steps the
-- account's feed shows depend on the order in which the events came.

-- Seconds since the epoch (Stripe's timestamps) as a timestamptz; null stays null.
create or replace function app_private.stripe_time(value jsonb) returns timestamptz
  language sql immutable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  select case when jsonb_typeof(value) = 'number' then to_timestamp((value #>> '{}')::double precision) end;
$$;

-- An id that Stripe may send either as a string or as the expanded object.
create or replace function app_private.stripe_id(value jsonb) returns text
  language sql immutable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  select case jsonb_typeof(value) when 'string' then value #>> '{}' when 'object' then value ->> 'id' end;
$$;

-- ---------------------------------------------------------------------------
-- The event log. lib/http/stripe-webhook.ts calls record_stripe_event on the
-- authenticator's own connection after verifying the signature: the event and
-- its job are stored in one transaction, and a redelivered event (same id)
-- changes nothing.

create or replace function app_private.stripe_event_handled(type text) returns boolean
  language sql immutable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  select type in (
    'checkout.session.completed',
    'customer.subscription.created', 'customer.subscription.updated', 'customer.subscription.deleted',
    'invoice.paid', 'invoice.payment_succeeded', 'invoice.payment_failed', 'invoice.finalized',
    -- An invoice voided (by support, or with an expired first subscription) or
    -- given up on no longer changes, or no longer counts in, the dunning.
    'invoice.voided', 'invoice.marked_uncollectible');
$$;
comment on function app_private.stripe_event_handled(text) is
  'The Stripe event types the stripe_event task acts on; the others are logged and ignored.';

create or replace function app_private.record_stripe_event(event jsonb) returns boolean
  language plpgsql volatile security definer
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_id text := event ->> 'id';
  v_type text := event ->> 'type';
  v_customer text := app_private.stripe_id(event #> '{data,object,customer}');
  v_inserted boolean;
begin
  -- Caller: only the server's own connection (the authenticator with no request
  -- role), after it verified Stripe's signature; request roles are refused.
  perform app_private.assert_server_connection();
  if v_id is null or v_id !~ '^evt_' or v_type is null or app_private.stripe_time(event -> 'created') is null then
    perform app_hidden.raise_error('STRIPE_EVENT_INVALID');
  end if;
  insert into app_private.stripe_events (id, type, stripe_created, payload, processed_at, outcome)
  values (v_id, v_type, app_private.stripe_time(event -> 'created'), event,
          case when app_private.stripe_event_handled(v_type) then null else now() end,
          case when app_private.stripe_event_handled(v_type) then null else 'ignored' end)
  on conflict (id) do nothing
  returning true into v_inserted;
  if v_inserted and app_private.stripe_event_handled(v_type) then
    -- A customer's events always share a queue, so an account's events are
    -- handled one at a time. 64 queues, each for the customers whose id hashes
    -- to it, not one per customer: every job fetch (of any task, SMS too)
    -- locks every idle named queue, so per-customer queues would make each
    -- fetch slower with every customer ever billed (bench/README.md,
    -- "Billing webhooks").
    perform graphile_worker.add_job(
      'stripe_event',
      json_build_object('event_id', v_id),
      queue_name := 'stripe:' || (hashtextextended(coalesce(v_customer, ''), 0) & 63),
      max_attempts := 25,
      job_key := 'stripe_event:' || v_id
    );
  end if;
  return coalesce(v_inserted, false);
end;
$$;
comment on function app_private.record_stripe_event(jsonb) is
  'Stores a verified Stripe event once and enqueues its stripe_event job; false for a redelivery.';
revoke all on function app_private.record_stripe_event(jsonb) from public;
grant execute on function app_private.record_stripe_event(jsonb) to :DATABASE_AUTHENTICATOR;

create or replace function app_private.finish_stripe_event(event_id text, outcome text) returns void
  language sql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
  update app_private.stripe_events e set processed_at = now(), outcome = finish_stripe_event.outcome
   where e.id = finish_stripe_event.event_id;
$$;

-- ---------------------------------------------------------------------------
-- Mirrors.

-- Links an account to its Stripe customer; the first link stays. Every unique
-- index is an arbiter (no conflict target): two links of the same pair at the
-- same moment (two first checkouts) could otherwise meet first on the
-- customer id's index and fail with a unique violation instead of waiting.
-- A customer already linked to another account is refused loudly (it would
-- be a bug: our customers are created per account with the account's key).
create or replace function app_private.record_stripe_customer(user_id uuid, stripe_customer_id text) returns void
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  insert into app_private.stripe_customers (user_id, stripe_customer_id)
  values (record_stripe_customer.user_id, record_stripe_customer.stripe_customer_id)
  on conflict do nothing;
  if exists (select 1 from app_private.stripe_customers c
              where c.stripe_customer_id = record_stripe_customer.stripe_customer_id
                and c.user_id <> record_stripe_customer.user_id) then
    raise exception 'Stripe customer % is linked to another account', record_stripe_customer.stripe_customer_id;
  end if;
end;
$$;

create or replace function app_private.stripe_customer_user(stripe_customer_id text) returns uuid
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select c.user_id from app_private.stripe_customers c where c.stripe_customer_id = stripe_customer_user.stripe_customer_id;
$$;

-- A subscription as Stripe returned it, mirrored without recomputing the
-- status (apply_stripe_subscription and apply_stripe_objects do). Its
-- licensed item names the plan and the interval (app_private.stripe_prices,
-- written by stripe:sync) and gives the period: the metered overage item
-- renews every month even on a yearly plan, and Stripe does not promise the
-- order of the items, so the first item is only the fallback. The period is
-- on the subscription in older API versions and on its items in newer ones:
-- both are read. A scheduled cancellation is either cancel_at_period_end or
-- a cancel_at date: a yearly plan is cancelled with cancel_at =
-- max_period_end (lib/stripe/catalog.ts), which Stripe reports with
-- cancel_at_period_end false; both count as "cancels at the end of the
-- period" here. Returns the account, or null for a customer we do not know.
create or replace function app_private.mirror_stripe_subscription(subscription jsonb) returns uuid
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_user uuid := app_private.stripe_customer_user(app_private.stripe_id(subscription -> 'customer'));
  v_item jsonb;
  v_price app_private.stripe_prices;
  v_created timestamptz := app_private.stripe_time(subscription -> 'created');
begin
  if v_user is null then
    return null;
  end if;
  -- The account row first, as refresh_account_status takes it: every billing
  -- write of an account (a webhook's objects, the merchant's own change of
  -- subscription) waits for the one in progress, instead of each holding a
  -- row the other needs (the webhook's invoice rows lock the account in key
  -- share, the merchant's change holds the subscription row: a deadlock).
  perform 1 from app_public.users u where u.id = v_user for update;
  select i.value into v_item
    from jsonb_array_elements(subscription #> '{items,data}') i
    join app_private.stripe_prices p on p.stripe_price_id = app_private.stripe_id(i.value -> 'price')
   where p.kind = 'licensed'
   limit 1;
  select p.* into v_price from app_private.stripe_prices p
   where p.stripe_price_id = app_private.stripe_id(v_item -> 'price') and p.kind = 'licensed';
  v_item := coalesce(v_item, subscription #> '{items,data,0}');
  insert into app_private.subscriptions as s (user_id, stripe_subscription_id, stripe_status, plan_id, billing_interval,
      current_period_start, current_period_end, cancel_at_period_end, trial_end, canceled_at, stripe_created)
  values (v_user, subscription ->> 'id', subscription ->> 'status', v_price.plan_id, v_price.billing_interval,
      coalesce(app_private.stripe_time(subscription -> 'current_period_start'),
               app_private.stripe_time(v_item -> 'current_period_start')),
      coalesce(app_private.stripe_time(subscription -> 'current_period_end'),
               app_private.stripe_time(v_item -> 'current_period_end')),
      coalesce((subscription ->> 'cancel_at_period_end')::boolean, false)
        or (app_private.stripe_time(subscription -> 'cancel_at') is not null and subscription ->> 'status' <> 'canceled'),
      app_private.stripe_time(subscription -> 'trial_end'),
      app_private.stripe_time(subscription -> 'canceled_at'),
      coalesce(v_created, now()))
  on conflict (user_id) do update set
    stripe_subscription_id = excluded.stripe_subscription_id,
    stripe_status = excluded.stripe_status,
    plan_id = coalesce(excluded.plan_id, s.plan_id),
    billing_interval = coalesce(excluded.billing_interval, s.billing_interval),
    current_period_start = excluded.current_period_start,
    current_period_end = excluded.current_period_end,
    cancel_at_period_end = excluded.cancel_at_period_end,
    trial_end = excluded.trial_end,
    canceled_at = excluded.canceled_at,
    stripe_created = excluded.stripe_created,
    updated_at = now()
  -- The same subscription, or a newer one of the customer (subscribing again
  -- after a cancellation): an older subscription never replaces a newer one.
  where s.stripe_subscription_id = excluded.stripe_subscription_id or s.stripe_created <= excluded.stripe_created;

  -- What they pay for is their plan (a change made in the billing portal too),
  -- once the subscription has started: an incomplete one (its first payment
  -- failed) may expire unpaid 23 hours later, and must not leave its plan.
  if v_price.plan_id is not null
     and subscription ->> 'status' not in ('incomplete', 'incomplete_expired')
     and subscription ->> 'id' = (select s.stripe_subscription_id from app_private.subscriptions s where s.user_id = v_user) then
    update app_public.users u set subscription_plan_id = v_price.plan_id
     where u.id = v_user and u.subscription_plan_id is distinct from v_price.plan_id;
  end if;
  -- The promo codes it started with count once (db/billing/promotions.sql).
  perform app_private.record_promo_redemptions(v_user, subscription);
  return v_user;
end;
$$;
comment on function app_private.mirror_stripe_subscription(jsonb) is
  'Mirrors a subscription fetched from Stripe and moves the account to its plan; the status is not recomputed.';

-- An invoice as Stripe returned it, mirrored without recomputing the status.
-- A failed attempt is counted once (the dunning ladder, with its reminder), a
-- payment once (the feed, with its receipt).
create or replace function app_private.mirror_stripe_invoice(invoice jsonb) returns uuid
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_user uuid := app_private.stripe_customer_user(app_private.stripe_id(invoice -> 'customer'));
  v_id text := invoice ->> 'id';
  v_was_paid boolean;
  v_attempt integer;
  v_attempts integer := coalesce((invoice ->> 'attempt_count')::integer, 0);
  v_number text := invoice ->> 'number';
begin
  if v_user is null then
    return null;
  end if;
  -- The account row first (see mirror_stripe_subscription).
  perform 1 from app_public.users u where u.id = v_user for update;
  select i.status = 'paid' into v_was_paid from app_private.invoices i where i.stripe_invoice_id = v_id;
  insert into app_private.invoices as i (stripe_invoice_id, user_id, number, status, currency, amount_due_cents,
      amount_paid_cents, attempt_count, period_start, period_end, due_date, paid_at, hosted_invoice_url,
      invoice_pdf_url, stripe_created)
  values (v_id, v_user, v_number, invoice ->> 'status', coalesce(invoice ->> 'currency', 'eur'),
      coalesce((invoice ->> 'amount_due')::integer, 0), coalesce((invoice ->> 'amount_paid')::integer, 0), v_attempts,
      app_private.stripe_time(invoice -> 'period_start'), app_private.stripe_time(invoice -> 'period_end'),
      coalesce(app_private.stripe_time(invoice -> 'due_date'), app_private.stripe_time(invoice -> 'next_payment_attempt')),
      app_private.stripe_time(invoice #> '{status_transitions,paid_at}'),
      invoice ->> 'hosted_invoice_url', invoice ->> 'invoice_pdf',
      coalesce(app_private.stripe_time(invoice -> 'created'), now()))
  on conflict (stripe_invoice_id) do update set
    number = excluded.number,
    status = excluded.status,
    amount_due_cents = excluded.amount_due_cents,
    amount_paid_cents = excluded.amount_paid_cents,
    attempt_count = greatest(i.attempt_count, excluded.attempt_count),
    period_start = excluded.period_start,
    period_end = excluded.period_end,
    due_date = coalesce(i.due_date, excluded.due_date),
    paid_at = excluded.paid_at,
    hosted_invoice_url = excluded.hosted_invoice_url,
    invoice_pdf_url = excluded.invoice_pdf_url,
    updated_at = now();

  -- Each failed attempt once, whatever the number of deliveries: the ladder
  -- (past_due, read_only, suspended) and one reminder per step. An invoice
  -- that owes nothing is no debt (dunning_level ignores it too): no reminder.
  if invoice ->> 'status' in ('open', 'uncollectible') and coalesce((invoice ->> 'amount_due')::integer, 0) > 0 then
    for v_attempt in
      insert into app_private.payment_failures (stripe_invoice_id, attempt, user_id)
      select v_id, n, v_user from generate_series(1, v_attempts) n
      on conflict do nothing
      returning attempt
    loop
      insert into app_public.account_events (user_id, event_type, actor, detail)
      values (v_user, 'payment_failed', app_private.current_actor(),
              jsonb_build_object('invoice', v_number, 'attempt', v_attempt,
                                 'amountDueCents', (invoice ->> 'amount_due')::integer));
      perform app_private.send_billing_reminder(v_user, 'payment_failed', v_id || ':' || v_attempt,
        jsonb_build_object('invoice', v_number, 'attempt', v_attempt, 'hostedInvoiceUrl', invoice ->> 'hosted_invoice_url',
                           'amountDueCents', (invoice ->> 'amount_due')::integer));
    end loop;
  end if;
  if invoice ->> 'status' = 'paid' and not coalesce(v_was_paid, false) then
    insert into app_public.account_events (user_id, event_type, actor, detail)
    values (v_user, 'payment_succeeded', app_private.current_actor(),
            jsonb_build_object('invoice', v_number, 'amountPaidCents', (invoice ->> 'amount_paid')::integer));
    perform app_private.enqueue_email(v_user, 'payment_succeeded', jsonb_build_object(
      'amount_cents', coalesce((invoice ->> 'amount_paid')::integer, 0), 'currency', coalesce(invoice ->> 'currency', 'eur'),
      'link', coalesce(invoice ->> 'hosted_invoice_url',
        app_private.public_url() || '/billing')),
      'paid:' || v_id);
  end if;
  return v_user;
end;
$$;
comment on function app_private.mirror_stripe_invoice(jsonb) is
  'Mirrors an invoice fetched from Stripe and counts each failed attempt once; the status is not recomputed.';

-- One object, mirrored and the account's status recomputed at once: the
-- merchant's own change of subscription (apply_own_subscription) and tests.
create or replace function app_private.apply_stripe_subscription(subscription jsonb) returns uuid
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_user uuid := app_private.mirror_stripe_subscription(subscription);
begin
  if v_user is not null then
    perform app_private.refresh_account_status(v_user);
  end if;
  return v_user;
end;
$$;
comment on function app_private.apply_stripe_subscription(jsonb) is
  'Mirrors a subscription fetched from Stripe, moves the account to its plan and recomputes its status.';

create or replace function app_private.apply_stripe_invoice(invoice jsonb) returns uuid
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_user uuid := app_private.mirror_stripe_invoice(invoice);
begin
  if v_user is not null then
    perform app_private.refresh_account_status(v_user);
  end if;
  return v_user;
end;
$$;
comment on function app_private.apply_stripe_invoice(jsonb) is
  'Mirrors an invoice fetched from Stripe, counts each failed attempt once and recomputes the account''s status.';

-- What the stripe_event task fetched for one event: the object the event
-- names (a completed checkout session too: its promo codes are counted) and
-- the customer's current subscription and open invoices. All are
-- mirrored first and the status is recomputed once, from all of them, so the
-- account moves straight to the state Stripe is in. Recomputing after each
-- object would pass through states that only a partial view implies (the
-- subscription's past_due before the invoice that makes it read_only), and
-- the feed would show more or fewer steps depending on the order in which
-- Stripe's events arrived. Returns the account (the first one, should the
-- objects name several), or null when no object is of a customer we know.
create or replace function app_private.apply_stripe_objects(objects jsonb) returns uuid
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_object jsonb;
  v_user uuid;
  v_users uuid[] := '{}';
begin
  for v_object in
    select o.value from jsonb_array_elements(objects) with ordinality as o (value, position) order by o.position
  loop
    if coalesce(v_object ->> 'object', '') not in ('subscription', 'invoice', 'checkout.session') then
      raise exception 'app_private.apply_stripe_objects: cannot mirror a Stripe % object', coalesce(v_object ->> 'object', 'untyped');
    end if;
    v_user := case v_object ->> 'object'
      when 'subscription' then app_private.mirror_stripe_subscription(v_object)
      when 'invoice' then app_private.mirror_stripe_invoice(v_object)
      -- A completed checkout: only the promo codes it was paid with (db/billing/promotions.sql).
      else app_private.record_checkout_promo_redemptions(v_object)
    end;
    if v_user is not null and not v_user = any (v_users) then
      v_users := v_users || v_user;
    end if;
  end loop;
  foreach v_user in array v_users loop
    perform app_private.refresh_account_status(v_user);
  end loop;
  return v_users[1];
end;
$$;
comment on function app_private.apply_stripe_objects(jsonb) is
  'Mirrors Stripe subscriptions and invoices (a JSON array), then recomputes the status of their account once.';

-- The invoices of a customer that the mirror still counts as unpaid. The
-- stripe_event task fetches again those Stripe no longer lists as open (paid,
-- voided or given up since), so that one lost or unhandled event cannot leave
-- a stale invoice pushing the account down the dunning ladder forever.
create or replace function app_private.unpaid_stripe_invoices(stripe_customer_id text) returns setof text
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select i.stripe_invoice_id
    from app_private.stripe_customers c
    join app_private.invoices i on i.user_id = c.user_id
   where c.stripe_customer_id = unpaid_stripe_invoices.stripe_customer_id and i.status in ('open', 'uncollectible')
   order by i.stripe_created;
$$;
comment on function app_private.unpaid_stripe_invoices(text) is
  'Ids of the invoices of a Stripe customer that the mirror holds as open or uncollectible.';

-- ---------------------------------------------------------------------------
-- The status, from the mirrors alone.

-- How far behind the account is: 0 paid up; 1, 2, 3 failed attempts on its
-- worst unpaid invoice (3 and more: suspension); an invoice unpaid a day
-- after its due date counts at least 1, and 30 days after it (configurable)
-- counts 3. Whichever rule is stricter wins.
create or replace function app_private.dunning_level(user_id uuid, at timestamptz default now()) returns integer
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(max(least(3, greatest(
    i.attempt_count,
    case when i.due_date < at - interval '1 day' then 1 else 0 end,
    case when i.due_date < at - make_interval(days => coalesce(
      (select c.value::integer from app_public.system_configs c where c.key = 'dunning_suspend_after_days'), 30))
    then 3 else 0 end))), 0)
    from app_private.invoices i
   where i.user_id = dunning_level.user_id and i.status in ('open', 'uncollectible') and i.amount_due_cents > 0;
$$;

create or replace function app_private.refresh_account_status(user_id uuid, at timestamptz default now())
  returns app_public.subscription_status
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_subscription app_private.subscriptions;
  v_current app_public.subscription_status;
  v_trial_ends_at timestamptz;
  v_unchanged app_public.subscription_status;
  v_target app_public.subscription_status;
begin
  -- The account row first: one status change at a time per account.
  select u.subscription_status, u.trial_ends_at into v_current, v_trial_ends_at from app_public.users u
   where u.id = refresh_account_status.user_id for update;
  select s.* into v_subscription from app_private.subscriptions s where s.user_id = refresh_account_status.user_id;
  -- Where nothing of Stripe's decides (never subscribed, a subscription that
  -- never started or is paused), the state stands — except a suspension
  -- nothing holds any more (an admin's, just lifted by admin_reactivate_account,
  -- db/admin/tenants-actions.sql): then the trial while it runs (or forever
  -- where billing is not set up, as run_billing_day has it), else read-only,
  -- where a trial that ended unpaid goes.
  v_unchanged := case
    when v_current <> 'suspended' then v_current
    when v_trial_ends_at is null or v_trial_ends_at > refresh_account_status.at
      or not exists (select 1 from app_private.stripe_prices) then 'trial'
    else 'read_only'
  end::app_public.subscription_status;
  if exists (select 1 from app_private.admin_suspensions h where h.user_id = refresh_account_status.user_id) then
    -- Suspended by an admin: held whatever Stripe says, until an admin
    -- reactivates the account.
    v_target := 'suspended';
  elsif v_subscription.user_id is null then
    -- Never subscribed: the trial (or whatever an operator set) stands.
    v_target := v_unchanged;
  elsif v_subscription.stripe_status = 'canceled' then
    v_target := 'cancelled';
  elsif v_subscription.stripe_status in ('incomplete', 'incomplete_expired') then
    -- Never started: its first payment has not gone through (incomplete) and,
    -- 23 hours later, never will (incomplete_expired; Stripe voids the
    -- invoice). The account keeps the state it had, its trial usually: that
    -- failed first payment is not a step of the dunning ladder, and an
    -- expired attempt to subscribe does not cancel anything.
    v_target := v_unchanged;
  else
    v_target := case app_private.dunning_level(refresh_account_status.user_id, refresh_account_status.at)
      when 3 then 'suspended'
      when 2 then 'read_only'
      when 1 then 'past_due'
      else case v_subscription.stripe_status
        when 'active' then 'active'
        when 'trialing' then 'trial'
        when 'past_due' then 'past_due'
        when 'unpaid' then 'past_due'
        else v_unchanged  -- paused
      end
    end::app_public.subscription_status;
  end if;
  perform app_private.set_account_status(refresh_account_status.user_id, v_target);
  return v_target;
end;
$$;
comment on function app_private.refresh_account_status(uuid, timestamptz) is
  'Recomputes users.subscription_status from the subscription and invoice mirrors (order-independent) and an admin''s suspension hold.';
