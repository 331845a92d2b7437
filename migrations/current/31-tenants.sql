-- Back office, tenants (issue 10 item 2): the admin's suspension hold and the
-- indexes of the account list and its search.

-- A suspension decided by an admin: while this row exists the account's status
-- is suspended whatever Stripe says (app_private.refresh_account_status reads
-- it), so a webhook or the daily billing pass cannot lift it; reactivation
-- deletes it and recomputes the status. The admin, the reason and the before /
-- after are in app_public.admin_audit_log.
create table if not exists app_private.admin_suspensions (
  user_id uuid primary key references app_public.users (id) on delete cascade,
  reason text not null check (length(btrim(reason)) between 3 and 500),
  created_at timestamptz not null default now()
);
alter table app_private.admin_suspensions enable row level security;

-- The search: a case-insensitive substring of email or name (LIKE '%…%' with
-- the wildcards escaped) is what a trigram index serves. Lowercased with the
-- ICU root collation, not the database's: under the C locale (the embedded
-- server's) lower() leaves É as it is. pg_trgm is a trusted extension: the
-- database's owner may create it.
create extension if not exists pg_trgm with schema public;
create index if not exists users_search_idx on app_public.users using gin (
  (lower((email::text || ' ' || coalesce(first_name, '') || ' ' || coalesce(last_name, '')) collate "und-x-icu"))
  public.gin_trgm_ops);
