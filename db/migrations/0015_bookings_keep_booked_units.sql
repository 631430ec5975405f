-- A unit with stays on record cannot be deleted: its bookings and their history name it. Units are
-- the inventory module's, which does not know bookings exist, so the bookings module guards the
-- deletion here, as the module that depends on units. The refusal is a foreign-key violation
-- (SQLSTATE 23503), which inventory answers with 409: take such a unit out of service instead.
-- The trigger runs as the caller, in the caller's organization: the unit's bookings are that
-- organization's, so row-level security shows them.
CREATE FUNCTION unit_refuse_delete_with_stays() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM booking WHERE unit_id = OLD.id) OR EXISTS (SELECT 1 FROM occupancy WHERE unit_id = OLD.id) THEN
    RAISE EXCEPTION 'unit % has stays or blocks on record', OLD.id
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'unit_has_stays';
  END IF;
  RETURN OLD;
END
$$;
CREATE TRIGGER unit_keep_booked BEFORE DELETE ON unit FOR EACH ROW EXECUTE FUNCTION unit_refuse_delete_with_stays();
CREATE INDEX booking_by_unit_idx ON booking (unit_id);
