-- Payments: money in (payments and their event-sourced history), money back (refunds), money out
-- (payouts to owners), the bank accounts they use, and what providers tell us (webhook receipts).

CREATE TABLE payment (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL,
  -- One payment per key and organization: a request repeated with the key gets the same payment.
  idempotency_key text CHECK (char_length(idempotency_key) BETWEEN 1 AND 255),
  -- A fingerprint of the request first made with the key: the key with another request is refused.
  request_fingerprint text,
  purpose text NOT NULL CHECK (purpose IN ('booking', 'deposit', 'invoice', 'lease_charge', 'other')),
  booking_id uuid,
  invoice_id uuid,
  lease_id uuid,
  -- Who pays (a customer of the organization) and who is paid (an owner, or the organization itself).
  payer_customer_id uuid,
  payee_owner_id uuid,
  amount bigint NOT NULL CHECK (amount > 0),
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  method text NOT NULL CHECK (method IN ('card', 'mobile_money', 'bank_transfer', 'cash', 'cheque', 'wallet')),
  rail text CHECK (rail IN ('INSTANT', 'SAME_DAY_ACH', 'STANDARD_ACH', 'WIRE')),
  provider text NOT NULL CHECK (provider IN ('sandbox', 'stripe', 'mpesa', 'manual')),
  provider_reference text CHECK (char_length(provider_reference) BETWEEN 1 AND 255),
  status text NOT NULL CHECK (status IN ('pending', 'requires_action', 'processing', 'succeeded', 'failed', 'cancelled', 'returned')),
  failure_code text CHECK (char_length(failure_code) <= 100),
  failure_reason text CHECK (char_length(failure_reason) <= 1000),
  retry_count integer NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
  -- A cash or cheque receipt written by staff; an M-Pesa receipt number. Applied once each.
  receipt_number text CHECK (char_length(receipt_number) BETWEEN 1 AND 100),
  payer_bank_account_id uuid,
  payer_phone text CHECK (payer_phone ~ '^\+[1-9][0-9]{6,14}$'),
  -- What the client needs to complete the payment (a client secret, the STK prompt, …).
  client_action jsonb CHECK (jsonb_typeof(client_action) = 'object'),
  -- A captured booking payment is held in escrow, then released to the owner or refunded.
  escrow_status text NOT NULL DEFAULT 'none' CHECK (escrow_status IN ('none', 'held', 'released', 'refunded')),
  escrow_release_due_at timestamptz,
  -- Reserved for refunds not failed (pending or succeeded): never more than the amount.
  refunded_amount bigint NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0 AND refunded_amount <= amount),
  -- A case someone should look at, e.g. `booking_not_confirmable`: paid after the booking lapsed.
  attention text CHECK (char_length(attention) <= 100),
  description text CHECK (char_length(description) <= 500),
  metadata jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  succeeded_at timestamptz,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  CHECK ((method = 'bank_transfer') = (rail IS NOT NULL)),
  CHECK (purpose <> 'booking' OR booking_id IS NOT NULL),
  CHECK (purpose <> 'invoice' OR invoice_id IS NOT NULL),
  UNIQUE (org_id, id),
  UNIQUE (org_id, idempotency_key)
);
CREATE UNIQUE INDEX payment_provider_reference_idx ON payment (provider, provider_reference) WHERE provider_reference IS NOT NULL;
CREATE UNIQUE INDEX payment_receipt_idx ON payment (org_id, provider, receipt_number) WHERE receipt_number IS NOT NULL;
CREATE INDEX payment_booking_idx ON payment (org_id, booking_id) WHERE booking_id IS NOT NULL;
CREATE INDEX payment_invoice_idx ON payment (org_id, invoice_id) WHERE invoice_id IS NOT NULL;
CREATE INDEX payment_lease_idx ON payment (org_id, lease_id) WHERE lease_id IS NOT NULL;
CREATE INDEX payment_payer_idx ON payment (org_id, payer_customer_id, created_at DESC);
CREATE INDEX payment_recent_idx ON payment (org_id, created_at DESC, id DESC);
CREATE INDEX payment_status_idx ON payment (org_id, status, created_at);
CREATE INDEX payment_escrow_due_idx ON payment (escrow_release_due_at) WHERE escrow_status = 'held' AND escrow_release_due_at IS NOT NULL;
SELECT tenure_enable_tenant_isolation('payment');

