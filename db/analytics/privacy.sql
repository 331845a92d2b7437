-- Privacy: customers' phone numbers (and names) are erased a number of hours
-- after their visit ends (businesses.phone_retention_hours), and at once on a
-- merchant's request (forget_customer), recorded in customer_erasures without
-- the number. Counts stay: the rows remain, only the personal data goes.

-- When the entry's personal data was erased (null: not yet, or never had any).
grant select (erased_at) on app_public.queue_entries to waitify_merchant, waitify_admin;
comment on column app_public.queue_entries.erased_at is
  'When the phone number and name were erased (phone_retention_hours after the visit ended, or forgetCustomer).';
comment on column app_public.queue_entries.phone is
  'E.164; null once erased (see erasedAt) or for a customer who gave none.';

grant select on app_public.customer_erasures to waitify_merchant, waitify_admin;

drop policy if exists select_own on app_public.customer_erasures;
create policy select_own on app_public.customer_erasures for select to waitify_merchant
  using (user_id = (select app_public.current_user_id()));

drop policy if exists select_all on app_public.customer_erasures;
create policy select_all on app_public.customer_erasures for select to waitify_admin using (true);

comment on table app_public.customer_erasures is
  E'@behavior -insert -update -delete\nThe audit of erasures on request (forgetCustomer): when, and how much was erased; never the number itself.';
comment on column app_public.customer_erasures.visits_in_progress is
  'Visits of that number still waiting or called when asked: their number is erased with the automatic erasure once they end.';
