-- Runs as the superuser right after a database is created (graphile-migrate
-- reset, and lib/db/setup.ts for every new database). Extensions live in `public`;
-- the application schemas come from the committed migrations.
begin;
revoke all on database :DATABASE_NAME from public;
grant connect, temporary on database :DATABASE_NAME to :DATABASE_OWNER;
grant connect on database :DATABASE_NAME to :DATABASE_AUTHENTICATOR;
alter database :DATABASE_NAME owner to :DATABASE_OWNER;

-- Nobody but the owner creates objects in public (PostgreSQL 15+ already
-- says so; older clusters upgraded in place may not).
revoke create on schema public from public;
grant usage on schema public to public;

create extension if not exists pgcrypto with schema public;
create extension if not exists citext with schema public;
commit;
