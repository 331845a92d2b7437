--! Previous: sha1:9ba938474a9c2382908af63112d315b1188230c5
--! Hash: sha1:3c4362803af90bfb28f2d9047a56aadbd4ae1a0f

--! split: 1-current.sql
-- Enter migration here

--! split: 7-rate-limits.sql
-- Rate-limit counters shared by every API process (lib/http/rate-limit/):
-- rate-limiter-flexible's Postgres store, whose statements fix the shape
-- (key, points, expire in ms since the epoch). Created here so the API runs
-- no DDL (the store is given `tableCreated: true`).
--
-- UNLOGGED: a counter is worth less than the WAL it would cost on every
-- request; after a crash (or on a promoted standby) the counters restart at
-- zero, which only forgives a minute of traffic.
create unlogged table if not exists app_private.rate_limits (
  key varchar(255) primary key,
  points integer not null default 0,
  expire bigint
);
-- The store deletes rows expired an hour ago every five minutes.
create index if not exists rate_limits_expire_idx on app_private.rate_limits (expire);
alter table app_private.rate_limits enable row level security;
