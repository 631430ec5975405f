import { type Caller, recordChange } from '../../platform/audit/change.ts';
import type { Tx } from '../../platform/db/database.ts';

/**
 * A marketplace user who books a listing becomes a `customer` member of the listing's
 * organization, so they can act there on their own bookings (the `own` scope). A user who is
 * already a member keeps the role they have. Idempotent: concurrent bookings insert one membership.
 */
export async function joinAsCustomer(tx: Tx, member: { orgId: string; userId: string }, caller: Caller): Promise<void> {
  const inserted = await tx
    .insertInto('membership')
    .values({ organizationId: member.orgId, userId: member.userId, role: 'customer' })
    .onConflict((conflict) => conflict.columns(['organizationId', 'userId']).doNothing())
    .returning(['organizationId', 'userId', 'role'])
    .executeTakeFirst();
  if (!inserted) return;
  await recordChange(tx, caller, {
    orgId: member.orgId,
    action: 'CREATE',
    entityType: 'membership',
    entityId: `${member.orgId}:${member.userId}`,
    after: { ...inserted },
    event: { type: 'membership.created', source: 'organizations', data: { ...inserted } },
  });
}
