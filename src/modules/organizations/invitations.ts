import { createHash, randomBytes } from 'node:crypto';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import { uuidv7 } from '../../platform/ids.ts';
import { offsetOf } from '../../platform/http/pagination.ts';
import { findUser } from '../identity/index.ts';
import { type Caller, recordChange } from './audit.ts';
import { invitationErrors, membershipErrors } from './errors.ts';
import { authorizeIn } from './organizations.ts';
import { canAssignRole, type Role } from './permissions.ts';
import type { CreateInvitationBody, InvitationListQuery, InvitationReply, InvitationSummary, OrganizationReply } from './schemas.ts';
import {
  insertInvitation,
  insertMembership,
  invitationByTokenHash,
  invitationPage,
  type InvitationRow,
  lockInvitation,
  markInvitationAccepted,
  markInvitationRevoked,
  membershipOf,
  organizationById,
} from './store.ts';

export const invitationLifetimeSeconds = 7 * 24 * 60 * 60;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Invites an e-mail address into an organization with a role; the token is returned once. */
export async function invite(
  tx: Tx,
  options: { caller: Caller; organizationId: string; body: CreateInvitationBody },
): Promise<InvitationReply> {
  const { caller, organizationId, body } = options;
  const callerRole = await authorizeIn(tx, { userId: caller.userId, organizationId, resource: 'members', action: 'create' });
  if (!canAssignRole(callerRole, body.role))
    throw membershipErrors.raise('role_not_grantable', `The role ${callerRole} cannot invite a ${body.role}`);
  const token = randomBytes(32).toString('base64url');
  const id = uuidv7();
  const invitation = await insertInvitation(tx, {
    id,
    organizationId,
    email: body.email,
    role: body.role,
    tokenHash: hashToken(token),
    invitedBy: caller.userId,
    expiresAt: new Date(Date.now() + invitationLifetimeSeconds * 1000),
  });
  const after = { organizationId, email: invitation.email, role: invitation.role, expiresAt: invitation.expiresAt.toISOString() };
  await recordChange(tx, caller, {
    organizationId,
    role: callerRole,
    action: 'CREATE',
    entityType: 'invitation',
    entityId: id,
    after,
    event: {
      type: 'invitation.created',
      aggregate: { type: 'organization', id: organizationId },
      data: { invitationId: id, invitedBy: caller.userId, ...after },
    },
  });
  return { id, ...after, role: invitation.role as Role, token };
}

/** Accepts an invitation for the signed-in user, whose e-mail must be the invited one. */
export async function acceptInvitation(tx: Tx, options: { caller: Caller; token: string }): Promise<OrganizationReply> {
  const { caller } = options;
  const invitation = await invitationByTokenHash(tx, hashToken(options.token));
  if (!invitation) throw invitationErrors.raise('not_found');
  if (invitation.acceptedAt !== null) throw invitationErrors.raise('already_accepted');
  if (invitation.revokedAt !== null) throw invitationErrors.raise('revoked', 'Ask for a new invitation');
  if (invitation.expiresAt <= new Date()) throw invitationErrors.raise('expired', 'Ask for a new invitation');
  const user = await findUser(tx, caller.userId);
  if (user?.email.toLowerCase() !== invitation.email)
    throw invitationErrors.raise('email_mismatch', 'Sign in with the invited e-mail address');
  const { organizationId } = invitation;
  if (await membershipOf(tx, { organizationId, userId: caller.userId })) throw invitationErrors.raise('already_member');
  const role = invitation.role as Role;
  const membership = await insertMembership(tx, { organizationId, userId: caller.userId, role });
  const acceptedAt = await markInvitationAccepted(tx, invitation.id, caller.userId);
  await recordChange(tx, caller, {
    organizationId,
    role,
    action: 'UPDATE',
    entityType: 'invitation',
    entityId: invitation.id,
    before: { acceptedAt: null, acceptedBy: null },
    after: { acceptedAt: acceptedAt.toISOString(), acceptedBy: caller.userId },
    event: {
      type: 'invitation.accepted',
      aggregate: { type: 'organization', id: organizationId },
      data: { invitationId: invitation.id, organizationId, userId: caller.userId, role },
    },
  });
  await recordChange(tx, caller, {
    organizationId,
    role,
    action: 'CREATE',
    entityType: 'membership',
    entityId: `${organizationId}:${caller.userId}`,
    after: { organizationId, userId: caller.userId, role: membership.role, invitationId: invitation.id },
    event: {
      type: 'membership.created',
      aggregate: { type: 'organization', id: organizationId },
      data: { organizationId, userId: caller.userId, role },
    },
  });
  const organization = (await organizationById(tx, organizationId))!;
  return { id: organization.id, name: organization.name, isPlatform: organization.isPlatform, role };
}

