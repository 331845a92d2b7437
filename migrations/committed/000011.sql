--! Previous: sha1:8bdca01181af76ce661791a6775835b5c923c7b8
--! Hash: sha1:9ba938474a9c2382908af63112d315b1188230c5

--! split: 1-current.sql
-- Enter migration here

--! split: 9-observability.sql
-- /health and /metrics read the last delivery failures (app_private.delivery_health,
-- db/monitoring/health.sql): failed logs are few, so partial indexes keep that cheap.
create index if not exists sms_logs_failed_idx on app_public.sms_logs (updated_at) where status = 'failed';
create index if not exists email_logs_failed_idx on app_private.email_logs (updated_at) where status = 'failed';
-- /metrics counts the messages the daily cap kept back (status 'capped'), by type, over the last hour.
create index if not exists sms_logs_capped_idx on app_public.sms_logs (created_at) where status = 'capped';
