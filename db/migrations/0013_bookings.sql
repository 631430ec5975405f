-- Bookings: one reservation of a unit for a period, in mode daily, monthly or lease; the stream of
-- what happened to each; and the one occupancy table that holds, bookings, lease occupancy and
-- blocks share, whose exclusion constraint makes two overlapping stays on one unit impossible.
-- Units, listings, rate plans and customers belong to other modules and are referred to by id.

CREATE TABLE booking (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL,
  -- Short and human: what a guest reads out on the phone.
  reference text NOT NULL CHECK (reference ~ '^[0-9A-HJKMNP-TV-Z]{8}$'),
  listing_id uuid,
  property_id uuid NOT NULL,
  unit_type_id uuid NOT NULL,
  unit_id uuid NOT NULL,
  rate_plan_id uuid,
  customer_id uuid NOT NULL,
  rental_mode text NOT NULL CHECK (rental_mode IN ('daily', 'monthly', 'lease')),
  status text NOT NULL CHECK (
    status IN ('pending', 'approved', 'confirmed', 'checked_in', 'checked_out', 'completed', 'declined', 'cancelled', 'no_show')
  ),
  -- The stay's nights in the property's time zone: from check_in up to, not including, check_out.
  -- Monthly stays and leases have their end computed from their months or term.
  check_in date NOT NULL,
  check_out date NOT NULL,
  months integer CHECK (months BETWEEN 1 AND 60),
  lease_term_months integer CHECK (lease_term_months BETWEEN 1 AND 600),
  auto_renew boolean NOT NULL DEFAULT false,
  adults integer NOT NULL CHECK (adults BETWEEN 1 AND 100),
  children integer NOT NULL DEFAULT 0 CHECK (children BETWEEN 0 AND 100),
  -- How the stay is guaranteed: paid online (confirmed by the payment), or at the property (confirmed on approval).
  guarantee text NOT NULL CHECK (guarantee IN ('online_payment', 'pay_at_property')),
  source text NOT NULL CHECK (source IN ('marketplace', 'direct', 'front_desk', 'phone', 'walk_in', 'channel')),
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  total_amount bigint NOT NULL CHECK (total_amount >= 0),
  -- The quote the booking was priced with, line by line, and the cancellation policy it was sold under.
  price_breakdown jsonb NOT NULL,
  cancellation_policy jsonb NOT NULL,
  -- A pending or approved booking waiting for payment or approval holds its unit until then.
  hold_expires_at timestamptz,
  notes text CHECK (char_length(notes) <= 4000),
  approval_note text CHECK (char_length(approval_note) <= 2000),
  decline_reason text CHECK (char_length(decline_reason) <= 2000),
  cancellation_reason text CHECK (cancellation_reason IN ('customer_request', 'staff', 'owner', 'timeout', 'policy', 'merged')),
  cancellation_note text CHECK (char_length(cancellation_note) <= 2000),
  refund_amount bigint CHECK (refund_amount >= 0),
  approved_at timestamptz,
  confirmed_at timestamptz,
  checked_in_at timestamptz,
  checked_out_at timestamptz,
  completed_at timestamptz,
  cancelled_at timestamptz,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- Bumped by every change: a client may send it back to refuse a stale write.
  version integer NOT NULL DEFAULT 1,
  CHECK (check_out > check_in),
  CHECK ((rental_mode = 'monthly') = (months IS NOT NULL)),
  CHECK ((rental_mode = 'lease') = (lease_term_months IS NOT NULL)),
  UNIQUE (org_id, id),
  UNIQUE (org_id, reference)
);
CREATE INDEX booking_by_status_idx ON booking (org_id, status, check_in);
CREATE INDEX booking_by_customer_idx ON booking (org_id, customer_id, check_in DESC);
CREATE INDEX booking_by_listing_idx ON booking (org_id, listing_id, status);
CREATE INDEX booking_by_property_idx ON booking (org_id, property_id, check_in);
CREATE INDEX booking_created_idx ON booking (org_id, created_at DESC);
CREATE INDEX booking_hold_expiry_idx ON booking (hold_expires_at) WHERE hold_expires_at IS NOT NULL AND status IN ('pending', 'approved');
SELECT tenure_enable_tenant_isolation('booking');

-- What happened to a booking, in order: append-only.
CREATE TABLE booking_event (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL,
  booking_id uuid NOT NULL,
  type text NOT NULL CHECK (type ~ '^[a-z_]{3,40}$'),
  from_status text,
  to_status text,
  actor_type text NOT NULL CHECK (actor_type IN ('user', 'system')),
  actor_id uuid,
  data jsonb NOT NULL DEFAULT '{}',
  occurred_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (org_id, booking_id) REFERENCES booking (org_id, id)
);
CREATE INDEX booking_event_by_booking_idx ON booking_event (booking_id, occurred_at, id);
SELECT tenure_enable_tenant_isolation('booking_event');

CREATE FUNCTION booking_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'booking_event is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER booking_event_append_only BEFORE UPDATE OR DELETE ON booking_event
  FOR EACH ROW EXECUTE FUNCTION booking_event_refuse_change();
CREATE TRIGGER booking_event_no_truncate BEFORE TRUNCATE ON booking_event
  FOR EACH STATEMENT EXECUTE FUNCTION booking_event_refuse_change();
REVOKE UPDATE, DELETE, TRUNCATE ON booking_event FROM tenure_app;

-- Who occupies which unit on which nights. Holds (a pending booking awaiting approval or payment,
-- until `expires_at`), bookings, lease occupancy and blocks (owner use, out of order) are all rows
-- here, and no two active rows of one unit overlap. A row stops counting when it is released; an
-- expired hold is released by the booking that needs its nights, or by the clean-up job.
CREATE TABLE occupancy (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL,
  unit_id uuid NOT NULL,
  nights daterange NOT NULL CHECK (NOT isempty(nights) AND lower_inc(nights) AND NOT upper_inc(nights) AND NOT lower_inf(nights) AND NOT upper_inf(nights)),
  kind text NOT NULL CHECK (kind IN ('hold', 'booking', 'lease', 'block')),
  booking_id uuid,
  block_reason text CHECK (block_reason IN ('owner_use', 'out_of_order', 'out_of_service', 'maintenance')),
  note text CHECK (char_length(note) <= 1000),
  expires_at timestamptz,
  released_at timestamptz,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'block') = (booking_id IS NULL)),
  CHECK ((kind = 'block') = (block_reason IS NOT NULL)),
  CHECK ((kind = 'hold') = (expires_at IS NOT NULL)),
  FOREIGN KEY (org_id, booking_id) REFERENCES booking (org_id, id),
  CONSTRAINT occupancy_no_overlap EXCLUDE USING gist (unit_id WITH =, nights WITH &&) WHERE (released_at IS NULL)
);
CREATE UNIQUE INDEX occupancy_one_active_per_booking_idx ON occupancy (booking_id) WHERE released_at IS NULL AND booking_id IS NOT NULL;
CREATE INDEX occupancy_active_by_unit_idx ON occupancy USING gist (org_id, unit_id, nights) WHERE released_at IS NULL;
CREATE INDEX occupancy_hold_expiry_idx ON occupancy (expires_at) WHERE released_at IS NULL AND kind = 'hold';
SELECT tenure_enable_tenant_isolation('occupancy');
