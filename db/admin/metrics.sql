-- The back office's SaaS metrics, read from the subscription history
-- (app_private.subscription_changes, db/admin/metrics-history.sql). Admins
-- only: each app_public.admin_* function checks app_private.assert_admin()
-- and is granted to waitify_admin alone, so neither the merchant's nor the
-- anonymous GraphQL schema has them.
--
-- Definitions (months are calendar months in UTC, like the statements):
--
-- * An account's MRR at an instant: the mrr_cents of its latest history row
--   before that instant (0 without one). mrr_cents is app_private.account_mrr_cents
--   when the row was written: the normalised monthly recurring revenue of the
--   subscription (a yearly plan's price ÷ 12), of Stripe statuses active and
--   past_due only, SMS overage excluded.
-- * MRR of a month: the sum over accounts of their MRR at the month's end
--   (the start of the next month); for the current month, now. Paying
--   accounts: those with MRR > 0 then. ARR = 12 × MRR.
-- * Overage, reported beside MRR and never in it: the SMS overage of the
--   month's statements (app_public.billing_statements.overage_cost_cents of
--   period_start = the month, void statements left out).
-- * Movements of a month, per account, from its MRR at the month's start (s)
--   to its MRR at the month's end (e) — changes within the month net out:
--     new           s = 0, e > 0, never paying before the month     + e
--     reactivation  s = 0, e > 0, paying at some time before         + e
--     expansion     s > 0, e > s                                     + (e − s)
--     contraction   s > 0, 0 < e < s                                 − (s − e)
--     churned       s > 0, e = 0                                     − s
--   so start MRR + new + reactivation + expansion − contraction − churned
--   = end MRR (the net new MRR is the difference).
-- * Logo churn rate of a month: accounts churned ÷ paying accounts at its start.
--   Revenue churn rate (gross): (churned + contraction MRR) ÷ MRR at its start.
--   Both null when nothing was paying at the start; in percent.
-- * ARPU: MRR ÷ paying accounts at the month's end (null without any).
-- * LTV = ARPU × gross margin ÷ monthly revenue churn, where the margin is
--   system_configs.saas_gross_margin_pct (default 80) and the churn is the
--   average monthly revenue churn of the 12 months ending with the month
--   (their churned + contraction MRR ÷ their start MRR: one month is too
--   noisy for a lifetime). No division by zero: without churn in those 12
--   months the LTV is null and ltv_note says 'no_churn_observed'; without a
--   paying account, null and 'no_paying_accounts'.
-- * Trial → paid conversion of a cohort (the accounts created in a month):
--   converted = ever had MRR > 0 (to this day); days to paid = from the
--   account's creation to its first MRR > 0; within the trial = in at most
--   system_configs.trial_duration_days (default 14) days.
--
-- Each metric is one set-based query over the history; the per-account state
-- at each month boundary comes from app_private.mrr_at_month_starts.

-- ---------------------------------------------------------------------------
-- Internals (owner only: app_private).

-- Every account paying at each month start b in [first_month, last_month]
-- (b at 00:00 UTC): its state then is its latest row with changed_at < b.
-- A history row covers the month starts after it up to its successor's
-- (inclusive), which generate_series lists from the row itself: one pass
-- over the history, no join of accounts × months.
create or replace function app_private.mrr_at_month_starts(first_month date, last_month date)
  returns table (user_id uuid, month_start date, plan_id uuid, billing_interval text, mrr_cents integer)
  language sql stable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  select h.user_id, b::date, h.plan_id, h.billing_interval, h.mrr_cents
    from (select c.user_id, c.plan_id, c.billing_interval, c.mrr_cents,
                 c.changed_at at time zone 'UTC' as from_at,
                 lead(c.changed_at) over (partition by c.user_id order by c.changed_at, c.id) at time zone 'UTC' as until_at
            from app_private.subscription_changes c
           where c.changed_at < mrr_at_month_starts.last_month::timestamp at time zone 'UTC') h
   cross join lateral generate_series(
         greatest(date_trunc('month', h.from_at) + interval '1 month', mrr_at_month_starts.first_month::timestamp),
         least(coalesce(date_trunc('month', h.until_at), 'infinity'::timestamp), mrr_at_month_starts.last_month::timestamp),
         interval '1 month') b
   where h.mrr_cents > 0;
$$;
comment on function app_private.mrr_at_month_starts(date, date) is
  'Each account with MRR > 0 at each month start (00:00 UTC) of [first_month, last_month]: its plan, interval and MRR then.';

