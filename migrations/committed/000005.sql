--! Previous: sha1:39fd5144f00de8c74733eb17394f1f1a46018443
--! Hash: sha1:fce95fcedc97fb907adf450b82a9d8a1050c9e31

--! split: 1-applied-definitions.sql
-- The database's source moved to db/ (replaceable definitions, re-applied
-- after the migrations by lib/db/definitions.ts; see db/README.md). This
-- table remembers the digest of what was applied last, so that a start with
-- unchanged files skips re-applying them. Owner only: RLS on, no policy, no
-- grant.
create table if not exists app_private.applied_definitions (
  singleton boolean primary key default true check (singleton),
  digest text not null check (digest ~ '^[0-9a-f]{64}$'),
  files integer not null check (files > 0),
  applied_at timestamptz not null default now()
);
alter table app_private.applied_definitions enable row level security;