-- Every change of a payment, in order, never changed: who, what, when, why, and the payment as it
-- was just after. The payment row is a cache of the last snapshot: the events alone rebuild it.
CREATE TABLE payment_event (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL,
  payment_id uuid NOT NULL,
  sequence integer NOT NULL CHECK (sequence >= 1),
  type text NOT NULL CHECK (type ~ '^[a-z][a-z_]{1,39}$'),
  from_status text,
  to_status text NOT NULL,
  actor_type text NOT NULL CHECK (actor_type IN ('user', 'system', 'provider')),
  actor_id text,
  reason text CHECK (char_length(reason) <= 1000),
  data jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(data) = 'object'),
  snapshot jsonb NOT NULL CHECK (jsonb_typeof(snapshot) = 'object'),
  correlation_id text,
  occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (payment_id, sequence),
  FOREIGN KEY (org_id, payment_id) REFERENCES payment (org_id, id)
);
SELECT tenure_enable_tenant_isolation('payment_event');

CREATE FUNCTION payment_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'payment_event is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege', HINT = 'A payment''s history is never rewritten: append an event.';
END
$$;
CREATE TRIGGER payment_event_append_only BEFORE UPDATE OR DELETE ON payment_event FOR EACH ROW EXECUTE FUNCTION payment_event_refuse_change();
CREATE TRIGGER payment_event_no_truncate BEFORE TRUNCATE ON payment_event FOR EACH STATEMENT EXECUTE FUNCTION payment_event_refuse_change();

CREATE TABLE refund (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL,
  payment_id uuid NOT NULL,
  booking_id uuid,
  amount bigint NOT NULL CHECK (amount > 0),
  currency char(3) NOT NULL,
  reason text NOT NULL CHECK (reason IN ('cancellation', 'booking_lapsed', 'requested_by_customer', 'duplicate', 'fraudulent', 'other')),
  note text CHECK (char_length(note) <= 1000),
  status text NOT NULL CHECK (status IN ('pending', 'processing', 'succeeded', 'failed', 'cancelled')),
  provider text NOT NULL,
  provider_reference text CHECK (char_length(provider_reference) BETWEEN 1 AND 255),
  failure_reason text CHECK (char_length(failure_reason) <= 1000),
  idempotency_key text CHECK (char_length(idempotency_key) BETWEEN 1 AND 255),
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  settled_at timestamptz,
  UNIQUE (org_id, id),
  UNIQUE (org_id, idempotency_key),
  FOREIGN KEY (org_id, payment_id) REFERENCES payment (org_id, id)
);
-- A cancelled booking's payment is refunded once under its policy, and a lapsed booking's once.
CREATE UNIQUE INDEX refund_automatic_idx ON refund (org_id, payment_id, reason) WHERE reason IN ('cancellation', 'booking_lapsed');
CREATE UNIQUE INDEX refund_provider_reference_idx ON refund (provider, provider_reference) WHERE provider_reference IS NOT NULL;
CREATE INDEX refund_payment_idx ON refund (org_id, payment_id);
SELECT tenure_enable_tenant_isolation('refund');

