--! Previous: sha1:fce95fcedc97fb907adf450b82a9d8a1050c9e31
--! Hash: sha1:d8f1f52f231eb46e305b0d5c3d80d8d79b8dc1a6

--! split: 1-current.sql
-- Removals that follow the move of the definitions to db/ (a definition
-- deleted from db/ stays in the database until a migration drops it).
-- app_private.queue_error gave way to app_hidden.raise_error (db/core/errors.sql).
drop function if exists app_private.queue_error(text, text, text);
