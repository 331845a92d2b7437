--! Previous: sha1:95e25e040704476ba7462dabf8a2dee1f12e067a
--! Hash: sha1:6d413842a2059094f1b70acbb318f55e827d8443

--! split: 1-current.sql
-- Sessions say when their holder signed in (auth_time, seconds since the
-- epoch, as OpenID Connect names it), so that refresh_session can keep a
-- screen signed in without extending a session for ever
-- (db/identity/session-refresh.sql). A float, so that PostGraphile signs it
-- as a JSON number (a bigint would become a string). Repeatable: the current
-- migration runs again on every save (db:watch). Tokens issued before carry
-- no auth_time and are simply not extended.
do $$
begin
  if not exists (select 1 from pg_attribute
                  where attrelid = 'app_public.jwt_token'::regclass and attname = 'auth_time' and not attisdropped) then
    alter type app_public.jwt_token add attribute auth_time double precision;
  end if;
end;
$$;

insert into app_public.system_configs (key, value, data_type, description, is_public) values
  ('session_max_hours', '12', 'integer', 'Durée maximale d''une session prolongée depuis la connexion (heures)', false)
on conflict (key) do nothing;
