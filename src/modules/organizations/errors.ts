import { defineErrors } from '../../platform/http/errors.ts';

/** Permission checks. Another organization's object is never a 403: see `organizationErrors.not_found`. */
export const accessErrors = defineErrors('access', {
  no_organization: { status: 403, title: 'Act in an organization you belong to' },
  denied: { status: 403, title: 'Your role does not allow this' },
});

export const organizationErrors = defineErrors('organization', {
  not_found: { status: 404, title: 'The organization does not exist' },
});

export const membershipErrors = defineErrors('membership', {
  not_found: { status: 404, title: 'The member does not exist' },
  last_admin: { status: 409, title: 'An organization keeps at least one admin' },
  role_not_grantable: { status: 403, title: 'Your role cannot grant or revoke this role' },
});

export const invitationErrors = defineErrors('invitation', {
  not_found: { status: 404, title: 'The invitation does not exist' },
  expired: { status: 410, title: 'The invitation has expired' },
  already_accepted: { status: 409, title: 'The invitation has already been accepted' },
  revoked: { status: 410, title: 'The invitation has been revoked' },
  already_revoked: { status: 409, title: 'The invitation has already been revoked' },
  email_mismatch: { status: 403, title: 'The invitation is for another e-mail address' },
  already_member: { status: 409, title: 'You are already a member of this organization' },
});
