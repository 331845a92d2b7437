-- Dunning and reminders (seed 003): J-3 before a trial ends or an invoice is
-- due, J+1 and J+7 after an unpaid due date, suspension at J+30; and a
-- reminder at each failed payment attempt (db/billing/stripe.sql). Every
-- reminder is sent once per account, kind and reference
-- (app_private.billing_reminders), whatever the number of runs or deliveries.

-- The email of a reminder and what it says (db/email/: the templates). The
-- link is the invoice's payment page when there is one, else the account's
-- billing page.
create or replace function app_private.billing_email(kind text, detail jsonb, out template text, out vars jsonb)
  language sql stable
  set search_path to pg_catalog, public, pg_temp
as $$
  select
    case kind
      when 'payment_failed' then case coalesce((detail ->> 'attempt')::integer, 1)
        when 1 then 'payment_failed' when 2 then 'payment_failed_read_only' else 'account_suspended' end
      when 'trial_ending' then 'trial_ending'
      when 'invoice_due' then 'invoice_due'
      when 'unpaid_1d' then 'invoice_unpaid_1d'
      when 'unpaid_7d' then 'invoice_unpaid_7d'
      when 'suspended_30d' then 'account_suspended'
    end,
    jsonb_strip_nulls(jsonb_build_object(
      'amount_cents', (detail ->> 'amountDueCents')::integer,
      'currency', 'eur',
      'due_date', (detail ->> 'dueDate')::timestamptz::date,
      'suspension_date', ((detail ->> 'dueDate')::timestamptz + make_interval(days => coalesce(
        app_private.config_value('dunning_suspend_after_days')::integer, 30)))::date,
      'trial_end_date', (detail ->> 'trialEndsAt')::timestamptz::date,
      'link', coalesce(detail ->> 'hostedInvoiceUrl',
        app_private.public_url() || '/billing')));
$$;

-- Records a reminder once and tells the merchant: an event in the account's
-- feed and, when email is set up, the email of that kind. Returns false when
-- it was already sent.
create or replace function app_private.send_billing_reminder(user_id uuid, kind text, reference text, detail jsonb default '{}')
  returns boolean
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_new boolean;
  v_template text;
  v_vars jsonb;
begin
  insert into app_private.billing_reminders (user_id, kind, reference)
  values (send_billing_reminder.user_id, send_billing_reminder.kind, send_billing_reminder.reference)
  on conflict do nothing
  returning true into v_new;
  if not coalesce(v_new, false) then
    return false;
  end if;
  insert into app_public.account_events (user_id, event_type, actor, detail)
  values (send_billing_reminder.user_id, 'reminder_sent', app_private.current_actor(),
          jsonb_build_object('kind', kind, 'reference', reference) || detail);
  select e.template, e.vars into v_template, v_vars from app_private.billing_email(kind, detail) e;
  perform app_private.enqueue_email(send_billing_reminder.user_id, v_template, v_vars,
    format('billing:%s:%s:%s', kind, reference, send_billing_reminder.user_id));
  return true;
end;
$$;
comment on function app_private.send_billing_reminder(uuid, text, text, jsonb) is
  'Sends a billing reminder once per (account, kind, reference): feed event (and email). False if already sent.';

-- The daily pass (tasks/billing_daily.ts, crontab): statuses that move with
-- time alone (an invoice a day or 30 days past due, a trial that ended), then
-- the reminders due at `at`. Returns the number of reminders sent.
create or replace function app_private.run_billing_day(at timestamptz default now()) returns integer
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_user uuid;
  v_sent integer := 0;
  v_row record;
begin
  for v_user in select distinct i.user_id from app_private.invoices i where i.status in ('open', 'uncollectible') order by 1
  loop
    perform app_private.refresh_account_status(v_user, at);
  end loop;

  -- A trial that ended without a subscription that pays: read-only (the
  -- merchant reads everything, keeps running the queues already open and
  -- subscribes). Only once billing is set up here (stripe:sync recorded the
  -- prices): a server without billing has no way to pay, and its trials never end.
  for v_user in
    select u.id from app_public.users u
     where u.subscription_status = 'trial' and u.trial_ends_at < at
       and exists (select 1 from app_private.stripe_prices)
       and not exists (select 1 from app_private.subscriptions s
                        where s.user_id = u.id and s.stripe_status in ('active', 'trialing', 'past_due', 'unpaid'))
     order by u.id
  loop
    perform app_private.set_account_status(v_user, 'read_only');
  end loop;

  for v_row in
    -- A trial ending within three days, with no subscription yet.
    select u.id as user_id, 'trial_ending' as kind, (u.trial_ends_at at time zone 'UTC')::date::text as reference,
           jsonb_build_object('trialEndsAt', u.trial_ends_at) as detail
      from app_public.users u
     where u.subscription_status = 'trial' and u.is_active
       and u.trial_ends_at between at and at + interval '3 days'
       and not exists (select 1 from app_private.subscriptions s where s.user_id = u.id)
    union all
    -- Invoices due within three days, and the unpaid ones a day, a week and 30 days after.
    select i.user_id, k.kind, i.stripe_invoice_id, jsonb_build_object('invoice', i.number, 'dueDate', i.due_date,
           'amountDueCents', i.amount_due_cents, 'hostedInvoiceUrl', i.hosted_invoice_url)
      from app_private.invoices i
      cross join lateral (values
        ('invoice_due', i.due_date between at and at + interval '3 days'),
        ('unpaid_1d', i.due_date < at - interval '1 day'),
        ('unpaid_7d', i.due_date < at - interval '7 days'),
        ('suspended_30d', i.due_date < at - interval '30 days')) as k (kind, due)
     where i.status = 'open' and i.amount_due_cents > 0 and k.due
     order by 1, 2
  loop
    if app_private.send_billing_reminder(v_row.user_id, v_row.kind, v_row.reference, v_row.detail) then
      v_sent := v_sent + 1;
    end if;
  end loop;
  return v_sent;
end;
$$;
comment on function app_private.run_billing_day(timestamptz) is
  'Daily: statuses that move with time (J+1 past due, J+30 suspended) and the reminders due (J-3, J+1, J+7, J+30), each once.';
