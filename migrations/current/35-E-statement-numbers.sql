-- Invoice documents (issue 10 item 6): every monthly statement gets a number
-- printed on its PDF, unique and stable: "WTF-<year of issue>-<000123>", the
-- counter from one sequence (increasing across years, never reused). It is
-- assigned when the statement row is created (the column default) and never
-- changes: compute_statement rewrites a pending statement's figures, not its
-- number. A sequence is not transactional, so a creation rolled back (or a
-- raced one) leaves a gap; numbers are never reused.
create sequence if not exists app_private.billing_statement_number_seq as bigint;

alter table app_public.billing_statements add column if not exists number text;

-- Existing statements, in the order they were created, numbered with the year
-- they were created in.
do $$
declare
  v_row record;
begin
  for v_row in
    select s.id, s.created_at from app_public.billing_statements s where s.number is null order by s.created_at, s.id
  loop
    update app_public.billing_statements
       set number = 'WTF-' || to_char(v_row.created_at at time zone 'UTC', 'YYYY') || '-'
                    || lpad(nextval('app_private.billing_statement_number_seq')::text, 6, '0')
     where id = v_row.id;
  end loop;
end $$;

alter table app_public.billing_statements
  alter column number set default 'WTF-' || to_char(now() at time zone 'UTC', 'YYYY') || '-'
    || lpad(nextval('app_private.billing_statement_number_seq')::text, 6, '0'),
  alter column number set not null;

do $$ begin
  alter table app_public.billing_statements add constraint billing_statements_number_key unique (number);
exception when duplicate_table or duplicate_object then null;
end $$;
do $$ begin
  alter table app_public.billing_statements add constraint billing_statements_number_check
    check (number ~ '^WTF-[0-9]{4}-[0-9]{6,}$');
exception when duplicate_object then null;
end $$;

-- What the PDF prints about the seller, and the VAT rate (settings an admin
-- changes, not code). Placeholders until the operator sets the real ones.
insert into app_public.system_configs (key, value, data_type, description, is_public) values
  ('invoice_seller_name', 'Waitify SAS', 'string', 'Seller''s legal name printed on invoices', false),
  ('invoice_seller_address', E'1 rue de l''Exemple\n75001 Paris\nFrance', 'string', 'Seller''s postal address printed on invoices (lines separated by newlines)', false),
  ('invoice_seller_vat_number', 'FR00000000000', 'string', 'Seller''s intra-EU VAT number printed on invoices', false),
  ('invoice_seller_legal_mentions', E'SAS au capital de 1 000 € – RCS Paris 000 000 000 – SIRET 000 000 000 00000.\nPaiement à réception. Pas d''escompte pour paiement anticipé. En cas de retard : pénalités au taux d''intérêt légal × 3 et indemnité forfaitaire pour frais de recouvrement de 40 € (art. L441-10 du Code de commerce).', 'string', 'Legal mentions printed at the foot of invoices', false),
  ('vat_rate_percent', '20', 'decimal', 'VAT rate (percent) applied to statements on invoices', false)
on conflict (key) do nothing;
