-- The tables that say which organizations a user belongs to are read across organizations by
-- that user — the organizations I belong to, the role behind a token before any organization is
-- set, an invitation found by its token — so row-level security cannot confine them to one
-- organization. Rather than escaping the catalogue check by their column's name, they are listed
-- here with the reason, and the check now holds every table that names an organization (`org_id`
-- or `organization_id`) to tenant isolation unless it is listed.
CREATE TABLE tenant_isolation_exemption (
  table_name regclass PRIMARY KEY,
  reason text NOT NULL CHECK (char_length(reason) > 0)
);
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON tenant_isolation_exemption FROM tenure_app;

INSERT INTO tenant_isolation_exemption (table_name, reason) VALUES
  ('membership', 'a user''s memberships are read across organizations to list them and to find the role behind a token'),
  ('invitation', 'an invitation is found by its token by a user who is not yet a member'),
  ('acting_organization', 'read before any organization is set, to start a session in the one last chosen');

CREATE OR REPLACE FUNCTION tenant_isolation_gaps() RETURNS TABLE (table_name text, problem text) LANGUAGE sql STABLE AS $$
  WITH organization_column AS (
    SELECT c.oid, c.relrowsecurity, c.relforcerowsecurity, a.attname
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname IN ('org_id', 'organization_id') AND NOT a.attisdropped
    WHERE c.relkind IN ('r', 'p')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
      AND c.oid NOT IN (SELECT relid FROM pg_partition_tree('audit_log'))
      AND c.oid NOT IN (SELECT e.table_name::oid FROM tenant_isolation_exemption e)
  )
  SELECT t.oid::regclass::text, p.problem
  FROM organization_column t
  CROSS JOIN LATERAL (
    SELECT 'names its organization organization_id: use org_id with tenant isolation, or list it in tenant_isolation_exemption' AS problem
    WHERE t.attname = 'organization_id'
    UNION ALL
    SELECT 'row-level security is not enabled' WHERE t.attname = 'org_id' AND NOT t.relrowsecurity
    UNION ALL
    SELECT 'row-level security is not forced' WHERE t.attname = 'org_id' AND NOT t.relforcerowsecurity
    UNION ALL
    SELECT 'no tenant_isolation policy on org_id = tenure_current_org()'
    WHERE t.attname = 'org_id' AND NOT EXISTS (
      SELECT 1 FROM pg_policy pol
      WHERE pol.polrelid = t.oid AND pol.polname = 'tenant_isolation' AND pol.polpermissive AND pol.polcmd = '*'
        AND pol.polroles = '{0}'
        AND pg_get_expr(pol.polqual, pol.polrelid) = '(org_id = tenure_current_org())'
        AND pg_get_expr(pol.polwithcheck, pol.polrelid) = '(org_id = tenure_current_org())'
    )
    UNION ALL
    SELECT format('permissive policy %I widens what tenant_isolation allows', pol.polname)
    FROM pg_policy pol
    WHERE t.attname = 'org_id' AND pol.polrelid = t.oid AND pol.polpermissive AND pol.polname <> 'tenant_isolation'
  ) p
  ORDER BY 1, 2
$$;
