-- Who reads billing: a merchant reads their own account events and monthly
-- statements, the admin reads all; nobody writes them through the API (the
-- billing functions and the worker do). Everything with a Stripe id is in
-- app_private and reached through the functions of db/billing/merchant.sql.

grant select on app_public.account_events to waitify_merchant, waitify_admin;
drop policy if exists select_own on app_public.account_events;
create policy select_own on app_public.account_events for select to waitify_merchant
  using (user_id = (select app_public.current_user_id()));
drop policy if exists select_all on app_public.account_events;
create policy select_all on app_public.account_events for select to waitify_admin using (true);
comment on table app_public.account_events is
  E'@behavior -insert -update -delete\nThe account''s notification feed: every change of its billing state (status, subscription, payments, reminders), and a business reaching its daily SMS cap.';
comment on column app_public.account_events.event_type is
  'What happened: status_changed, plan_changed, subscription_activated, subscription_cancel_scheduled, subscription_resumed, subscription_cancelled, payment_succeeded, payment_failed, reminder_sent or sms_cap_reached (detail {businessId, date, capParts}: SMS beyond the cap are not sent that day).';
comment on column app_public.account_events.actor is 'Who caused it: stripe (a webhook), system (a scheduled job), merchant or admin.';
comment on column app_public.account_events.detail is 'What changed, e.g. {"from": "active", "to": "past_due"} for status_changed.';

grant select on app_public.billing_statements to waitify_merchant, waitify_admin;
drop policy if exists select_own on app_public.billing_statements;
create policy select_own on app_public.billing_statements for select to waitify_merchant
  using (user_id = (select app_public.current_user_id()));
drop policy if exists select_all on app_public.billing_statements;
create policy select_all on app_public.billing_statements for select to waitify_admin using (true);
comment on table app_public.billing_statements is
  E'@behavior -insert -update -delete\nA month''s bill: the plan''s price plus SMS parts beyond the monthly quota (sent or delivered, one unit per part).';
comment on column app_public.billing_statements.period_start is 'The first day of the calendar month (UTC) billed.';
comment on column app_public.billing_statements.total_cents is 'Plan price plus SMS overage, in cents (euros).';
comment on column app_public.billing_statements.status is 'pending (computed, not yet invoiced), invoiced, paid, failed or void.';
comment on column app_public.billing_statements.usage_by_business is 'SMS parts per business: [{"businessId", "name", "parts"}], zero for a business that sent none.';
comment on column app_public.billing_statements.number is
  'The statement''s number, printed on its PDF (GET /billing/statements/<id>.pdf): WTF-<year of issue>-<counter>, unique, assigned once when the statement is created.';

drop trigger if exists _100_timestamps on app_public.billing_statements;
create trigger _100_timestamps before update on app_public.billing_statements
  for each row execute function app_private.tg__set_updated_at();
