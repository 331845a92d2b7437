--! Previous: sha1:e2650227c652d8d641bf1472f816b3de0e92699d
--! Hash: sha1:4411df7087e49a0a7cdf0f60170009aed3b3c5cb

--! split: 1-current.sql
-- Enter migration here

--! split: 2-email.sql
-- Email (issue 12, item 6): the texts, the outbox and password reset tokens.
-- All three live in app_private: addresses, bodies and token hashes are read
-- only by the owner (the worker and SECURITY DEFINER functions of db/email/
-- and db/identity/password-reset.sql). Idempotent while it is current.

-- The texts of every email, per template and language. Placeholders are
-- {name}s filled by app_private.render_email (db/email/templates.sql); a body
-- is plain text, paragraphs separated by a blank line, never hard-wrapped
-- (mail clients wrap).
create table if not exists app_private.email_templates (
  template text not null check (template ~ '^[a-z][a-z0-9_]{1,62}$'),
  language text not null check (language in ('fr', 'en')),
  subject text not null check (length(btrim(subject)) between 1 and 200 and subject !~ '[\r\n]'),
  body text not null check (length(btrim(body)) between 1 and 10000),
  updated_at timestamptz not null default now(),
  primary key (template, language)
);
alter table app_private.email_templates enable row level security;

