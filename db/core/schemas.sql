revoke all on schema app_public, app_hidden, app_private from public;

grant usage on schema app_public, app_hidden to waitify_anonymous, waitify_merchant, waitify_admin;

