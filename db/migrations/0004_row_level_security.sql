-- Tenant isolation with row-level security, the second wall behind the application's own checks
-- (docs/decisions/0012-row-level-security.md). The application's pool acts as `tenure_app`, a role
-- that owns nothing and cannot bypass row-level security; migrations keep running as the owner.
-- Each transaction names its organization with set_config('tenure.org_id', …, true); a business
-- table (one with `org_id`) shows and accepts only that organization's rows, and none when no
-- organization is set.

-- 1. The application role. Roles belong to the whole cluster, so it may already exist (another
--    database of the same server, or an operator who created it beforehand).
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tenure_app') THEN
    BEGIN
      CREATE ROLE tenure_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- another database's migration created it at the same moment
    END;
  END IF;
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'tenure_app' AND (rolsuper OR rolbypassrls)) THEN
    RAISE EXCEPTION 'role tenure_app must not be a superuser or bypass row-level security'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
END
$$;

-- The migrating user (the owner) must be able to SET ROLE tenure_app; a superuser already can.
DO $$
DECLARE
  can_set boolean;
BEGIN
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    RETURN;
  END IF;
  IF current_setting('server_version_num')::int >= 160000 THEN
    can_set := pg_has_role(current_user, 'tenure_app', 'SET');
  ELSE
    can_set := pg_has_role(current_user, 'tenure_app', 'MEMBER');
  END IF;
  IF NOT can_set THEN
    EXECUTE format('GRANT tenure_app TO %I', current_user);
  END IF;
END
$$;

-- 2. What the application role may do: read and write rows, never change the schema. It creates
--    nothing (PostgreSQL 15 already denies CREATE on public to PUBLIC; older clusters upgraded in
--    place may not), so it can own nothing.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO tenure_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO tenure_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO tenure_app;
-- Tables and sequences that later migrations create (as this same owner) are granted alike.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO tenure_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO tenure_app;

-- The migration ledger is the runner's alone.
REVOKE INSERT, UPDATE, DELETE ON schema_migration FROM tenure_app;

-- 3. The audit log stays append-only for the application: beside the triggers that refuse UPDATE,
--    DELETE and TRUNCATE, the role is not even granted them, on the log or on any partition.
--    Partitions are created and archived months dropped by the two SECURITY DEFINER functions
--    below, which run as the owner: the application never needs to own or lock them itself.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM tenure_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_archive FROM tenure_app;
DO $$
DECLARE
  month_partition regclass;
BEGIN
  FOR month_partition IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'audit_log'::regclass LOOP
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %s FROM tenure_app', month_partition);
  END LOOP;
END
$$;

