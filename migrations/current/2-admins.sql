-- Back office: the administrators (not merchant accounts: they have no plan,
-- no businesses, and must never count as tenants in the SaaS metrics) and the
-- append-only log of every admin write. Idempotent: graphile-migrate re-runs
-- current/ on every change.
create table if not exists app_private.admins (
  id uuid primary key default gen_random_uuid(),
  email citext not null,
  password_hash text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  disabled_at timestamptz,
  constraint admins_email_key unique (email),
  constraint admins_email_check check (email ~* '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$' and length(email::text) <= 255)
);
alter table app_private.admins enable row level security;

create table if not exists app_public.admin_audit_log (
  id bigint generated always as identity primary key,
  admin_id uuid not null references app_private.admins (id),
  admin_email citext not null,
  action text not null,
  target_type text not null,
  target_id text,
  reason text,
  before jsonb,
  after jsonb,
  created_at timestamptz not null default now(),
  constraint admin_audit_log_action_check check (action ~ '^[a-z][a-z0-9_]{1,62}$'),
  constraint admin_audit_log_target_type_check check (target_type ~ '^[a-z][a-z0-9_]{1,62}$'),
  constraint admin_audit_log_target_id_check check (length(target_id) between 1 and 200),
  constraint admin_audit_log_reason_check check (length(reason) <= 500)
);
create index if not exists admin_audit_log_target_idx on app_public.admin_audit_log (target_type, target_id, id desc);
create index if not exists admin_audit_log_admin_id_idx on app_public.admin_audit_log (admin_id, id desc);
alter table app_public.admin_audit_log enable row level security;

-- The session token names the admin (admin_id) beside the merchant (user_id).
do $$
begin
  if not exists (
    select 1 from pg_attribute a join pg_type t on t.typrelid = a.attrelid
     where t.oid = 'app_public.jwt_token'::regtype and a.attname = 'admin_id' and not a.attisdropped
  ) then
    alter type app_public.jwt_token add attribute admin_id uuid;
  end if;
end
$$;
