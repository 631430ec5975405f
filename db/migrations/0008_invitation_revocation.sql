-- An admin may withdraw an invitation that is still pending. A revoked invitation can no longer be
-- accepted, and an accepted one can no longer be revoked: at most one of the two ends is recorded.
ALTER TABLE invitation
  ADD COLUMN revoked_at timestamptz,
  ADD COLUMN revoked_by uuid,
  ADD CONSTRAINT invitation_revoked_by_check CHECK ((revoked_at IS NULL) = (revoked_by IS NULL)),
  ADD CONSTRAINT invitation_one_end_check CHECK (accepted_at IS NULL OR revoked_at IS NULL);
