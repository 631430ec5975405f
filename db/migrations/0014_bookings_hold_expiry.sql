-- Where the hold-expiry job has work. `bookings.holds.expire.v1` runs every minute for all
-- organizations, but a job's transaction names no organization, and row-level security then shows
-- it no booking and no occupancy row: it cannot find the holds that expired. This function, run as
-- the owner, answers that one question and nothing more — the ids of the organizations with an
-- expired hold (an unreleased hold past its expiry, or a pending or approved booking past its
-- hold) — and the job then works in each of them with transactionAsTenant, under row-level
-- security like everything else. FORCE holds the owner to the policies too unless it is a
-- superuser, so the function names each organization in turn (docs/decisions/0012) instead of
-- relying on bypassing them; the explicit org_id conditions keep the answer right for a superuser
-- owner, whom the policies do not hold. It reads only the ids of `organization` to know which
-- organizations there are.
CREATE FUNCTION bookings_hold_expiry_organizations(expired_by timestamptz) RETURNS TABLE (org_id uuid)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  acting text := current_setting('tenure.org_id', true);
  candidate uuid;
BEGIN
  FOR candidate IN SELECT o.id FROM organization o ORDER BY o.id LOOP
    PERFORM set_config('tenure.org_id', candidate::text, true);
    IF EXISTS (
      SELECT 1 FROM occupancy c
      WHERE c.org_id = candidate AND c.released_at IS NULL AND c.kind = 'hold' AND c.expires_at <= expired_by
    ) OR EXISTS (
      SELECT 1 FROM booking b
      WHERE b.org_id = candidate AND b.status IN ('pending', 'approved') AND b.hold_expires_at <= expired_by
    ) THEN
      org_id := candidate;
      RETURN NEXT;
    END IF;
  END LOOP;
  PERFORM set_config('tenure.org_id', coalesce(acting, ''), true);
END
$$;
REVOKE EXECUTE ON FUNCTION bookings_hold_expiry_organizations(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bookings_hold_expiry_organizations(timestamptz) TO tenure_app;
