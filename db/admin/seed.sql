-- Demo back office for `npm run db:seed` (development): eight accounts with
-- six months of subscription history, one overdue invoice and a statement,
-- so an administrator sees known SaaS figures on a first look (README "Back
-- office", test/db/admin/seed.test.ts). The past cannot be made through the
-- API: the owner writes it, as the Stripe mirror and its history trigger
-- would have. Months are counted back from the current one (M); every change
-- falls in a finished month, so the figures of M-1 never move:
--
--   account  created   history (day of month)                        M-1 end
--   A        M-5 d2    basic monthly                                  1900
--   B        M-5 d2    pro monthly; enterprise from M-1 d11 (expansion) 9900
--   C        M-4 d2    pro monthly; cancelled M-1 d16 (churn)            0
--   D        M-3 d2    enterprise; pro from M-1 d21 (contraction)     4900
--   E        M-2 d2    trial; basic yearly from M-2 d12 (1583/month)  1583
--   F        M-1 d4    trial, never paid                                 0
--   G        M-5 d2    basic; cancelled M-2 d6; back M-1 d6 (reactivation) 1900
--   H        M-3 d2    basic; past_due from M-1 d26, invoice unpaid    1900
--
-- M-1: start MRR 25083, +5000 expansion, +1900 reactivation, −5000
-- contraction, −4900 churned → end MRR 22083 (ARR 264996), 6 paying
-- accounts, ARPU 3681, logo churn 1/6, revenue churn 9900/25083.

-- Writes the demo unless its first account exists; returns the accounts written.
create or replace function app_private.seed_demo_saas_history() returns integer
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_month timestamptz := date_trunc('month', now() at time zone 'UTC') at time zone 'UTC';
  v_plans jsonb;
  v_ids jsonb := '{}';
  v_account record;
  v_user uuid;
begin
  -- Two seeds at once: one writes, the other then finds the accounts.
  perform pg_advisory_xact_lock(hashtext('waitify:seed_demo_saas_history'));
  if exists (select 1 from app_public.users u where u.email = 'saas-a@waitify.test') then
    return 0;
  end if;
  select jsonb_object_agg(p.name, jsonb_build_object('id', p.id, 'price', p.price_cents)) into v_plans
    from app_public.subscription_plans p;

  -- The accounts: created in the past, on their current plan and status.
  for v_account in
    select * from (values
      ('a', 'Café Alpha',       5, 'basic',      'active',    'active',   'month'),
      ('b', 'Boucherie Bravo',  5, 'enterprise', 'active',    'active',   'month'),
      ('c', 'Coiffure Charlie', 4, 'pro',        'cancelled', 'canceled', 'month'),
      ('d', 'Pharmacie Delta',  3, 'pro',        'active',    'active',   'month'),
      ('e', 'Épicerie Écho',    2, 'basic',      'active',    'active',   'year'),
      ('f', 'Fleurs Foxtrot',   1, 'basic',      'read_only', null,       null),
      ('g', 'Garage Golf',      5, 'basic',      'active',    'active',   'month'),
      ('h', 'Hôtel Hotel',      3, 'basic',      'past_due',  'past_due', 'month')
    ) as a(letter, name, months_ago, plan, status, stripe_status, billing_interval)
  loop
    v_user := (app_private.create_account('saas-' || v_account.letter || '@waitify.test', v_account.name, 'Démo', 'password')).id;
    v_ids := v_ids || jsonb_build_object(v_account.letter, v_user);
    update app_public.users u
       set created_at = v_month - make_interval(months => v_account.months_ago) + interval '1 day' + interval '9 hours',
           trial_ends_at = v_month - make_interval(months => v_account.months_ago) + interval '15 days',
           subscription_plan_id = (v_plans -> v_account.plan ->> 'id')::uuid,
           subscription_status = v_account.status::app_public.subscription_status
     where u.id = v_user;
    if v_account.stripe_status is not null then
      insert into app_private.subscriptions (user_id, stripe_subscription_id, stripe_status, plan_id, billing_interval,
                                             current_period_start, current_period_end, canceled_at, stripe_created)
      values (v_user, 'sub_demo_' || v_account.letter, v_account.stripe_status, (v_plans -> v_account.plan ->> 'id')::uuid,
              v_account.billing_interval, v_month,
              v_month + case when v_account.billing_interval = 'year' then interval '1 year' else interval '1 month' end,
              case when v_account.stripe_status = 'canceled' then v_month - interval '1 month' + interval '15 days' end,
              v_month - make_interval(months => v_account.months_ago) + interval '1 day');
    end if;
  end loop;

  -- The history as the trigger would have written it over the months (the
  -- rows it wrote just now, stamped today, are replaced).
  delete from app_private.subscription_changes c
   where c.user_id in (select (jsonb_each_text(v_ids)).value::uuid);
  insert into app_private.subscription_changes (user_id, changed_at, plan_id, billing_interval, stripe_status, mrr_cents)
  select (v_ids ->> h.letter)::uuid,
         v_month - make_interval(months => h.months_ago) + make_interval(days => h.day - 1) + interval '10 hours',
         (v_plans -> h.plan ->> 'id')::uuid, h.billing_interval, h.stripe_status,
         app_private.mrr_cents((v_plans -> h.plan ->> 'price')::integer, h.billing_interval, h.stripe_status)
    from (values
      ('a', 5,  2, 'basic',      'month', 'active'),
      ('b', 5,  2, 'pro',        'month', 'active'),
      ('b', 1, 11, 'enterprise', 'month', 'active'),
      ('c', 4,  2, 'pro',        'month', 'active'),
      ('c', 1, 16, 'pro',        'month', 'canceled'),
      ('d', 3,  2, 'enterprise', 'month', 'active'),
      ('d', 1, 21, 'pro',        'month', 'active'),
      ('e', 2,  2, 'basic',      'year',  'trialing'),
      ('e', 2, 12, 'basic',      'year',  'active'),
      ('g', 5,  2, 'basic',      'month', 'active'),
      ('g', 2,  6, 'basic',      'month', 'canceled'),
      ('g', 1,  6, 'basic',      'month', 'active'),
      ('h', 3,  2, 'basic',      'month', 'active'),
      ('h', 1, 26, 'basic',      'month', 'past_due')
    ) as h(letter, months_ago, day, plan, billing_interval, stripe_status);

  -- Payments: A paid its last two months; H's invoice of M-1 is unpaid after two refusals.
  insert into app_private.invoices (stripe_invoice_id, user_id, number, status, amount_due_cents, amount_paid_cents,
                                    attempt_count, period_start, period_end, due_date, paid_at, stripe_created)
  select 'in_demo_' || i.ref, (v_ids ->> i.letter)::uuid, 'DEMO-' || upper(i.ref), i.status, i.amount, i.paid,
         i.attempts, v_month - make_interval(months => i.months_ago),
         v_month - make_interval(months => i.months_ago - 1),
         v_month - make_interval(months => i.months_ago) + make_interval(days => i.due_day - 1),
         case when i.status = 'paid' then v_month - make_interval(months => i.months_ago) + interval '1 day' end,
         v_month - make_interval(months => i.months_ago)
    from (values
      ('a2', 'a', 2, 1900, 1900, 'paid', 1, 1),
      ('a1', 'a', 1, 1900, 1900, 'paid', 1, 1),
      ('h1', 'h', 1, 1900, 0,    'open', 2, 26)
    ) as i(ref, letter, months_ago, amount, paid, status, attempts, due_day);
  insert into app_private.payment_failures (stripe_invoice_id, attempt, user_id, failed_at)
  select 'in_demo_h1', n, (v_ids ->> 'h')::uuid, v_month - interval '1 month' + make_interval(days => 24 + n)
    from generate_series(1, 2) n;

  -- A's statement of M-1 (plan only: the demo sent no SMS), for the invoice PDF.
  perform app_private.compute_statement((v_ids ->> 'a')::uuid, (v_month - interval '1 month')::date);
  return 8;
end;
$$;
comment on function app_private.seed_demo_saas_history() is
  'npm run db:seed: eight demo accounts with six months of subscription history (idempotent).';
