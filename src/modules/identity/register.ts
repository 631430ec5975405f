import type { Tx } from '../../platform/db/database.ts';
import { publish } from '../../platform/events/outbox.ts';
import { uuidv7 } from '../../platform/ids.ts';
import { asUser, type Caller, recordIdentityAudit } from './audit.ts';
import { userErrors } from './errors.ts';
import { assertAcceptablePassword, hashPassword } from './passwords.ts';
import type { RegisterBody, UserReply } from './schemas.ts';
import { insertUser, toUserReply, userByEmail } from './store.ts';

const emailUniqueIndex = 'user_account_email_key';

/** Opens an account. The e-mail arrives normalised (trimmed, lower case) and must be unused. */
export async function register(tx: Tx, options: { caller: Caller; body: RegisterBody }): Promise<UserReply> {
  const { body } = options;
  assertAcceptablePassword(body.password, body.email);
  const taken = () => userErrors.raise('email_taken', 'An account already uses this e-mail; sign in or reset the password');
  if (await userByEmail(tx, body.email)) throw taken();
  const id = uuidv7();
  const passwordHash = await hashPassword(body.password);
  let user;
  try {
    user = await insertUser(tx, { id, email: body.email, displayName: body.displayName ?? null, passwordHash });
  } catch (error) {
    // Two registrations of one e-mail at once: the unique index decides.
    if ((error as { constraint?: string }).constraint === emailUniqueIndex) throw taken();
    throw error;
  }
  const caller = asUser(options.caller, id);
  await publish(tx, caller.context, {
    type: 'user.registered',
    aggregate: { type: 'user', id },
    source: 'identity',
    data: { userId: id, email: user.email },
  });
  const reply = toUserReply(user);
  await recordIdentityAudit(tx, caller, { action: 'CREATE', entityType: 'user', entityId: id, after: reply });
  return reply;
}