-- The movements of each month of [from_month, to_month] (first days), as
-- defined above. No checks: the admin_* functions check their input.
create or replace function app_private.mrr_movements(from_month date, to_month date)
  returns setof app_public.mrr_movement
  language sql stable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  with states as (
    select * from app_private.mrr_at_month_starts(mrr_movements.from_month, (mrr_movements.to_month + interval '1 month')::date)
  ), pairs as (
    -- Each account paying at the start or the end of a month: s and e.
    select coalesce(a.user_id, z.user_id) as user_id,
           coalesce(a.month_start, (z.month_start - interval '1 month')::date) as month,
           coalesce(a.mrr_cents, 0) as s,
           coalesce(z.mrr_cents, 0) as e
      from (select * from states where month_start <= mrr_movements.to_month) a
      full join (select * from states where month_start > mrr_movements.from_month) z
        on z.user_id = a.user_id and z.month_start = (a.month_start + interval '1 month')::date
  ), classified as (
    select p.*,
           -- Only asked of an account that starts paying in the month (CASE: evaluated for those alone).
           case when p.s = 0 and p.e > 0 then
             exists (select 1 from app_private.subscription_changes c
                      where c.user_id = p.user_id and c.mrr_cents > 0
                        and c.changed_at < p.month::timestamp at time zone 'UTC')
           else false end as paid_before
      from pairs p
  ), months as (
    select m::date as month,
           coalesce(sum(k.s), 0)::bigint as start_mrr,
           coalesce(sum(k.e) filter (where k.s = 0 and not k.paid_before), 0)::bigint as new_mrr,
           coalesce(sum(k.e) filter (where k.s = 0 and k.paid_before), 0)::bigint as reactivation_mrr,
           coalesce(sum(k.e - k.s) filter (where k.s > 0 and k.e > k.s), 0)::bigint as expansion_mrr,
           coalesce(sum(k.s - k.e) filter (where k.e > 0 and k.e < k.s), 0)::bigint as contraction_mrr,
           coalesce(sum(k.s) filter (where k.s > 0 and k.e = 0), 0)::bigint as churned_mrr,
           coalesce(sum(k.e), 0)::bigint as end_mrr,
           count(*) filter (where k.s > 0)::integer as start_paying,
           count(*) filter (where k.s = 0 and k.e > 0 and not k.paid_before)::integer as new_accounts,
           count(*) filter (where k.s = 0 and k.paid_before)::integer as reactivated_accounts,
           count(*) filter (where k.s > 0 and k.e = 0)::integer as churned_accounts,
           count(*) filter (where k.e > 0)::integer as end_paying
      from generate_series(mrr_movements.from_month::timestamp, mrr_movements.to_month::timestamp, interval '1 month') m
      left join classified k on k.month = m::date
     group by m
  )
  select m.month, m.start_mrr, m.new_mrr, m.reactivation_mrr, m.expansion_mrr, m.contraction_mrr, m.churned_mrr,
         m.end_mrr - m.start_mrr, m.end_mrr, m.start_paying, m.new_accounts, m.reactivated_accounts,
         m.churned_accounts, m.end_paying,
         round(100.0 * m.churned_accounts / nullif(m.start_paying, 0), 2)::double precision,
         round(100.0 * (m.churned_mrr + m.contraction_mrr) / nullif(m.start_mrr, 0), 2)::double precision
    from months m
   order by m.month;
$$;
comment on function app_private.mrr_movements(date, date) is
  'New, reactivation, expansion, contraction and churned MRR, logo and revenue churn of each month of [from_month, to_month].';

