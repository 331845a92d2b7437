-- Business-rule errors: one catalogue of codes and one helper that raises them.
--
-- Each Waitify code has a SQLSTATE of class "WT" (ours; lib/errors.ts turns
-- it into the GraphQL error's extensions.code and, where the product has one,
-- extensions.number) and a message in French and in English; %s in a message
-- is filled from the raise's arguments, in order (format()).

-- The catalogue. Codes that share a SQLSTATE differ only in their message
-- (QUEUE_PAUSED / QUEUE_PAUSED_CALL are both QUEUE_PAUSED, 4001, for clients).
create or replace function app_hidden.error_catalog()
  returns table (code text, sqlstate text, message_fr text, message_en text)
  language sql immutable parallel safe
  set search_path to pg_catalog, public, pg_temp
as $$
  values
    ('QUEUE_CLOSED', 'WT401',
     'La file d''attente est fermée.',
     'The queue is closed.'),
    ('QUEUE_PAUSED', 'WT411',
     'La file d''attente est en pause : les inscriptions reprendront bientôt.',
     'The queue is paused: joining will resume shortly.'),
    ('QUEUE_PAUSED_CALL', 'WT411',
     'La file d''attente est en pause : reprenez-la pour appeler le client suivant.',
     'The queue is paused: resume it to call the next customer.'),
    ('QUEUE_FULL', 'WT402',
     'La file d''attente est complète.',
     'The queue is full.'),
    ('ALREADY_IN_QUEUE', 'WT403',
     'Ce numéro est déjà inscrit dans cette file d''attente.',
     'This phone number is already in this queue.'),
    ('TOO_MANY_QUEUES', 'WTMXQ',
     'Ce numéro a déjà une place dans %s file(s) d''attente, le maximum : quittez-en une avant d''en rejoindre une autre.',
     'This phone number already holds a place in %s queue(s), the most allowed: leave one before joining another.'),
    ('SMS_DAILY_CAP_OUT_OF_RANGE', 'WTVAL',
     'Le plafond quotidien de SMS doit être compris entre %s et %s parts (le quota mensuel de votre forfait).',
     'The daily SMS cap must be between %s and %s parts (your plan''s monthly quota).'),
    ('BUSINESS_SUSPENDED', 'WT404',
     'Cet établissement n''accepte pas de clients pour le moment.',
     'This business is not accepting customers at the moment.'),
    ('INVALID_PHONE', 'WTPHN',
     'Numéro de téléphone invalide.',
     'Invalid phone number.'),
    ('INVALID_NAME', 'WTVAL',
     'Le nom doit faire au plus 100 caractères.',
     'The name must be at most 100 characters.'),
    ('WALK_IN_NAME_REQUIRED', 'WTVAL',
     'Indiquez le nom du client (100 caractères au plus) : c''est par son nom qu''il sera appelé.',
     'Enter the customer''s name (at most 100 characters): it is how they will be called.'),
    ('INVALID_TRANSITION', 'WTTRN',
     'Action impossible : %s.',
     'This action is not possible: %s.'),
    ('MORE_TIME_ALREADY_USED', 'WTMTU',
     'Vous avez déjà demandé %s minutes de plus : ce délai ne se prolonge qu''une fois.',
     'You have already asked for %s more minutes: this can only be done once.'),
    ('QUEUE_NOT_FOUND', 'WTNFD',
     'File d''attente introuvable.',
     'Queue not found.'),
    ('ENTRY_NOT_FOUND', 'WTNFD',
     'Inscription introuvable.',
     'Queue entry not found.'),
    ('BUSINESS_NOT_FOUND', 'WTNFD',
     'Établissement introuvable.',
     'Business not found.'),
    ('BUSINESS_DELETED', 'WTVAL',
     'Cet établissement est supprimé : restaurez-le d''abord.',
     'This business is deleted: restore it first.'),
    ('BUSINESS_NAME_REQUIRED', 'WTVAL',
     'Le nom de l''établissement est obligatoire.',
     'The business name is required.'),
    ('INVALID_OPENING_HOURS', 'WTVAL',
     'Horaires d''ouverture invalides : %s.',
     'Invalid opening hours: %s.'),
    ('QUEUE_BUSINESS_FIXED', 'WTVAL',
     'Une file ne change pas d''établissement.',
     'A queue cannot move to another business.'),
    ('PLAN_LIMIT', 'WTPLN',
     'Votre forfait « %s » permet %s établissement(s) actif(s) : passez à un forfait supérieur pour en ajouter.',
     'Your "%s" plan allows %s active business(es): upgrade your plan to add more.'),
    ('PLAN_LIMIT_DOWNGRADE', 'WTPLN',
     'Le forfait « %s » permet %s établissement(s) actif(s) ; vous en avez %s. Supprimez-en avant de changer de forfait.',
     'The "%s" plan allows %s active business(es); you have %s. Delete some before changing plans.'),
    ('UNAUTHENTICATED', 'WTUNA',
     'Connexion requise.',
     'You must be signed in.'),
    ('ALREADY_SIGNED_IN', 'WTFRB',
     'Vous êtes déjà connecté.',
     'You are already signed in.'),
    ('FORBIDDEN', 'WTFRB',
     'Accès refusé.',
     'Access denied.'),
    ('ACCOUNT_DISABLED', 'WTFRB',
     'Ce compte est désactivé.',
     'This account is disabled.'),
    ('INVALID_CREDENTIALS', 'WTCRD',
     'Adresse e-mail ou mot de passe incorrect.',
     'Wrong email address or password.'),
    ('INVALID_EMAIL', 'WTVAL',
     'Adresse e-mail invalide.',
     'Invalid email address.'),
    ('ADMIN_PASSWORD_TOO_SHORT', 'WTVAL',
     'Le mot de passe d''un administrateur doit contenir au moins 12 caractères.',
     'An administrator''s password must be at least 12 characters long.'),
    ('AUDIT_LOG_APPEND_ONLY', 'WTFRB',
     'Le journal d''audit ne peut être ni modifié ni effacé.',
     'The audit log can be neither changed nor erased.'),
    ('EMAIL_TAKEN', 'WTDUP',
     'Un compte existe déjà avec cette adresse e-mail.',
     'An account already exists with this email address.'),
    ('PERSON_NAME_TOO_LONG', 'WTVAL',
     'Le prénom et le nom ne dépassent pas 100 caractères.',
     'First and last names are at most 100 characters.'),
    ('PASSWORD_TOO_SHORT', 'WTVAL',
     'Le mot de passe doit contenir au moins 8 caractères.',
     'The password must be at least 8 characters long.'),
    ('PASSWORD_TOO_LONG', 'WTVAL',
     'Le mot de passe ne doit pas dépasser 72 octets.',
     'The password must be at most 72 bytes long.'),
    ('INVALID_RESET_TOKEN', 'WTRST',
     'Ce lien de réinitialisation est invalide ou a expiré : demandez-en un nouveau.',
     'This reset link is invalid or has expired: ask for a new one.'),
    ('GOOGLE_TOKEN_INVALID', 'WTCRD',
     'Jeton Google invalide.',
     'Invalid Google token.'),
    ('GOOGLE_EMAIL_UNVERIFIED', 'WTCRD',
     'Adresse e-mail Google non vérifiée.',
     'The Google email address is not verified.'),
    ('GOOGLE_ACCOUNT_MISMATCH', 'WTCRD',
     'Ce compte est lié à un autre compte Google.',
     'This account is linked to another Google account.'),
    ('ACCOUNT_READ_ONLY', 'WTROA',
     'Votre compte est en lecture seule après un paiement refusé : réglez votre facture pour modifier vos réglages ou ouvrir une file.',
     'Your account is read-only after a failed payment: pay your invoice to change settings or open a queue.'),
    ('ACCOUNT_SUSPENDED', 'WTSUS',
     'Votre compte est suspendu : réglez votre facture pour le réactiver.',
     'Your account is suspended: pay your invoice to reactivate it.'),
    ('STRIPE_EVENT_INVALID', 'WTVAL',
     'Événement Stripe invalide.',
     'Invalid Stripe event.'),
    ('PLAN_NOT_FOUND', 'WTNFD',
     'Forfait introuvable.',
     'Plan not found.'),
    ('ALREADY_SUBSCRIBED', 'WTSUB',
     'Vous avez déjà un abonnement : changez de forfait plutôt que d''en souscrire un second.',
     'You already have a subscription: change your plan instead of subscribing again.'),
    ('NO_SUBSCRIPTION', 'WTNSB',
     'Aucun abonnement pour ce compte : souscrivez d''abord.',
     'This account has no subscription: subscribe first.'),
    ('BILLING_NOT_CONFIGURED', 'WTBNC',
     'La facturation n''est pas configurée sur ce serveur.',
     'Billing is not configured on this server.'),
    -- Back office, overdue accounts (db/admin/overdue.sql).
    ('ACCOUNT_NOT_FOUND', 'WTNFD',
     'Compte introuvable.',
     'Account not found.'),
    ('NOTHING_OVERDUE', 'WTNOD',
     'Ce compte n''a aucune facture en retard : il n''y a rien à relancer.',
     'This account has no overdue invoice: there is nothing to remind it of.'),
    ('REMINDER_ALREADY_SENT', 'WTRMD',
     'Une relance a déjà été envoyée à ce compte aujourd''hui.',
     'A reminder was already sent to this account today.'),
    ('PROMOTION_CODE_INVALID', 'WTPRM',
     'Code promotionnel invalide ou expiré.',
     'Invalid or expired promotion code.'),
    ('INVALID_DATE', 'WTDAT',
     'Date invalide : « %s » (AAAA-MM-JJ attendu).',
     'Invalid date: "%s" (YYYY-MM-DD expected).'),
    ('INVALID_DATE_RANGE', 'WTRNG',
     'Période invalide : la date de début (%s) doit précéder ou égaler la date de fin (%s).',
     'Invalid period: the start date (%s) must not be after the end date (%s).'),
    ('DATE_RANGE_TOO_LONG', 'WTRNG',
     'Période trop longue : %s jours demandés, 366 au plus.',
     'Period too long: %s days asked for, 366 at most.'),
    ('METRICS_RANGE_TOO_LONG', 'WTRNG',
     'Période trop longue : %s mois demandés, 60 au plus.',
     'Period too long: %s months asked for, 60 at most.'),
    ('METRICS_MONTHS_OUT_OF_RANGE', 'WTRNG',
     'Nombre de mois invalide : %s (de 1 à 60).',
     'Invalid number of months: %s (1 to 60).'),
    ('METRICS_MONTH_IN_FUTURE', 'WTRNG',
     'Le mois %s n''est pas encore commencé : le mois en cours au plus tard.',
     'The month %s has not begun yet: the current month at the latest.'),
    ('INVALID_TIME_ZONE', 'WTVAL',
     'Fuseau horaire inconnu : « %s » (un nom IANA comme Europe/Paris est attendu).',
     'Unknown time zone: "%s" (an IANA name such as Europe/Paris is expected).'),
    -- Back office, tenants (db/admin/tenants-actions.sql; ACCOUNT_NOT_FOUND above).
    ('ACCOUNT_SUSPENDED_BY_ADMIN', 'WTSUS',
     'Votre compte a été suspendu par l''équipe Waitify : contactez le support pour le réactiver.',
     'Your account has been suspended by the Waitify team: contact support to reactivate it.'),
    ('ACCOUNT_ALREADY_SUSPENDED', 'WTASU',
     'Ce compte est déjà suspendu.',
     'This account is already suspended.'),
    ('ACCOUNT_NOT_SUSPENDED', 'WTNSU',
     'Ce compte n''est pas suspendu : rien à réactiver.',
     'This account is not suspended: there is nothing to reactivate.'),
    ('ACCOUNT_UNPAID', 'WTUNP',
     'Ce compte est suspendu pour factures impayées : il sera réactivé quand elles seront réglées (ou annulées dans Stripe).',
     'This account is suspended for unpaid invoices: it comes back once they are paid (or voided in Stripe).'),
    ('PLAN_MANAGED_BY_STRIPE', 'WTPMS',
     'Ce compte a un abonnement Stripe : son forfait se change dans Stripe (le webhook le reporte ici).',
     'This account has a Stripe subscription: its plan is changed in Stripe (the webhook brings the change here).'),
    ('ADMIN_REASON_INVALID', 'WTVAL',
     'Indiquez un motif de 3 à 500 caractères.',
     'Give a reason of 3 to 500 characters.'),
    ('STATEMENT_NOT_FOUND', 'WTNFD',
     'Relevé introuvable.',
     'Statement not found.'),
    ('INVALID_PAYMENT_STATUS', 'WTVAL',
     'Statut de paiement inconnu : « %s » (draft, open, paid, uncollectible ou void).',
     'Unknown payment status: "%s" (draft, open, paid, uncollectible or void).'),
    ('INVALID_ACCOUNT_FILTER', 'WTVAL',
     'Compte invalide : « %s » (un identifiant ou une adresse e-mail est attendu).',
     'Invalid account: "%s" (an id or an email address is expected).'),
    ('INTERNAL_ONLY', 'WTFRB',
     'Fonction interne : appel refusé.',
     'Internal function: call refused.');
