import { sql } from 'kysely';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import { adminRoles, type Role } from './permissions.ts';

/** The organizations module's SQL: its own tables only, each query named after what it returns. */

export interface OrganizationRow {
  id: string;
  name: string;
  isPlatform: boolean;
  createdAt: Date;
}

export interface MembershipRow {
  organizationId: string;
  userId: string;
  role: Role;
  createdAt: Date;
  updatedAt: Date;
}

const membershipColumns = ['organizationId', 'userId', 'role', 'createdAt', 'updatedAt'] as const;

export async function insertOrganization(tx: Tx, organization: { id: string; name: string }): Promise<OrganizationRow> {
  return tx.insertInto('organization').values(organization).returning(['id', 'name', 'isPlatform', 'createdAt']).executeTakeFirstOrThrow();
}

/** Locks the organization row: changes to its admins take turns, so two cannot remove the last two. */
export function lockOrganization(tx: Tx, id: string) {
  return tx
    .selectFrom('organization')
    .select(['id', 'name', 'isPlatform', 'createdAt'])
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
}

export function organizationById(db: Queryable, id: string): Promise<OrganizationRow | undefined> {
  return db.selectFrom('organization').select(['id', 'name', 'isPlatform', 'createdAt']).where('id', '=', id).executeTakeFirst();
}

/** Every organization's id, oldest first: for jobs that act in each organization in turn. */
export async function allOrganizationIds(db: Queryable): Promise<string[]> {
  const rows = await db.selectFrom('organization').select('id').orderBy('createdAt').orderBy('id').execute();
  return rows.map((row) => row.id);
}

/** The user's organizations with their role in each, oldest membership first. */
export function organizationsOfUser(db: Queryable, userId: string) {
  return db
    .selectFrom('membership')
    .innerJoin('organization', 'organization.id', 'membership.organizationId')
    .select(['organization.id', 'organization.name', 'organization.isPlatform', 'membership.role', 'membership.createdAt as memberSince'])
    .where('membership.userId', '=', userId)
    .orderBy('membership.createdAt')
    .orderBy('organization.id')
    .execute() as Promise<{ id: string; name: string; isPlatform: boolean; role: Role; memberSince: Date }[]>;
}

export async function insertMembership(tx: Tx, membership: { organizationId: string; userId: string; role: Role }): Promise<MembershipRow> {
  return tx.insertInto('membership').values(membership).returning(membershipColumns).executeTakeFirstOrThrow() as Promise<MembershipRow>;
}

export function membershipOf(db: Queryable, member: { organizationId: string; userId: string }, options: { forUpdate?: boolean } = {}) {
  const query = db
    .selectFrom('membership')
    .select(membershipColumns)
    .where('organizationId', '=', member.organizationId)
    .where('userId', '=', member.userId);
  return (options.forUpdate ? query.forUpdate() : query).executeTakeFirst() as Promise<MembershipRow | undefined>;
}

/** The role a user holds in an organization: the primary-key read behind every request that acts in one. */
export async function roleOf(db: Queryable, member: { organizationId: string; userId: string }): Promise<Role | null> {
  const row = await db
    .selectFrom('membership')
    .select('role')
    .where('organizationId', '=', member.organizationId)
    .where('userId', '=', member.userId)
    .executeTakeFirst();
  return (row?.role as Role | undefined) ?? null;
}

export function membersOf(db: Queryable, organizationId: string) {
  return db
    .selectFrom('membership')
    .select(membershipColumns)
    .where('organizationId', '=', organizationId)
    .orderBy('createdAt')
    .orderBy('userId')
    .execute() as Promise<MembershipRow[]>;
}

