-- The audit log: who did what to which object, with its state before and after. Rows are never
-- changed or deleted (triggers refuse it); whole months leave only by archival, which writes them to
-- object storage, records the month in audit_archive and drops the month's partition.

-- Months whose rows live in object storage instead of a partition.
CREATE TABLE audit_archive (
  month date PRIMARY KEY CHECK (extract(day FROM month) = 1),
  object_key text NOT NULL,
  manifest_key text NOT NULL,
  row_count bigint NOT NULL CHECK (row_count >= 0),
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  archived_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_log (
  id uuid NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  -- Platform-level actions (a login before an organization is chosen, operations) have none.
  org_id uuid,
  actor_type text NOT NULL CHECK (actor_type IN ('user', 'system', 'service', 'anonymous')),
  actor_user_id uuid,
  actor_role text,
  action text NOT NULL CHECK (action ~ '^[A-Z][A-Z0-9_]*$'),
  entity_type text NOT NULL CHECK (entity_type ~ '^[a-z][a-z0-9_]*$'),
  entity_id text NOT NULL CHECK (char_length(entity_id) BETWEEN 1 AND 200),
  before jsonb,
  after jsonb,
  -- The difference: { "<top-level key>": { "from": …, "to": … } } for every key that changed.
  changes jsonb,
  ip inet,
  user_agent text,
  correlation_id text NOT NULL,
  PRIMARY KEY (id, occurred_at),
  -- Milliseconds, as JavaScript and RFC 3339 cursors carry them, so keyset pagination is exact.
  CHECK (occurred_at = date_trunc('milliseconds', occurred_at))
) PARTITION BY RANGE (occurred_at);

CREATE INDEX audit_log_occurred_at_idx ON audit_log (occurred_at);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id, occurred_at);
CREATE INDEX audit_log_actor_user_idx ON audit_log (actor_user_id, occurred_at);
CREATE INDEX audit_log_action_idx ON audit_log (action, occurred_at);
CREATE INDEX audit_log_org_idx ON audit_log (org_id, occurred_at);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'Audit rows are never changed or deleted; whole months leave only through archival.';
END
$$;

-- Row triggers on the parent are cloned onto every partition; the TRUNCATE trigger is a statement
-- trigger, which is not, so audit_log_ensure_partition adds it to each partition too.
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- The partition for the month (UTC) that holds `month`, created when missing; returns its name.
-- A month already archived is refused: its rows live in object storage and must stay complete.
CREATE FUNCTION audit_log_ensure_partition(month date) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  first date := make_date(extract(year FROM month)::int, extract(month FROM month)::int, 1);
  partition_name text := format('audit_log_%s', to_char(first, 'YYYY_MM'));
  lower_bound timestamptz := first::timestamp AT TIME ZONE 'UTC';
  upper_bound timestamptz := (first + 1 * interval '1 month')::timestamp AT TIME ZONE 'UTC';
BEGIN
  IF to_regclass(format('%I', partition_name)) IS NOT NULL THEN
    RETURN partition_name;
  END IF;
  -- Two sessions creating the same month wait for each other instead of failing.
  PERFORM pg_advisory_xact_lock(7320913002);
  IF to_regclass(format('%I', partition_name)) IS NOT NULL THEN
    RETURN partition_name;
  END IF;
  IF EXISTS (SELECT 1 FROM audit_archive a WHERE a.month = first) THEN
    RAISE EXCEPTION 'audit month % is archived; its partition is not recreated', to_char(first, 'YYYY-MM')
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  EXECUTE format('CREATE TABLE %I PARTITION OF audit_log FOR VALUES FROM (%L) TO (%L)', partition_name, lower_bound, upper_bound);
  EXECUTE format(
    'CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()',
    partition_name
  );
  RETURN partition_name;
END
$$;

-- This month and the next two, whenever the migration runs; a daily job keeps the window ahead.
SELECT audit_log_ensure_partition(((now() AT TIME ZONE 'UTC')::date + make_interval(months => n))::date) FROM generate_series(0, 2) AS n;
