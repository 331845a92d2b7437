-- Bookkeeping of this very mechanism (lib/db/definitions.ts).

comment on table app_private.applied_definitions is
  'One row: the sha256 of the db/ files applied last (lib/db/definitions.ts).';