-- Bank accounts of owners (for payouts), customers (to pay from) and the organization itself. The
-- number is stored encrypted (AES-256-GCM under DATA_ENCRYPTION_KEYS) and only its last four digits
-- are ever shown; the fingerprint (an HMAC) finds the same account added twice.
CREATE TABLE bank_account (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL,
  holder_type text NOT NULL CHECK (holder_type IN ('owner', 'customer', 'organization')),
  -- The owner or customer; the organization's own accounts have none.
  holder_id uuid,
  holder_name text NOT NULL CHECK (char_length(holder_name) BETWEEN 1 AND 200),
  bank_name text CHECK (char_length(bank_name) <= 200),
  country char(2) NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  account_type text NOT NULL CHECK (account_type IN ('checking', 'savings')),
  routing_number text CHECK (routing_number ~ '^[0-9A-Z]{6,11}$'),
  account_number_encrypted text NOT NULL,
  account_number_key_id text NOT NULL,
  account_number_last4 char(4) NOT NULL CHECK (account_number_last4 ~ '^[0-9A-Z]{4}$'),
  account_number_fingerprint text NOT NULL,
  is_primary boolean NOT NULL DEFAULT false,
  active boolean NOT NULL DEFAULT true,
  deactivated_at timestamptz,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((holder_type = 'organization') = (holder_id IS NULL)),
  CHECK (active = (deactivated_at IS NULL)),
  CHECK (NOT is_primary OR active),
  UNIQUE (org_id, id)
);
-- At most one primary account per holder…
CREATE UNIQUE INDEX bank_account_primary_idx ON bank_account (org_id, holder_type, holder_id) NULLS NOT DISTINCT WHERE is_primary;
CREATE UNIQUE INDEX bank_account_same_idx ON bank_account (org_id, holder_type, holder_id, account_number_fingerprint) NULLS NOT DISTINCT WHERE active;
CREATE INDEX bank_account_holder_idx ON bank_account (org_id, holder_type, holder_id);
SELECT tenure_enable_tenant_isolation('bank_account');

-- …and at commit, at least one for a holder with any active account: exactly one.
CREATE FUNCTION bank_account_one_primary() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  holder record;
  primaries integer;
  actives integer;
BEGIN
  holder := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  SELECT count(*) FILTER (WHERE is_primary), count(*) FILTER (WHERE active) INTO primaries, actives
  FROM bank_account
  WHERE org_id = holder.org_id AND holder_type = holder.holder_type AND holder_id IS NOT DISTINCT FROM holder.holder_id;
  IF actives > 0 AND primaries <> 1 THEN
    RAISE EXCEPTION 'the % % has % active bank accounts and % primary: exactly one must be primary',
      holder.holder_type, coalesce(holder.holder_id::text, holder.org_id::text), actives, primaries
      USING ERRCODE = 'check_violation', CONSTRAINT = 'bank_account_one_primary';
  END IF;
  RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER bank_account_one_primary AFTER INSERT OR UPDATE OR DELETE ON bank_account
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bank_account_one_primary();

-- Money out to an owner: from their available balance (owner payable), never from deposits held.
CREATE TABLE payout (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL,
  owner_id uuid NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  destination_type text NOT NULL CHECK (destination_type IN ('bank_account', 'mpesa')),
  bank_account_id uuid,
  phone text CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
  rail text CHECK (rail IN ('INSTANT', 'SAME_DAY_ACH', 'STANDARD_ACH', 'WIRE')),
  provider text NOT NULL CHECK (provider IN ('sandbox', 'mpesa')),
  provider_reference text CHECK (char_length(provider_reference) BETWEEN 1 AND 255),
  status text NOT NULL CHECK (status IN ('pending', 'processing', 'succeeded', 'failed', 'cancelled')),
  failure_code text CHECK (char_length(failure_code) <= 100),
  failure_reason text CHECK (char_length(failure_reason) <= 1000),
  idempotency_key text CHECK (char_length(idempotency_key) BETWEEN 1 AND 255),
  note text CHECK (char_length(note) <= 500),
  requested_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  settled_at timestamptz,
  CHECK ((destination_type = 'bank_account') = (bank_account_id IS NOT NULL)),
  CHECK ((destination_type = 'mpesa') = (phone IS NOT NULL)),
  UNIQUE (org_id, id),
  UNIQUE (org_id, idempotency_key),
  FOREIGN KEY (org_id, bank_account_id) REFERENCES bank_account (org_id, id)
);
CREATE UNIQUE INDEX payout_provider_reference_idx ON payout (provider, provider_reference) WHERE provider_reference IS NOT NULL;
CREATE INDEX payout_owner_idx ON payout (org_id, owner_id, created_at DESC);
SELECT tenure_enable_tenant_isolation('payout');