const toInvitationSummary = (row: InvitationRow): InvitationSummary => ({
  id: row.id,
  organizationId: row.organizationId,
  email: row.email,
  role: row.role,
  status: row.status,
  invitedBy: row.invitedBy,
  createdAt: row.createdAt.toISOString(),
  expiresAt: row.expiresAt.toISOString(),
  acceptedAt: row.acceptedAt?.toISOString() ?? null,
  revokedAt: row.revokedAt?.toISOString() ?? null,
});

/** The organization's invitations, newest first, of one status or all; whoever may invite sees them. */
export async function listInvitations(
  db: Queryable,
  options: { caller: Caller; organizationId: string; query: InvitationListQuery },
): Promise<{ data: InvitationSummary[]; total: number }> {
  const { caller, organizationId, query } = options;
  await authorizeIn(db, { userId: caller.userId, organizationId, resource: 'members', action: 'create' });
  const { rows, total } = await invitationPage(db, organizationId, { status: query.status, ...offsetOf(query) });
  return { data: rows.map(toInvitationSummary), total };
}

function assertPending(invitation: InvitationRow): void {
  if (invitation.status === 'accepted') throw invitationErrors.raise('already_accepted', 'Remove the member instead');
  if (invitation.status === 'revoked') throw invitationErrors.raise('already_revoked');
  if (invitation.status === 'expired') throw invitationErrors.raise('expired', 'An expired invitation can no longer be accepted');
}

/**
 * Withdraws a pending invitation: its token can no longer be accepted. Whoever may invite may
 * revoke, but only a super_admin revokes an invitation as super_admin.
 */
export async function revokeInvitation(
  tx: Tx,
  options: { caller: Caller; organizationId: string; invitationId: string },
): Promise<InvitationSummary> {
  const { caller, organizationId, invitationId } = options;
  const callerRole = await authorizeIn(tx, { userId: caller.userId, organizationId, resource: 'members', action: 'create' });
  const invitation = await lockInvitation(tx, { organizationId, id: invitationId });
  if (!invitation) throw invitationErrors.raise('not_found');
  if (!canAssignRole(callerRole, invitation.role)) {
    throw membershipErrors.raise('role_not_grantable', `The role ${callerRole} cannot revoke an invitation as ${invitation.role}`);
  }
  assertPending(invitation);
  const revokedAt = await markInvitationRevoked(tx, invitation.id, caller.userId);
  await recordChange(tx, caller, {
    organizationId,
    role: callerRole,
    action: 'UPDATE',
    entityType: 'invitation',
    entityId: invitation.id,
    before: { status: 'pending', revokedAt: null, revokedBy: null },
    after: { status: 'revoked', revokedAt: revokedAt.toISOString(), revokedBy: caller.userId },
    event: {
      type: 'invitation.revoked',
      aggregate: { type: 'organization', id: organizationId },
      data: { invitationId: invitation.id, organizationId, email: invitation.email, role: invitation.role, revokedBy: caller.userId },
    },
  });
  return toInvitationSummary({ ...invitation, status: 'revoked', revokedAt });
}
