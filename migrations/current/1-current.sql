-- Removals that follow the move of the definitions to db/ (a definition
-- deleted from db/ stays in the database until a migration drops it).
-- app_private.queue_error gave way to app_hidden.raise_error (db/core/errors.sql).
drop function if exists app_private.queue_error(text, text, text);
