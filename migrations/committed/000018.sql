--! Previous: sha1:6d413842a2059094f1b70acbb318f55e827d8443
--! Hash: sha1:0b0c3584893e104f6b46161637bbb99a46065d96

--! split: 1-current.sql
-- Statements now follow the Stripe invoice that bills them
-- (app_private.sync_statement_statuses, db/billing/documents.sql), from the
-- invoice's next change on. This catches up the statements linked before,
-- whose invoices may never change again (paid ones): the same rule, once.
-- Migrations run before db/, so the function cannot be called here.
update app_public.billing_statements s set status = v.status
  from (select l.statement_id,
               case
                 when i.status = 'paid' then 'paid'
                 when i.status = 'void' then 'void'
                 when i.status = 'uncollectible' then 'failed'
                 when i.status = 'open' and i.attempt_count > 0 then 'failed'
                 when i.status = 'open' then 'invoiced'
               end as status
          from app_private.statement_invoices l
          join app_private.invoices i on i.stripe_invoice_id = l.stripe_invoice_id) v
 where s.id = v.statement_id and v.status is not null and s.status <> v.status;
