--! Previous: sha1:0b0c3584893e104f6b46161637bbb99a46065d96
--! Hash: sha1:a2d9fc387417998591b807aa07263847314d2e8e

--! split: 1-current.sql
-- Each visit's estimate check and last event, computed once when it changes
-- instead of every night by the analytics pass (db/analytics/daily.sql), as
-- 000015 did for its durations: |actual wait − quoted wait| in seconds, whether
-- that is within max(25 % of the quote, 1 minute), and the time of its latest
-- event. Written from the base columns: a generated column cannot read
-- another (wait_seconds). Rewrites queue_entries once (README, "Migrations
-- that rewrite a table").
alter table app_public.queue_entries
  add column if not exists estimate_error_seconds double precision
    generated always as (abs(date_part('epoch', called_at - joined_at) - 60 * quoted_wait_minutes)) stored,
  add column if not exists estimate_within_25 boolean
    generated always as (abs(date_part('epoch', called_at - joined_at) - 60 * quoted_wait_minutes)
                         <= greatest(15 * quoted_wait_minutes, 60)) stored,
  add column if not exists last_event_at timestamptz
    generated always as (greatest(called_at, served_at, missed_at, cancelled_at)) stored;
