-- Mechanisms every module shares: stored responses of idempotent requests, the transactional
-- outbox, per-subscriber deliveries and the inbox that makes each subscriber's effects happen once.

CREATE TABLE idempotency_key (
  scope text NOT NULL,
  key text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
  request_fingerprint text NOT NULL,
  response_status smallint NOT NULL,
  response_content_type text,
  response_body text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_key_expires_at_idx ON idempotency_key (expires_at);

CREATE TABLE outbox_event (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id uuid NOT NULL UNIQUE,
  type text NOT NULL,
  aggregate_type text NOT NULL,
  aggregate_id text NOT NULL,
  tenant_id text,
  envelope jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  relayed_at timestamptz
);
CREATE INDEX outbox_event_unrelayed_idx ON outbox_event (seq) WHERE relayed_at IS NULL;
CREATE INDEX outbox_event_created_at_idx ON outbox_event (created_at);

-- One row per (subscriber, event) still to be handled; it is deleted in the transaction that
-- handles it, and parked after too many failed attempts.
CREATE TABLE event_delivery (
  subscriber text NOT NULL,
  event_id uuid NOT NULL REFERENCES outbox_event (id) ON DELETE CASCADE,
  event_seq bigint NOT NULL,
  ordering_key text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'parked')),
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error text,
  parked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (subscriber, event_id),
  CHECK ((status = 'parked') = (parked_at IS NOT NULL))
);
CREATE INDEX event_delivery_due_idx ON event_delivery (subscriber, next_attempt_at, event_seq) WHERE status = 'pending';
CREATE INDEX event_delivery_ordering_idx ON event_delivery (subscriber, ordering_key, event_seq);

CREATE TABLE event_inbox (
  subscriber text NOT NULL,
  event_id uuid NOT NULL,
  handled_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (subscriber, event_id)
);
CREATE INDEX event_inbox_handled_at_idx ON event_inbox (handled_at);