export async function countAdmins(tx: Tx, organizationId: string): Promise<number> {
  const row = await tx
    .selectFrom('membership')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('organizationId', '=', organizationId)
    .where('role', 'in', adminRoles)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function updateMembershipRole(tx: Tx, member: { organizationId: string; userId: string }, role: Role) {
  return tx
    .updateTable('membership')
    .set({ role, updatedAt: sql<Date>`now()` })
    .where('organizationId', '=', member.organizationId)
    .where('userId', '=', member.userId)
    .returning(membershipColumns)
    .executeTakeFirstOrThrow() as Promise<MembershipRow>;
}

export async function deleteMembership(tx: Tx, member: { organizationId: string; userId: string }): Promise<void> {
  await tx.deleteFrom('membership').where('organizationId', '=', member.organizationId).where('userId', '=', member.userId).execute();
  // Its sessions no longer start in this organization.
  await tx
    .deleteFrom('actingOrganization')
    .where('organizationId', '=', member.organizationId)
    .where('userId', '=', member.userId)
    .execute();
}

// --- invitations ---------------------------------------------------------------------------------

export async function insertInvitation(
  tx: Tx,
  invitation: { id: string; organizationId: string; email: string; role: Role; tokenHash: string; invitedBy: string; expiresAt: Date },
) {
  return tx
    .insertInto('invitation')
    .values(invitation)
    .returning(['id', 'organizationId', 'email', 'role', 'createdAt', 'expiresAt'])
    .executeTakeFirstOrThrow();
}

export function invitationByTokenHash(tx: Tx, tokenHash: string) {
  return tx
    .selectFrom('invitation')
    .select(['id', 'organizationId', 'email', 'role', 'expiresAt', 'acceptedAt', 'revokedAt'])
    .where('tokenHash', '=', tokenHash)
    .forUpdate()
    .executeTakeFirst();
}

export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

export interface InvitationRow {
  id: string;
  organizationId: string;
  email: string;
  role: Role;
  status: InvitationStatus;
  invitedBy: string;
  createdAt: Date;
  expiresAt: Date;
  acceptedAt: Date | null;
  revokedAt: Date | null;
}

/** As of the transaction's start: an end once recorded (accepted, revoked) wins over the expiry. */
const invitationStatus = sql<InvitationStatus>`CASE
  WHEN accepted_at IS NOT NULL THEN 'accepted'
  WHEN revoked_at IS NOT NULL THEN 'revoked'
  WHEN expires_at <= now() THEN 'expired'
  ELSE 'pending'
END`;

function invitationsOf(db: Queryable, organizationId: string, status: InvitationStatus | undefined) {
  const query = db.selectFrom('invitation').where('organizationId', '=', organizationId);
  return status === undefined ? query : query.where(invitationStatus, '=', status);
}

const invitationColumns = [
  'id',
  'organizationId',
  'email',
  'role',
  invitationStatus.as('status'),
  'invitedBy',
  'createdAt',
  'expiresAt',
  'acceptedAt',
  'revokedAt',
] as const;

/** One page of an organization's invitations, newest first, with how many match in all. */
export async function invitationPage(
  db: Queryable,
  organizationId: string,
  page: { status?: InvitationStatus; limit: number; offset: number },
): Promise<{ rows: InvitationRow[]; total: number }> {
  const rows = await invitationsOf(db, organizationId, page.status)
    .select(invitationColumns)
    .orderBy('createdAt', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  const { total } = await invitationsOf(db, organizationId, page.status)
    .select((eb) => eb.fn.countAll<string>().as('total'))
    .executeTakeFirstOrThrow();
  return { rows: rows as InvitationRow[], total: Number(total) };
}

/** An invitation of the organization, locked for the change that follows. */
export function lockInvitation(tx: Tx, invitation: { organizationId: string; id: string }) {
  return tx
    .selectFrom('invitation')
    .select(invitationColumns)
    .where('organizationId', '=', invitation.organizationId)
    .where('id', '=', invitation.id)
    .forUpdate()
    .executeTakeFirst() as Promise<InvitationRow | undefined>;
}

export async function markInvitationRevoked(tx: Tx, id: string, userId: string): Promise<Date> {
  const row = await tx
    .updateTable('invitation')
    .set({ revokedAt: sql<Date>`now()`, revokedBy: userId })
    .where('id', '=', id)
    .returning('revokedAt')
    .executeTakeFirstOrThrow();
  return row.revokedAt!;
}

export async function markInvitationAccepted(tx: Tx, id: string, userId: string): Promise<Date> {
  const row = await tx
    .updateTable('invitation')
    .set({ acceptedAt: sql<Date>`now()`, acceptedBy: userId })
    .where('id', '=', id)
    .returning('acceptedAt')
    .executeTakeFirstOrThrow();
  return row.acceptedAt!;
}

// --- the organization a session acts in ----------------------------------------------------------

export async function setActingOrganization(tx: Tx, acting: { sessionId: string; userId: string; organizationId: string }) {
  await tx
    .insertInto('actingOrganization')
    .values(acting)
    .onConflict((conflict) =>
      conflict.column('sessionId').doUpdateSet({ organizationId: acting.organizationId, switchedAt: sql<Date>`now()` }),
    )
    .execute();
}

/**
 * The organization a session acts in, with the role held there: the session's own choice, else the
 * organization its user switched to last (in any session) while still a member of it.
 */
export async function actingMembership(db: Queryable, session: { sessionId: string; userId: string }) {
  const row = await db
    .selectFrom('actingOrganization')
    .innerJoin('membership', (join) =>
      join
        .onRef('membership.organizationId', '=', 'actingOrganization.organizationId')
        .onRef('membership.userId', '=', 'actingOrganization.userId'),
    )
    .select(['membership.organizationId', 'membership.role'])
    .where('actingOrganization.userId', '=', session.userId)
    .orderBy(sql`acting_organization.session_id = ${session.sessionId}`, 'desc')
    .orderBy('actingOrganization.switchedAt', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? { organizationId: row.organizationId, role: row.role as Role } : undefined;
}
