-- Invoices: what a customer owes for a booking or a charge, numbered without gaps per organization.
-- An issued invoice is never edited; it is paid, or voided (and a charge's ledger entry reversed).

-- The next number of each organization's invoices. Taken with the row locked in the transaction that
-- issues the invoice, so a rolled-back issue gives its number back: the numbers have no gaps.
CREATE TABLE invoice_sequence (
  org_id uuid PRIMARY KEY,
  next_number bigint NOT NULL DEFAULT 1 CHECK (next_number >= 1)
);
SELECT tenure_enable_tenant_isolation('invoice_sequence');

CREATE TABLE invoice (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL,
  sequence_number bigint NOT NULL CHECK (sequence_number >= 1),
  -- Shown on the document: the organization's prefix and the sequence number, e.g. INV-000042.
  number text NOT NULL CHECK (char_length(number) BETWEEN 1 AND 40),
  kind text NOT NULL CHECK (kind IN ('booking', 'charge')),
  booking_id uuid,
  customer_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('issued', 'paid', 'void')),
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  subtotal bigint NOT NULL,
  tax_total bigint NOT NULL,
  total bigint NOT NULL CHECK (total >= 0),
  amount_paid bigint NOT NULL DEFAULT 0 CHECK (amount_paid >= 0),
  issue_date date NOT NULL,
  due_date date NOT NULL,
  -- The bill-to block as it was at issue: an invoice never changes when the customer does.
  bill_to jsonb NOT NULL CHECK (jsonb_typeof(bill_to) = 'object'),
  seller jsonb NOT NULL CHECK (jsonb_typeof(seller) = 'object'),
  notes text CHECK (char_length(notes) <= 2000),
  -- A charge's receivable entry in the ledger, and its reversal when voided.
  ledger_entry_id uuid,
  void_reason text CHECK (char_length(void_reason) <= 1000),
  paid_at timestamptz,
  voided_at timestamptz,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (due_date >= issue_date),
  CHECK ((kind = 'booking') = (booking_id IS NOT NULL)),
  CHECK ((status = 'paid') = (paid_at IS NOT NULL)),
  CHECK ((status = 'void') = (voided_at IS NOT NULL)),
  UNIQUE (org_id, id),
  UNIQUE (org_id, sequence_number),
  UNIQUE (org_id, number)
);
-- One live invoice per booking; a voided one may be replaced.
CREATE UNIQUE INDEX invoice_booking_idx ON invoice (org_id, booking_id) WHERE booking_id IS NOT NULL AND status <> 'void';
CREATE INDEX invoice_customer_idx ON invoice (org_id, customer_id, issue_date DESC);
CREATE INDEX invoice_recent_idx ON invoice (org_id, sequence_number DESC);
SELECT tenure_enable_tenant_isolation('invoice');

CREATE TABLE invoice_line (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL,
  invoice_id uuid NOT NULL,
  position integer NOT NULL CHECK (position >= 1),
  kind text NOT NULL CHECK (kind IN ('night', 'month', 'deposit', 'fee', 'discount', 'tax', 'charge')),
  description text NOT NULL CHECK (char_length(description) BETWEEN 1 AND 500),
  quantity numeric(12, 3) NOT NULL DEFAULT 1 CHECK (quantity > 0),
  unit_amount bigint NOT NULL,
  amount bigint NOT NULL,
  -- An inclusive tax is shown and not added to the total.
  included boolean NOT NULL DEFAULT false,
  UNIQUE (invoice_id, position),
  FOREIGN KEY (org_id, invoice_id) REFERENCES invoice (org_id, id)
);
SELECT tenure_enable_tenant_isolation('invoice_line');

-- The lines of an issued invoice are its contents: never changed or removed.
CREATE FUNCTION invoice_line_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'invoice lines are fixed once issued: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER invoice_line_fixed BEFORE UPDATE OR DELETE ON invoice_line FOR EACH ROW EXECUTE FUNCTION invoice_line_refuse_change();
