-- The audit log: every admin write (suspend, reactivate, change of plan,
-- promo codes, reminders, erasure…) records who, what, when, before and
-- after. Admins read it; nobody changes it — no grant but SELECT, and
-- triggers refuse UPDATE, DELETE and TRUNCATE even to the owner.

comment on table app_public.admin_audit_log is
  E'@behavior -insert -update -delete\nEvery administrator write: who, what, on what, why, before and after. Append-only.';
comment on column app_public.admin_audit_log.action is 'What was done, e.g. suspend_account, change_plan, create_promo_code.';
comment on column app_public.admin_audit_log.target_type is 'What it was done to: account, promo_code, …';
comment on column app_public.admin_audit_log.target_id is 'The id of what it was done to.';
comment on column app_public.admin_audit_log.before is 'The state before the write (null when something was created).';
comment on column app_public.admin_audit_log.after is 'The state after the write.';

grant select on app_public.admin_audit_log to waitify_admin;
drop policy if exists select_all on app_public.admin_audit_log;
create policy select_all on app_public.admin_audit_log for select to waitify_admin using (true);

create or replace function app_private.tg_admin_audit_log__append_only() returns trigger
  language plpgsql
  set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform app_hidden.raise_error('AUDIT_LOG_APPEND_ONLY', 'en');
  return null;
end;
$$;

drop trigger if exists _200_append_only on app_public.admin_audit_log;
create trigger _200_append_only before update or delete on app_public.admin_audit_log
  for each row execute function app_private.tg_admin_audit_log__append_only();
drop trigger if exists _200_append_only_truncate on app_public.admin_audit_log;
create trigger _200_append_only_truncate before truncate on app_public.admin_audit_log
  for each statement execute function app_private.tg_admin_audit_log__append_only();

-- Records an admin write, in the write's own transaction (no write without
-- its record). The acting admin comes from the session, never a parameter.
create or replace function app_private.record_admin_action(
  action text,
  target_type text,
  target_id text,
  before jsonb,
  after jsonb,
  reason text default null
) returns bigint
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_admin uuid := app_private.assert_admin();
  v_id bigint;
begin
  insert into app_public.admin_audit_log (admin_id, admin_email, action, target_type, target_id, reason, before, after)
  select v_admin, a.email, record_admin_action.action, record_admin_action.target_type, record_admin_action.target_id,
         nullif(btrim(record_admin_action.reason), ''), record_admin_action.before, record_admin_action.after
    from app_private.admins a where a.id = v_admin
  returning id into v_id;
  return v_id;
end;
$$;
