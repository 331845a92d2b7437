-- /health and /metrics read the last delivery failures (app_private.delivery_health,
-- db/monitoring/health.sql): failed logs are few, so partial indexes keep that cheap.
create index if not exists sms_logs_failed_idx on app_public.sms_logs (updated_at) where status = 'failed';
create index if not exists email_logs_failed_idx on app_private.email_logs (updated_at) where status = 'failed';
