-- updated_at maintenance, shared by every table's _100_timestamps trigger.

-- Keeps updated_at honest whatever the client sends.
create or replace function app_private.tg__set_updated_at() returns trigger
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  new.updated_at := greatest(now(), coalesce(old.updated_at, now()) + interval '1 millisecond');
  return new;
end;
$$;
comment on function app_private.tg__set_updated_at() is
  'BEFORE UPDATE trigger: sets updated_at to now (strictly increasing, so optimistic checks work).';
