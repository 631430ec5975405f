-- Each organization's money rules, where it chooses its own: the commission it keeps of booking
-- revenue released from escrow, and how long after check-in escrow waits. Without a row, the
-- installation's defaults apply (PAYMENTS_COMMISSION_BPS, ESCROW_RELEASE_GRACE_HOURS).
CREATE TABLE payment_settings (
  org_id uuid PRIMARY KEY,
  commission_bps integer NOT NULL CHECK (commission_bps BETWEEN 0 AND 10000),
  escrow_release_grace_hours integer NOT NULL CHECK (escrow_release_grace_hours BETWEEN 0 AND 2160),
  updated_by uuid,
  updated_at timestamptz NOT NULL DEFAULT now()
);
SELECT tenure_enable_tenant_isolation('payment_settings');