-- Same as in 0002, but run as the owner (so partitions are the owner's), and each new partition
-- is append-only for the application role like its parent.
CREATE OR REPLACE FUNCTION audit_log_ensure_partition(month date) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
  EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I FROM tenure_app', partition_name);
  RETURN partition_name;
END
$$;
REVOKE EXECUTE ON FUNCTION audit_log_ensure_partition(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_log_ensure_partition(date) TO tenure_app;

-- The last step of archival, as the owner: with the log locked, if the month's partition still
-- holds exactly the rows that were archived, record the month in audit_archive and drop the
-- partition, together. Returns false (and changes nothing) when the counts differ.
CREATE FUNCTION audit_log_archive_partition(archived_month date, archived_object_key text, archived_manifest_key text,
  archived_row_count bigint, archived_sha256 text)
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  month_partition regclass := to_regclass(format('%I', format('audit_log_%s', to_char(archived_month, 'YYYY_MM'))));
  actual bigint;
BEGIN
  IF extract(day FROM archived_month) <> 1 THEN
    RAISE EXCEPTION 'audit month % must be the first day of a month', archived_month USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- The parent first: readers lock it before its partitions, so this order cannot deadlock them.
  LOCK TABLE audit_log IN ACCESS EXCLUSIVE MODE;
  IF month_partition IS NULL
    OR NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = 'audit_log'::regclass AND inhrelid = month_partition) THEN
    RETURN false;
  END IF;
  EXECUTE format('SELECT count(*) FROM %s', month_partition) INTO actual;
  IF actual <> archived_row_count THEN
    RETURN false;
  END IF;
  INSERT INTO audit_archive (month, object_key, manifest_key, row_count, sha256)
    VALUES (archived_month, archived_object_key, archived_manifest_key, archived_row_count, archived_sha256);
  EXECUTE format('ALTER TABLE audit_log DETACH PARTITION %s', month_partition);
  EXECUTE format('DROP TABLE %s', month_partition);
  RETURN true;
END
$$;
REVOKE EXECUTE ON FUNCTION audit_log_archive_partition(date, text, text, bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_log_archive_partition(date, text, text, bigint, text) TO tenure_app;

-- 4. The acting organization of the current transaction, or null when none is set.
CREATE FUNCTION tenure_current_org() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT NULLIF(current_setting('tenure.org_id', true), '')::uuid
$$;

-- Makes a business table tenant-isolated: row-level security enabled and forced (so even its owner
-- is held to it unless a superuser), and the one policy that shows and accepts only the acting
-- organization's rows. Every migration that creates a table with `org_id` calls it.
CREATE FUNCTION tenure_enable_tenant_isolation(target regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM pg_attribute
    WHERE attrelid = target AND attname = 'org_id' AND NOT attisdropped AND atttypid = 'uuid'::regtype
  ) THEN
    RAISE EXCEPTION 'table % has no org_id uuid column to isolate tenants by', target USING ERRCODE = 'undefined_column';
  END IF;
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', target);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', target);
  IF EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = target AND polname = 'tenant_isolation') THEN
    EXECUTE format('DROP POLICY tenant_isolation ON %s', target);
  END IF;
  EXECUTE format(
    'CREATE POLICY tenant_isolation ON %s AS PERMISSIVE FOR ALL USING (org_id = tenure_current_org()) WITH CHECK (org_id = tenure_current_org())',
    target
  );
END
$$;

-- 5. The rule checked, not remembered: every table with an `org_id` column (partitions included)
--    that is not tenant-isolated exactly as above, and why. A test fails when it returns a row.
--    The audit log is the one exemption: platform-level entries have no organization, and its
--    reads are scoped by the application (docs/decisions/0012-row-level-security.md).
CREATE FUNCTION tenant_isolation_gaps() RETURNS TABLE (table_name text, problem text) LANGUAGE sql STABLE AS $$
  WITH business_table AS (
    SELECT c.oid, c.relrowsecurity, c.relforcerowsecurity
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped
    WHERE c.relkind IN ('r', 'p')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
      AND c.oid NOT IN (SELECT relid FROM pg_partition_tree('audit_log'))
  )
  SELECT t.oid::regclass::text, p.problem
  FROM business_table t
  CROSS JOIN LATERAL (
    SELECT 'row-level security is not enabled' AS problem WHERE NOT t.relrowsecurity
    UNION ALL
    SELECT 'row-level security is not forced' WHERE NOT t.relforcerowsecurity
    UNION ALL
    SELECT 'no tenant_isolation policy on org_id = tenure_current_org()'
    WHERE NOT EXISTS (
      SELECT 1 FROM pg_policy pol
      WHERE pol.polrelid = t.oid AND pol.polname = 'tenant_isolation' AND pol.polpermissive AND pol.polcmd = '*'
        AND pol.polroles = '{0}'
        AND pg_get_expr(pol.polqual, pol.polrelid) = '(org_id = tenure_current_org())'
        AND pg_get_expr(pol.polwithcheck, pol.polrelid) = '(org_id = tenure_current_org())'
    )
    UNION ALL
    SELECT format('permissive policy %I widens what tenant_isolation allows', pol.polname)
    FROM pg_policy pol
    WHERE pol.polrelid = t.oid AND pol.polpermissive AND pol.polname <> 'tenant_isolation'
  ) p
  ORDER BY 1, 2
$$;