-- Which organization and object a provider's reference belongs to. A webhook arrives with no
-- organization, and row-level security hides every payment until one is named: this directory,
-- holding no personal data, is read first (exempt from row-level security).
CREATE TABLE provider_reference (
  provider text NOT NULL,
  reference text NOT NULL,
  org_id uuid NOT NULL,
  object_type text NOT NULL CHECK (object_type IN ('payment', 'refund', 'payout')),
  object_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, reference)
);
INSERT INTO tenant_isolation_exemption (table_name, reason) VALUES
  ('provider_reference', 'a provider''s webhook names no organization: its reference is looked up here before one is named');

-- The replay store: every verified webhook event id once. A redelivery is acknowledged and ignored.
CREATE TABLE webhook_receipt (
  provider text NOT NULL,
  event_id text NOT NULL CHECK (char_length(event_id) BETWEEN 1 AND 255),
  event_type text NOT NULL,
  org_id uuid,
  object_type text,
  object_id uuid,
  outcome text NOT NULL CHECK (outcome IN ('applied', 'ignored', 'unmatched')),
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, event_id)
);
CREATE INDEX webhook_receipt_received_idx ON webhook_receipt (received_at);
INSERT INTO tenant_isolation_exemption (table_name, reason) VALUES
  ('webhook_receipt', 'the replay store of provider webhooks, checked before the event''s organization is known');

-- The sandbox provider's own books: what it will report, and when. It stands in for a provider's
-- systems, outside any organization; its webhooks are delivered by the `payments.sandbox.deliver.v1` job.
CREATE TABLE sandbox_operation (
  id uuid PRIMARY KEY,
  reference text NOT NULL UNIQUE,
  object_type text NOT NULL CHECK (object_type IN ('payment', 'refund', 'payout')),
  -- The notifications it will send: [{at, status, failureCode, failureReason, returnCode, …}] in order.
  script jsonb NOT NULL CHECK (jsonb_typeof(script) = 'array'),
  delivered integer NOT NULL DEFAULT 0 CHECK (delivered >= 0),
  next_at timestamptz,
  amount bigint NOT NULL,
  currency char(3) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sandbox_operation_due_idx ON sandbox_operation (next_at) WHERE next_at IS NOT NULL;

-- The organizations with escrow due for release: the release job's transaction names none, and
-- row-level security would show it no payment (see bookings_hold_expiry_organizations, 0014).
CREATE FUNCTION payments_escrow_due_organizations(due_by timestamptz) RETURNS TABLE (org_id uuid)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  acting text := current_setting('tenure.org_id', true);
  candidate uuid;
BEGIN
  FOR candidate IN SELECT o.id FROM organization o ORDER BY o.id LOOP
    PERFORM set_config('tenure.org_id', candidate::text, true);
    IF EXISTS (
      SELECT 1 FROM payment p
      WHERE p.org_id = candidate AND p.escrow_status = 'held' AND p.escrow_release_due_at <= due_by
    ) THEN
      org_id := candidate;
      RETURN NEXT;
    END IF;
  END LOOP;
  PERFORM set_config('tenure.org_id', coalesce(acting, ''), true);
END
$$;
REVOKE EXECUTE ON FUNCTION payments_escrow_due_organizations(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION payments_escrow_due_organizations(timestamptz) TO tenure_app;
