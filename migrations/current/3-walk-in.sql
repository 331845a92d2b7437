-- Walk-ins (issue 13, counter screen): a customer without a phone, added by the
-- merchant at the counter (app_public.add_walk_in, db/queue/walk-in.sql).
--
-- phone becomes nullable: a walk-in has none, so no SMS can ever reach them.
-- is_walk_in says how the entry came in, on its own column rather than
-- "phone is null", because the phone numbers of QR customers are erased some
-- hours after their visit (privacy): an erased phone must not turn a QR
-- customer into a walk-in in the analytics.
--
-- "One active place per phone" (queue_entries_active_phone_key, unique on
-- (queue_id, phone) while waiting or called) keeps working for real phones:
-- a unique index treats NULLs as distinct, so any number of walk-ins may wait
-- together.
alter table app_public.queue_entries alter column phone drop not null;

alter table app_public.queue_entries add column if not exists is_walk_in boolean not null default false;

-- A walk-in never has a phone; a QR customer's phone may only be erased later.
alter table app_public.queue_entries drop constraint if exists queue_entries_walk_in_phone_check;
alter table app_public.queue_entries add constraint queue_entries_walk_in_phone_check
  check (not is_walk_in or phone is null);

-- The counter can only name a walk-in: their name is how they are called.
alter table app_public.queue_entries drop constraint if exists queue_entries_walk_in_name_check;
alter table app_public.queue_entries add constraint queue_entries_walk_in_name_check
  check (not is_walk_in or client_name is not null);
