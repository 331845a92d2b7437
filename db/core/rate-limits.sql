-- Who reads and writes the rate-limit counters (app_private.rate_limits,
-- created by a migration): the API's own connection, the authenticator,
-- before any SET ROLE — never a request role. rate-limiter-flexible's Postgres
-- store runs its own statements on the table (an upsert per counted request,
-- a select, a delete), so it is reached directly rather than through SECURITY
-- DEFINER functions. A request runs as its request role (SET ROLE), which has
-- no privilege here: nothing a GraphQL request does can read or reset a counter.
--
-- RLS stays on, as on every table; this one policy is what lets the
-- authenticator (not the owner, so not exempt) see the rows at all.

grant usage on schema app_private to :DATABASE_AUTHENTICATOR;
grant select, insert, update, delete on app_private.rate_limits to :DATABASE_AUTHENTICATOR;
drop policy if exists all_server on app_private.rate_limits;
create policy all_server on app_private.rate_limits for all to :DATABASE_AUTHENTICATOR using (true) with check (true);
