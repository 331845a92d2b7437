-- Who may use which schema. app_public is exposed by PostGraphile, app_hidden has the
-- same grants but is not exposed, app_private (secrets) is reached only through
-- SECURITY DEFINER functions. The schemas themselves are created by migration 000001.

revoke all on schema app_public, app_hidden, app_private from public;

grant usage on schema app_public, app_hidden to waitify_anonymous, waitify_merchant, waitify_admin;