-- The outbox: one row per email, written in the transaction of what causes
-- it (app_private.enqueue_email, with its send_email job), sent by the worker.
create table if not exists app_private.email_logs (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references app_public.users (id) on delete cascade,
  to_address text not null check (length(to_address) <= 255 and to_address ~ '^[^@\s]+@[^@\s]+$'),
  template text not null,
  language text not null check (language in ('fr', 'en')),
  -- The exact text sent, rendered when the email was queued. A secret in a
  -- link (#token=…) is redacted once the email is sent or failed.
  subject text not null check (length(subject) between 1 and 300),
  body text not null check (length(body) between 1 and 20000),
  status text not null default 'pending' check (status in ('pending', 'sent', 'failed')),
  -- Send attempts started (one per job attempt that found the log pending).
  attempts integer not null default 0 check (attempts >= 0),
  provider_message_id text check (length(provider_message_id) <= 500),
  -- The last refusal (SMTP reply or network error), for support.
  error text check (length(error) <= 2000),
  -- What makes this email unique ("invoice_due:in_123"): the same reminder is
  -- never queued twice. Null: no deduplication (every call sends).
  dedupe_key text constraint email_logs_dedupe_key_key unique check (length(dedupe_key) between 1 and 300),
  created_at timestamptz not null default now(),
  sent_at timestamptz,
  updated_at timestamptz not null default now(),
  constraint email_logs_template_fkey foreign key (template, language)
    references app_private.email_templates (template, language),
  check (status <> 'sent' or (sent_at is not null and provider_message_id is not null)),
  check (status <> 'failed' or error is not null)
);
create index if not exists email_logs_user_id_idx on app_private.email_logs (user_id, created_at desc);
-- Monitoring: what is still waiting to go out.
create index if not exists email_logs_pending_idx on app_private.email_logs (created_at) where status = 'pending';
alter table app_private.email_logs enable row level security;

-- Password reset: only the sha256 of each token is kept, so a copy of the
-- database (a backup, a read-only leak) lets nobody reset a password. A token
-- is used at most once; a reset marks the account's other tokens used too.
create table if not exists app_private.password_reset_tokens (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references app_public.users (id) on delete cascade,
  token_hash bytea not null constraint password_reset_tokens_token_hash_key unique check (octet_length(token_hash) = 32),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz,
  check (expires_at > created_at)
);
-- The rate limit counts an account's tokens of the last hour.
create index if not exists password_reset_tokens_user_id_idx on app_private.password_reset_tokens (user_id, created_at desc);
alter table app_private.password_reset_tokens enable row level security;

insert into app_public.system_configs (key, value, data_type, description, is_public) values
  ('email_max_attempts', '10', 'integer', 'Attempts per email before it is marked failed; backoff e^n s: about 3.5 hours in all', false),
  ('password_reset_ttl_minutes', '60', 'integer', 'Lifetime of a password reset link (minutes)', false),
  ('password_reset_max_per_hour', '3', 'integer', 'Password reset emails per account and hour (further requests are silently ignored)', false)
on conflict (key) do nothing;

-- The default texts. Placeholders every template may use, added by
-- app_private.enqueue_email: {greeting} ("Bonjour Eve," / "Hello,"), {app_url}
-- (system_configs.public_url). Per template, from the caller's vars:
--   password_reset            {link} {minutes}
--   payment_failed            {amount} {link}           (1st failed payment: a reminder)
--   payment_failed_read_only  {amount} {link}           (2nd: the account is read-only)
--   account_suspended         {amount} {link}           (3rd failure, or unpaid at J+30)
--   trial_ending              {trial_end_date} {link}   (J-3)
--   invoice_due               {amount} {due_date} {link} (J-3)
--   invoice_unpaid_1d         {amount} {due_date} {link} (J+1)
--   invoice_unpaid_7d         {amount} {due_date} {suspension_date} {link} (J+7)
--   payment_succeeded         {amount} {link}
-- {amount} comes from amount_cents (+ currency), dates from ISO dates, both
-- formatted in the email's language (db/email/templates.sql).
-- "do update": while this migration is current, edited texts reach the
-- development database on the next run.
insert into app_private.email_templates (template, language, subject, body) values
  ('password_reset', 'fr', 'Réinitialisation de votre mot de passe Waitify',
'{greeting}

Vous avez demandé à réinitialiser le mot de passe de votre compte Waitify. Pour en choisir un nouveau, ouvrez ce lien :

{link}

Ce lien est valable {minutes} minutes et ne peut servir qu''une seule fois.

Si vous n''êtes pas à l''origine de cette demande, ignorez simplement cet e-mail : votre mot de passe actuel reste inchangé.

L''équipe Waitify'),
  ('password_reset', 'en', 'Reset your Waitify password',
'{greeting}

You asked to reset the password of your Waitify account. To choose a new one, open this link:

{link}

This link is valid for {minutes} minutes and can be used only once.

If you did not ask for this, simply ignore this email: your current password stays unchanged.

The Waitify team'),

  ('payment_failed', 'fr', 'Échec du paiement de votre abonnement Waitify',
'{greeting}

Le paiement de {amount} pour votre abonnement Waitify n''a pas abouti. Votre service continue de fonctionner normalement, mais merci de vérifier votre moyen de paiement dès que possible :

{link}

Nous retenterons le prélèvement automatiquement dans les prochains jours. Sans paiement, votre compte passera en lecture seule.

L''équipe Waitify'),
  ('payment_failed', 'en', 'Your Waitify payment failed',
'{greeting}

The payment of {amount} for your Waitify subscription did not go through. Your service keeps running normally, but please check your payment method as soon as possible:

{link}

We will retry the payment automatically in the next few days. Without payment, your account will become read-only.

The Waitify team'),

  ('payment_failed_read_only', 'fr', 'Votre compte Waitify est passé en lecture seule',
'{greeting}

Le paiement de {amount} pour votre abonnement Waitify a de nouveau échoué. Votre compte est désormais en lecture seule : les files d''attente déjà ouvertes continuent de fonctionner, mais vous ne pouvez plus en ouvrir ni modifier vos réglages.

Pour retrouver un accès complet, mettez à jour votre moyen de paiement :

{link}

Sans paiement, votre compte sera suspendu.

L''équipe Waitify'),
  ('payment_failed_read_only', 'en', 'Your Waitify account is now read-only',
'{greeting}

The payment of {amount} for your Waitify subscription failed again. Your account is now read-only: queues that are already open keep running, but you can no longer open a queue or change your settings.

To restore full access, update your payment method:

{link}

Without payment, your account will be suspended.

The Waitify team'),

  ('account_suspended', 'fr', 'Votre compte Waitify est suspendu',
'{greeting}

Faute de règlement de votre facture de {amount}, votre compte Waitify est suspendu : vos files d''attente sont fermées et vos clients ne peuvent plus s''y inscrire. Vos données sont conservées et restent consultables.

Pour réactiver votre compte, réglez votre facture :

{link}

Votre service reprendra dès réception du paiement.

L''équipe Waitify'),
  ('account_suspended', 'en', 'Your Waitify account is suspended',
'{greeting}

As your invoice of {amount} has not been paid, your Waitify account is suspended: your queues are closed and customers can no longer join them. Your data is kept and you can still read it.

To reactivate your account, pay your invoice:

{link}

Your service resumes as soon as the payment is received.

The Waitify team'),

  ('trial_ending', 'fr', 'Votre essai gratuit Waitify se termine le {trial_end_date}',
'{greeting}

Votre période d''essai gratuite de Waitify se termine le {trial_end_date}. Pour continuer à utiliser Waitify sans interruption après cette date, choisissez dès maintenant votre forfait :

{link}

Vos files d''attente, vos réglages et votre historique sont conservés.

L''équipe Waitify'),
  ('trial_ending', 'en', 'Your free Waitify trial ends on {trial_end_date}',
'{greeting}

Your free Waitify trial ends on {trial_end_date}. To keep using Waitify without interruption after that date, choose your plan now:

{link}

Your queues, settings and history are kept.

The Waitify team'),

  ('invoice_due', 'fr', 'Votre facture Waitify arrive à échéance le {due_date}',
'{greeting}

Petit rappel : votre facture Waitify de {amount} arrive à échéance le {due_date}. Si votre moyen de paiement est à jour, vous n''avez rien à faire.

Pour consulter la facture ou changer de moyen de paiement :

{link}

L''équipe Waitify'),
  ('invoice_due', 'en', 'Your Waitify invoice is due on {due_date}',
'{greeting}

A friendly reminder: your Waitify invoice of {amount} is due on {due_date}. If your payment method is up to date, there is nothing to do.

To see the invoice or change your payment method:

{link}

The Waitify team'),

  ('invoice_unpaid_1d', 'fr', 'Facture Waitify impayée',
'{greeting}

Votre facture Waitify de {amount}, arrivée à échéance le {due_date}, n''est pas encore réglée. Il s''agit peut-être d''un simple oubli ou d''une carte expirée ; vous pouvez la régler ici :

{link}

Si vous avez déjà payé, merci de ne pas tenir compte de ce message.

L''équipe Waitify'),
  ('invoice_unpaid_1d', 'en', 'Unpaid Waitify invoice',
'{greeting}

Your Waitify invoice of {amount}, due on {due_date}, has not been paid yet. It may be an oversight or an expired card; you can pay it here:

{link}

If you have already paid, please disregard this message.

The Waitify team'),

  ('invoice_unpaid_7d', 'fr', 'Deuxième rappel : facture Waitify impayée',
'{greeting}

Votre facture Waitify de {amount}, arrivée à échéance le {due_date}, reste impayée malgré notre premier rappel. Sans règlement d''ici le {suspension_date}, votre compte sera suspendu et vos files d''attente fermées.

Pour régler la facture :

{link}

Si vous avez déjà payé, merci de ne pas tenir compte de ce message.

L''équipe Waitify'),
  ('invoice_unpaid_7d', 'en', 'Second reminder: unpaid Waitify invoice',
'{greeting}

Your Waitify invoice of {amount}, due on {due_date}, is still unpaid despite our first reminder. Unless it is paid by {suspension_date}, your account will be suspended and your queues closed.

To pay the invoice:

{link}

If you have already paid, please disregard this message.

The Waitify team'),

  ('payment_succeeded', 'fr', 'Paiement reçu : merci !',
'{greeting}

Nous avons bien reçu votre paiement de {amount} pour votre abonnement Waitify. Merci de votre confiance !

Votre facture est disponible ici :

{link}

L''équipe Waitify'),
  ('payment_succeeded', 'en', 'Payment received: thank you!',
'{greeting}

We have received your payment of {amount} for your Waitify subscription. Thank you for your trust!

Your invoice is available here:

{link}

The Waitify team')
on conflict (template, language) do update
  set subject = excluded.subject, body = excluded.body, updated_at = now()
  where (email_templates.subject, email_templates.body) is distinct from (excluded.subject, excluded.body);
