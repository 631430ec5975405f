import type { Queryable, Tx } from '../../platform/db/database.ts';
import { publish } from '../../platform/events/outbox.ts';
import { type Caller, recordIdentityAudit } from './audit.ts';
import { userErrors } from './errors.ts';
import type { UpdateMeBody, UserReply } from './schemas.ts';
import { toUserReply, updateUser, userById } from './store.ts';

/** The signed-in user's own account. */
export async function getUser(db: Queryable, options: { userId: string }): Promise<UserReply> {
  const user = await userById(db, options.userId);
  if (!user) throw userErrors.raise('not_found');
  return toUserReply(user);
}

export async function updateProfile(tx: Tx, options: { caller: Caller; userId: string; body: UpdateMeBody }): Promise<UserReply> {
  const { caller, userId, body } = options;
  const before = await userById(tx, userId, { forUpdate: true });
  if (!before) throw userErrors.raise('not_found');
  if (body.displayName === undefined) return toUserReply(before);
  const after = await updateUser(tx, userId, { displayName: body.displayName });
  await publish(tx, caller.context, {
    type: 'user.profile_updated',
    aggregate: { type: 'user', id: userId },
    source: 'identity',
    data: { userId, displayName: after.displayName },
  });
  await recordIdentityAudit(tx, caller, {
    action: 'UPDATE',
    entityType: 'user',
    entityId: userId,
    before: { displayName: before.displayName },
    after: { displayName: after.displayName },
  });
  return toUserReply(after);
}