-- A month argument: its first day; null = the current month (UTC); a month
-- still to come is refused (its figures would be today's passed off as its own).
create or replace function app_private.metrics_month(month date) returns date
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_current date := date_trunc('month', now() at time zone 'UTC')::date;
  v_month date := coalesce(date_trunc('month', metrics_month.month)::date, v_current);
begin
  if v_month > v_current then
    perform app_hidden.raise_error('METRICS_MONTH_IN_FUTURE', null, to_char(v_month, 'YYYY-MM'));
  end if;
  return v_month;
end;
$$;
comment on function app_private.metrics_month(date) is
  'The first day of the month of `month` (null: the current month, UTC); METRICS_MONTH_IN_FUTURE after the current month.';

-- A range of months: [from, to] given, not backwards, 60 months at most
-- (compared as months: any day of a month stands for it).
create or replace function app_private.check_metrics_months(from_month date, to_month date) returns void
  language plpgsql stable
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_months integer := (extract(year from age(date_trunc('month', to_month), date_trunc('month', from_month))) * 12
                       + extract(month from age(date_trunc('month', to_month), date_trunc('month', from_month))) + 1)::integer;
begin
  if from_month is null or to_month is null or v_months < 1 then
    perform app_hidden.raise_error('INVALID_DATE_RANGE', null,
      coalesce(to_char(from_month, 'YYYY-MM'), '?'), coalesce(to_char(to_month, 'YYYY-MM'), '?'));
  end if;
  if v_months > 60 then
    perform app_hidden.raise_error('METRICS_RANGE_TOO_LONG', null, v_months::text);
  end if;
end;
$$;
comment on function app_private.check_metrics_months(date, date) is
  'INVALID_DATE_RANGE for a missing or backwards range of months, METRICS_RANGE_TOO_LONG beyond 60 months.';

-- ---------------------------------------------------------------------------
-- The admin's reads.

-- One month's figures (default: the current month, so far).
create or replace function app_public.admin_saas_metrics(month date default null) returns app_public.saas_metrics
  language plpgsql stable
  security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  -- Caller: an admin (app_private.assert_admin()); SECURITY DEFINER to read the history in app_private.
declare
  v_month date;
  v_result app_public.saas_metrics;
begin
  perform app_private.assert_admin();
  v_month := app_private.metrics_month(admin_saas_metrics.month);
  with last_12 as (
    select * from app_private.mrr_movements((v_month - interval '11 months')::date, v_month)
  ), churn as (
    -- The 12 months' average monthly revenue churn, as a fraction; null without MRR at any start.
    select sum(t.churned_mrr_cents + t.contraction_mrr_cents)::numeric / nullif(sum(t.start_mrr_cents), 0) as rate
      from last_12 t
  ), settings as (
    select coalesce(app_private.config_value('saas_gross_margin_pct')::numeric, 80) as margin_pct
  )
  select v_month, m.end_mrr_cents, 12 * m.end_mrr_cents,
         (select coalesce(sum(b.overage_cost_cents), 0)::bigint from app_public.billing_statements b
           where b.period_start = v_month and b.status <> 'void'),
         m.end_paying_accounts,
         round(m.end_mrr_cents::numeric / nullif(m.end_paying_accounts, 0))::integer,
         m.start_mrr_cents, m.new_mrr_cents, m.reactivation_mrr_cents, m.expansion_mrr_cents,
         m.contraction_mrr_cents, m.churned_mrr_cents, m.net_new_mrr_cents,
         m.start_paying_accounts, m.churned_accounts, m.logo_churn_pct, m.revenue_churn_pct,
         round(100 * c.rate, 2)::double precision,
         s.margin_pct::double precision,
         case when m.end_paying_accounts > 0 and c.rate > 0 then
           round(m.end_mrr_cents::numeric / m.end_paying_accounts * s.margin_pct / 100 / c.rate)::bigint end,
         case when m.end_paying_accounts = 0 then 'no_paying_accounts'
              when coalesce(c.rate, 0) = 0 then 'no_churn_observed' end
    into v_result
    from last_12 m, churn c, settings s
   where m.month = v_month;
  return v_result;
end;
$$;
comment on function app_public.admin_saas_metrics(date) is
  E'Admins: the SaaS metrics of a month (default: the current month, so far): MRR (month-end, overage excluded and given beside it), ARR = 12 × MRR, ARPU, the month''s MRR movements, logo and revenue churn (percent), and LTV = ARPU × gross margin ÷ the average monthly revenue churn of the 12 months ending with it (null with ltvNote no_churn_observed when nothing churned; no_paying_accounts). Definitions: README "SaaS metrics". METRICS_MONTH_IN_FUTURE.';
grant execute on function app_public.admin_saas_metrics(date) to waitify_admin;

-- Month-end MRR of the last `months` months, the current one (so far) last;
-- a month without MRR is there with zero.
create or replace function app_public.admin_mrr_series(months integer default 12) returns setof app_public.mrr_month
  language plpgsql stable
  security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  -- Caller: an admin (app_private.assert_admin()); SECURITY DEFINER to read the history in app_private.
declare
  v_current date := date_trunc('month', now() at time zone 'UTC')::date;
  v_first date;
begin
  perform app_private.assert_admin();
  if admin_mrr_series.months is null or admin_mrr_series.months not between 1 and 60 then
    perform app_hidden.raise_error('METRICS_MONTHS_OUT_OF_RANGE', null, coalesce(admin_mrr_series.months::text, '?'));
  end if;
  v_first := (v_current - make_interval(months => admin_mrr_series.months - 1))::date;
  return query
    with ends as (
      select (st.month_start - interval '1 month')::date as month, sum(st.mrr_cents)::bigint as mrr, count(*)::integer as paying
        from app_private.mrr_at_month_starts((v_first + interval '1 month')::date, (v_current + interval '1 month')::date) st
       group by st.month_start
    ), overage as (
      select b.period_start as month, sum(b.overage_cost_cents)::bigint as cents
        from app_public.billing_statements b
       where b.period_start between v_first and v_current and b.status <> 'void'
       group by b.period_start
    )
    select m::date, coalesce(e.mrr, 0), 12 * coalesce(e.mrr, 0), coalesce(e.paying, 0), coalesce(o.cents, 0)
      from generate_series(v_first::timestamp, v_current::timestamp, interval '1 month') m
      left join ends e on e.month = m::date
      left join overage o on o.month = m::date
     order by m;
end;
$$;
comment on function app_public.admin_mrr_series(integer) is
  'Admins: month-end MRR (ARR, paying accounts, SMS overage beside it) of each of the last `months` months (1 to 60, default 12), the current month (so far) last; months without revenue are zero. METRICS_MONTHS_OUT_OF_RANGE.';
grant execute on function app_public.admin_mrr_series(integer) to waitify_admin;

-- Movements of each month of [from_month, to_month].
create or replace function app_public.admin_mrr_movements(from_month date, to_month date) returns setof app_public.mrr_movement
  language plpgsql stable
  security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  -- Caller: an admin (app_private.assert_admin()); SECURITY DEFINER to read the history in app_private.
declare
  v_from date;
  v_to date;
begin
  perform app_private.assert_admin();
  perform app_private.check_metrics_months(admin_mrr_movements.from_month, admin_mrr_movements.to_month);
  v_from := app_private.metrics_month(admin_mrr_movements.from_month);
  v_to := app_private.metrics_month(admin_mrr_movements.to_month);
  return query select * from app_private.mrr_movements(v_from, v_to);
end;
$$;
comment on function app_public.admin_mrr_movements(date, date) is
  'Admins: each month of [fromMonth, toMonth] (60 at most): MRR at its start and end, new, reactivation, expansion, contraction and churned MRR, accounts, logo and revenue churn (percent). INVALID_DATE_RANGE, METRICS_RANGE_TOO_LONG, METRICS_MONTH_IN_FUTURE.';
grant execute on function app_public.admin_mrr_movements(date, date) to waitify_admin;

-- MRR by plan at a month's end (default: now); every plan listed, zero included.
create or replace function app_public.admin_mrr_by_plan(month date default null) returns setof app_public.mrr_by_plan
  language plpgsql stable
  security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  -- Caller: an admin (app_private.assert_admin()); SECURITY DEFINER to read the history in app_private.
declare
  v_end date;
begin
  perform app_private.assert_admin();
  v_end := (app_private.metrics_month(admin_mrr_by_plan.month) + interval '1 month')::date;
  return query
    with by_plan as (
      select st.plan_id, count(*)::integer as paying,
             count(*) filter (where st.billing_interval = 'month')::integer as monthly,
             count(*) filter (where st.billing_interval = 'year')::integer as yearly,
             sum(st.mrr_cents)::bigint as mrr
        from app_private.mrr_at_month_starts(v_end, v_end) st
       group by st.plan_id
    )
    select p.id, p.name, coalesce(b.paying, 0), coalesce(b.monthly, 0), coalesce(b.yearly, 0), coalesce(b.mrr, 0),
           coalesce(round(100.0 * b.mrr / nullif(sum(b.mrr) over (), 0), 2), 0)::double precision
      from app_public.subscription_plans p
      left join by_plan b on b.plan_id = p.id
     order by coalesce(b.mrr, 0) desc, p.price_cents, p.name;
end;
$$;
comment on function app_public.admin_mrr_by_plan(date) is
  'Admins: MRR by plan at the end of `month` (default: now): paying accounts (monthly and yearly), MRR and its share of the total (percent); every plan, zero included. METRICS_MONTH_IN_FUTURE.';
grant execute on function app_public.admin_mrr_by_plan(date) to waitify_admin;

-- Trial → paid conversion of each cohort month of [from_month, to_month].
create or replace function app_public.admin_trial_conversion(from_month date, to_month date) returns setof app_public.trial_cohort
  language plpgsql stable
  security definer
  set search_path to pg_catalog, public, pg_temp
as $$
  -- Caller: an admin (app_private.assert_admin()); SECURITY DEFINER to read the history in app_private.
declare
  v_from date;
  v_to date;
  v_trial_days integer := coalesce(app_private.config_value('trial_duration_days')::integer, 14);
begin
  perform app_private.assert_admin();
  perform app_private.check_metrics_months(admin_trial_conversion.from_month, admin_trial_conversion.to_month);
  v_from := app_private.metrics_month(admin_trial_conversion.from_month);
  v_to := app_private.metrics_month(admin_trial_conversion.to_month);
  return query
    with accounts as (
      select date_trunc('month', u.created_at at time zone 'UTC')::date as cohort,
             -- Whole days from sign-up to the first paid state; null if never paid.
             case when f.first_paid_at is not null then
               floor(greatest(extract(epoch from f.first_paid_at - u.created_at), 0) / 86400) end as days
        from app_public.users u
        left join lateral (select min(c.changed_at) as first_paid_at from app_private.subscription_changes c
                            where c.user_id = u.id and c.mrr_cents > 0) f on true
       where u.created_at >= v_from::timestamp at time zone 'UTC'
         and u.created_at < (v_to + interval '1 month')::timestamp at time zone 'UTC'
    )
    select m::date, count(a.cohort)::integer, count(a.days)::integer,
           round(100.0 * count(a.days) / nullif(count(a.cohort), 0), 2)::double precision,
           count(*) filter (where a.days <= v_trial_days)::integer,
           (percentile_cont(0.5) within group (order by a.days))::double precision,
           round(avg(a.days), 2)::double precision
      from generate_series(v_from::timestamp, v_to::timestamp, interval '1 month') m
      left join accounts a on a.cohort = m::date
     group by m
     order by m;
end;
$$;
comment on function app_public.admin_trial_conversion(date, date) is
  'Admins: for each cohort (the accounts created in a month of [fromMonth, toMonth], 60 at most): accounts, converted (ever paid), conversion (percent), converted within the trial (trial_duration_days), median and average whole days from sign-up to the first payment. INVALID_DATE_RANGE, METRICS_RANGE_TOO_LONG, METRICS_MONTH_IN_FUTURE.';
grant execute on function app_public.admin_trial_conversion(date, date) to waitify_admin;

-- ---------------------------------------------------------------------------
-- What the reads return (GraphQL descriptions; the types are in the migration).

comment on type app_public.saas_metrics is
  'A month''s SaaS metrics (cents in euros; rates in percent). MRR excludes SMS overage, which overageCents gives beside it.';
comment on column app_public.saas_metrics.month is 'The month (its first day).';
comment on column app_public.saas_metrics.mrr_cents is 'Monthly recurring revenue at the month''s end (now for the current month): plan prices, a yearly plan ÷ 12, Stripe statuses active and past_due.';
comment on column app_public.saas_metrics.arr_cents is '12 × MRR.';
comment on column app_public.saas_metrics.overage_cents is 'SMS overage of the month''s statements (not void): reported beside MRR, never in it.';
comment on column app_public.saas_metrics.paying_accounts is 'Accounts with MRR > 0 at the month''s end.';
comment on column app_public.saas_metrics.arpu_cents is 'MRR ÷ paying accounts; null without any.';
comment on column app_public.saas_metrics.logo_churn_pct is 'Accounts churned in the month ÷ paying accounts at its start; null without any.';
comment on column app_public.saas_metrics.revenue_churn_pct is '(Churned + contraction MRR) ÷ MRR at the month''s start (gross revenue churn); null without any.';
comment on column app_public.saas_metrics.ltv_revenue_churn_pct is 'The LTV''s churn: the 12 months ending with this one, their churned + contraction MRR ÷ their start MRR.';
comment on column app_public.saas_metrics.gross_margin_pct is 'The setting saas_gross_margin_pct (default 80).';
comment on column app_public.saas_metrics.ltv_cents is 'ARPU × gross margin ÷ ltvRevenueChurnPct; null when ltvNote says why.';
comment on column app_public.saas_metrics.ltv_note is 'Why the LTV is null: no_churn_observed (nothing churned in the 12 months: the lifetime is unbounded) or no_paying_accounts.';
comment on type app_public.mrr_month is 'One month of the MRR series.';
comment on type app_public.mrr_movement is
  'One month''s MRR bridge: start + new + reactivation + expansion − contraction − churned = end (per account, its MRR at the month''s start against its end).';
comment on column app_public.mrr_movement.new_mrr_cents is 'MRR of accounts paying at the month''s end, not at its start, and never before.';
comment on column app_public.mrr_movement.reactivation_mrr_cents is 'MRR of accounts paying at the month''s end, not at its start, but at some time before.';
comment on type app_public.mrr_by_plan is 'One plan''s MRR at a month''s end.';
comment on type app_public.trial_cohort is
  'The accounts created in a month and how many ever paid (MRR > 0), how soon (whole days from sign-up).';