$$;
comment on function app_hidden.error_catalog() is
  'Every Waitify error code: its SQLSTATE and its message in French and English (%s filled by raise_error''s args).';
grant execute on function app_hidden.error_catalog() to waitify_anonymous, waitify_merchant, waitify_admin;

-- Raises a code from the catalogue. The caller passes the language of the
-- business concerned when there is one; otherwise French, the product's
-- default (accounts have no language of their own).
--
-- In app_hidden, not app_private: SECURITY INVOKER functions and triggers
-- that run as a request role (normalize_phone for anonymous, the business
-- validation trigger for a merchant) raise through it too. It only raises.
create or replace function app_hidden.raise_error(code text, lang text default null, variadic args text[] default '{}')
  returns void
  language plpgsql volatile
  set search_path to pg_catalog, public, pg_temp
as $$
declare
  v_error record;
  v_message text;
begin
  select c.* into v_error from app_hidden.error_catalog() c where c.code = raise_error.code;
  if not found then
    -- A typo in a caller must not pass for a business rule.
    raise exception 'app_hidden.raise_error: unknown code %', code;
  end if;
  -- INVALID_TRANSITION says why (app_private.transition_detail); a generic reason otherwise.
  if code = 'INVALID_TRANSITION' and coalesce(cardinality(args), 0) = 0 then
    args := array[case when lang = 'en' then 'current state' else 'état actuel' end];
  end if;
  v_message := case when lang = 'en' then v_error.message_en else v_error.message_fr end;
  -- A caller that forgot an argument still gets its business error, not format()'s.
  while coalesce(cardinality(args), 0) < (length(v_message) - length(replace(v_message, '%s', ''))) / 2 loop
    args := args || '…'::text;
  end loop;
  raise exception using errcode = v_error.sqlstate, message = format(v_message, variadic args);
end;
$$;
comment on function app_hidden.raise_error(text, text, text[]) is
  'Raises a Waitify business-rule error: its SQLSTATE (class WT) and its message in French, or English when lang = ''en''.';
grant execute on function app_hidden.raise_error(text, text, text[]) to waitify_anonymous, waitify_merchant, waitify_admin;
