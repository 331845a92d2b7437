--! Previous: sha1:5bf15a7e958036aefe656d44fd4925ea691afb6d
--! Hash: sha1:d0310753d382cf38747236371ef97e88c351309a

--! split: 1-current.sql
-- Enter migration here

-- Each visit's durations, computed once when it changes instead of every
-- night by the analytics pass (db/analytics/daily.sql): seconds from joining
-- to being called, and from being called to being served; null until then.
alter table app_public.queue_entries
  add column if not exists wait_seconds double precision
    generated always as (date_part('epoch', called_at - joined_at)) stored,
  add column if not exists service_seconds double precision
    generated always as (date_part('epoch', served_at - called_at)) stored;
