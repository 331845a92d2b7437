--! Previous: sha1:6289c93e7413b1fb599db622e626c41f06cdb321
--! Hash: sha1:5bf15a7e958036aefe656d44fd4925ea691afb6d

--! split: 1-current.sql
-- Enter migration here

--! split: 6-F-analytics-indexes.sql
-- The daily analytics pass counts the SMS sent in a period by business and
-- hour (db/analytics/daily.sql): this index holds exactly what it reads, so
-- the million SMS logs of a day are an index-only range instead of a read of
-- the whole rows (their texts). It replaces the BRIN index on sent_at, which
-- only that pass used.
create index if not exists sms_logs_sent_day_idx on app_public.sms_logs (sent_at) include (business_id, parts)
  where status in ('sent', 'delivered');
drop index if exists app_public.sms_logs_sent_at_brin;
