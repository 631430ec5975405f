import { defineErrors } from '../../platform/http/errors.ts';

/** The inventory module's errors. Another organization's object, or one outside the caller's scope, is a 404. */
export const inventoryErrors = defineErrors('inventory', {
  owner_not_found: { status: 404, title: 'The property owner does not exist' },
  property_not_found: { status: 404, title: 'The property does not exist' },
  unit_type_not_found: { status: 404, title: 'The unit type does not exist' },
  unit_not_found: { status: 404, title: 'The unit does not exist' },
  owner_unknown: { status: 422, title: 'The property owner named in the request does not exist' },
  unit_type_not_in_property: { status: 422, title: 'The unit type belongs to another property' },
  capacity_invalid: { status: 422, title: 'A unit type cannot take more adults than guests' },
  owner_user_taken: { status: 409, title: 'This user is already the login of another property owner' },
  owner_has_properties: { status: 409, title: 'The owner still owns properties' },
  property_has_units: { status: 409, title: 'The property still has units' },
  property_settings_locked: { status: 409, title: 'The currency and time zone are fixed once the property has units' },
  unit_type_code_taken: { status: 409, title: 'Another unit type of the property has this code' },
  unit_type_in_use: { status: 409, title: 'Units are still of this type' },
  unit_name_taken: { status: 409, title: 'Another unit of the property has this name' },
  unit_has_stays: { status: 409, title: 'The unit has stays or blocks on record' },
  inspection_requires_clean: { status: 409, title: 'Only a clean unit can be marked inspected' },
});
