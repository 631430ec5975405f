import type { Config } from '../../platform/config.ts';
import type { Database, Tx } from '../../platform/db/database.ts';
import { transactionAsTenant } from '../../platform/db/tenant.ts';
import { uuidv7 } from '../../platform/ids.ts';
import { findUserByEmail, openAccount } from '../identity/index.ts';
import { platformOrganizationId } from './access.ts';
import { type Caller, recordChange } from './audit.ts';
import { adminRoles } from './permissions.ts';
import { countAdmins, insertMembership, lockOrganization, membershipOf, type MembershipRow, updateMembershipRole } from './store.ts';

/** What became of a request for a platform admin. */
export type PlatformAdminOutcome =
  /** The platform organization has an admin already: the first-admin bootstrap did nothing. */
  | { status: 'has_admin' }
  /** No account uses the e-mail and no password was given to open one: nothing was written. */
  | { status: 'password_needed' }
  | { status: 'already_admin' | 'made_admin'; userId: string; accountOpened: boolean };

/** Who asks: the start-up bootstrap or `npm run admin:create`, acting as the system. */
type PlatformAdminSource = 'start-up' | 'admin:create';

type SystemCaller = Pick<Caller, 'context' | 'audit'>;

function systemCaller(): SystemCaller {
  const correlationId = uuidv7();
  return {
    context: { correlationId, causationId: null, actor: { type: 'system', id: null }, tenantId: null, clientApp: null },
    audit: { actor: { type: 'system', userId: null, role: null }, orgId: null, ip: null, userAgent: null, correlationId },
  };
}

/** The membership's audit entry and event: the system acts, holding no role there. */
const platformMembership = (userId: string) =>
  ({
    organizationId: platformOrganizationId,
    role: null,
    entityType: 'membership',
    entityId: `${platformOrganizationId}:${userId}`,
  }) as const;

async function promoteToAdmin(tx: Tx, caller: SystemCaller, member: MembershipRow, source: PlatformAdminSource): Promise<void> {
  const { userId } = member;
  await updateMembershipRole(tx, { organizationId: platformOrganizationId, userId }, 'admin');
  await recordChange(tx, caller, {
    ...platformMembership(userId),
    action: 'PERMISSION_CHANGE',
    before: { role: member.role },
    after: { role: 'admin', source },
    event: {
      type: 'membership.role_changed',
      aggregate: { type: 'organization', id: platformOrganizationId },
      data: { organizationId: platformOrganizationId, userId, from: member.role, to: 'admin' },
    },
  });
}

async function admitAsAdmin(tx: Tx, caller: SystemCaller, userId: string, source: PlatformAdminSource): Promise<void> {
  await insertMembership(tx, { organizationId: platformOrganizationId, userId, role: 'admin' });
  await recordChange(tx, caller, {
    ...platformMembership(userId),
    action: 'CREATE',
    after: { organizationId: platformOrganizationId, userId, role: 'admin', source },
    event: {
      type: 'membership.created',
      aggregate: { type: 'organization', id: platformOrganizationId },
      data: { organizationId: platformOrganizationId, userId, role: 'admin' },
    },
  });
}

/**
 * Makes the account of an e-mail an admin of the platform organization, opening the account with
 * the password (under registration's rules) when none uses the e-mail; an existing account keeps
 * its password, and a member with another role there is promoted. With `firstOnly`, does nothing
 * once the platform organization has an admin. The platform organization stays locked until
 * commit, so processes starting together make one admin.
 */
async function makePlatformAdmin(
  tx: Tx,
  options: { email: string; password: string | undefined; firstOnly: boolean; source: PlatformAdminSource },
): Promise<PlatformAdminOutcome> {
  const { password, source } = options;
  const email = options.email.trim().toLowerCase();
  await lockOrganization(tx, platformOrganizationId);
  if (options.firstOnly && (await countAdmins(tx, platformOrganizationId)) > 0) return { status: 'has_admin' };
  const caller = systemCaller();
  let user = await findUserByEmail(tx, email);
  const accountOpened = user === undefined;
  if (!user) {
    if (password === undefined) return { status: 'password_needed' };
    user = await openAccount(tx, { caller, email, password });
  }
  const userId = user.id;
  const member = await membershipOf(tx, { organizationId: platformOrganizationId, userId }, { forUpdate: true });
  if (member && adminRoles.includes(member.role)) return { status: 'already_admin', userId, accountOpened };
  if (member) await promoteToAdmin(tx, caller, member, source);
  else await admitAsAdmin(tx, caller, userId, source);
  return { status: 'made_admin', userId, accountOpened };
}

/**
 * At start-up: with PLATFORM_ADMIN_EMAIL and PLATFORM_ADMIN_PASSWORD set and no admin in the
 * platform organization yet, makes that account its admin in one transaction. Later starts find
 * the admin and change nothing. Undefined when the settings are not set.
 */
export async function bootstrapPlatformAdmin(
  db: Database,
  config: Pick<Config, 'PLATFORM_ADMIN_EMAIL' | 'PLATFORM_ADMIN_PASSWORD'>,
): Promise<PlatformAdminOutcome | undefined> {
  const { PLATFORM_ADMIN_EMAIL: email, PLATFORM_ADMIN_PASSWORD: password } = config;
  if (email === undefined || password === undefined) return undefined;
  return transactionAsTenant(db, platformOrganizationId, (tx) =>
    makePlatformAdmin(tx, { email, password, firstOnly: true, source: 'start-up' }),
  );
}

/** `npm run admin:create`: makes the account of the e-mail a platform admin, whoever else is one. */
export function grantPlatformAdmin(db: Database, options: { email: string; password: string | undefined }): Promise<PlatformAdminOutcome> {
  return transactionAsTenant(db, platformOrganizationId, (tx) =>
    makePlatformAdmin(tx, { ...options, firstOnly: false, source: 'admin:create' }),
  );
}
