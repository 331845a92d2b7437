-- Shared internals of the queue engine (app_private: not reachable by the
-- request roles; called from the SECURITY DEFINER functions of 230–250).
-- The helpers on the hot path are plpgsql rather than SQL: PostgreSQL < 18
-- plans a non-inlined SQL function's body again on every call, plpgsql keeps
-- its plans for the session (measured: 0.4 ms → 0.05 ms per estimate).
--
-- Concurrency protocol: every change to a queue or its entries first locks
-- the queue row (FOR NO KEY UPDATE: it does not block the foreign-key checks
-- of inserted entries), then the entry. One order everywhere, so no
-- deadlocks; capacity, duplicate phones, ticket numbers and "call next" are
-- decided by one transaction at a time per queue while other queues run in
-- parallel.

-- Business-rule errors with their SQLSTATE (lib/errors.ts maps them to
-- extensions.code / number) and a message in the business's language.
create or replace function app_private.queue_error(code text, lang text, detail text default null) returns void
  language plpgsql volatile
  set search_path to pg_catalog
as $$
declare
  v_state text;
  v_fr text;
  v_en text;
begin
  case code
    when 'QUEUE_CLOSED' then
      v_state := 'WT401'; v_fr := 'La file d''attente est fermée.'; v_en := 'The queue is closed.';
    when 'QUEUE_PAUSED' then
      v_state := 'WT411';
      v_fr := 'La file d''attente est en pause : les inscriptions reprendront bientôt.';
      v_en := 'The queue is paused: joining will resume shortly.';
    when 'QUEUE_PAUSED_CALL' then
      v_state := 'WT411';
      v_fr := 'La file d''attente est en pause : reprenez-la pour appeler le client suivant.';
      v_en := 'The queue is paused: resume it to call the next customer.';
    when 'QUEUE_FULL' then
      v_state := 'WT402'; v_fr := 'La file d''attente est complète.'; v_en := 'The queue is full.';
    when 'ALREADY_IN_QUEUE' then
      v_state := 'WT403';
      v_fr := 'Ce numéro est déjà inscrit dans cette file d''attente.';
      v_en := 'This phone number is already in this queue.';
    when 'BUSINESS_SUSPENDED' then
      v_state := 'WT404';
      v_fr := 'Cet établissement n''accepte pas de clients pour le moment.';
      v_en := 'This business is not accepting customers at the moment.';
    when 'INVALID_PHONE' then
      v_state := 'WTPHN'; v_fr := 'Numéro de téléphone invalide.'; v_en := 'Invalid phone number.';
    when 'INVALID_NAME' then
      v_state := 'WTVAL'; v_fr := 'Le nom doit faire au plus 100 caractères.'; v_en := 'The name must be at most 100 characters.';
    when 'INVALID_TRANSITION' then
      v_state := 'WTTRN';
      v_fr := format('Action impossible : %s.', coalesce(detail, 'état actuel'));
      v_en := format('This action is not possible: %s.', coalesce(detail, 'current state'));
    when 'QUEUE_NOT_FOUND' then
      v_state := 'WTNFD'; v_fr := 'File d''attente introuvable.'; v_en := 'Queue not found.';
    when 'ENTRY_NOT_FOUND' then
      v_state := 'WTNFD'; v_fr := 'Inscription introuvable.'; v_en := 'Queue entry not found.';
    when 'UNAUTHENTICATED' then
      v_state := 'WTUNA'; v_fr := 'Connexion requise.'; v_en := 'You must be signed in.';
    else
      raise exception 'unknown queue error code %', code;
  end case;
  raise exception using errcode = v_state, message = case when lang = 'en' then v_en else v_fr end;
end;
$$;

