-- The session: who is calling, as PostGraphile set it per request.

-- Who is calling: the user id the server put in the JWT claims, or null for
-- anonymous requests (missing_ok: an anonymous request sees nothing, it does
-- not error). Policies call it as (select app_public.current_user_id()).
create or replace function app_public.current_user_id() returns uuid
  language sql stable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  select nullif(current_setting('jwt.claims.user_id', true), '')::uuid;
$$;

-- Used by policies and defaults; not an API field (currentUser is).
comment on function app_public.current_user_id() is
  E'@behavior -queryField -mutationField -typeField\nThe id of the user making the request, or null when anonymous.';
grant execute on function app_public.current_user_id() to waitify_anonymous, waitify_merchant, waitify_admin;
