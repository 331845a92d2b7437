--! Previous: sha1:d0310753d382cf38747236371ef97e88c351309a
--! Hash: sha1:95e25e040704476ba7462dabf8a2dee1f12e067a

--! split: 1-current.sql
-- app_private.due_usage_reports returns the meter event's time (stamped_at)
-- as well: a new result column, which create or replace cannot add
-- (db/billing/usage-reports.sql defines it again right after).
drop function if exists app_private.due_usage_reports(timestamptz, interval);
