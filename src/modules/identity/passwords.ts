import { readFileSync } from 'node:fs';
import { hash, verify } from '@node-rs/argon2';
import type { Database, Tx } from '../../platform/db/database.ts';
import { publish } from '../../platform/events/outbox.ts';
import type { FieldError } from '../../platform/http/errors.ts';
import { commitThenThrow, takeTurnOnAttempts, throttledAttempt } from './attempts.ts';
import { type Caller, recordIdentityAudit } from './audit.ts';
import { userErrors } from './errors.ts';
import type { ChangePasswordBody } from './schemas.ts';
import { clearAccountFailures, endSessions, insertLoginFailure, updateUser, userById, type UserRow } from './store.ts';

/** argon2id with OWASP's minimum parameters: 19 MiB of memory, two passes, one lane. */
// `Algorithm.Argon2id` is an ambient const enum, out of reach with verbatimModuleSyntax; its value is 2.
const argon2id = 2;
const argon2Options = { algorithm: argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, argon2Options);
}

export function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  return verify(passwordHash, password);
}

// Verified against when the e-mail is unknown, so both answers take the same time.
let dummyHash: Promise<string> | undefined;
export async function verifyNobodysPassword(password: string): Promise<false> {
  dummyHash ??= hashPassword('not anybody’s password, only a timing stand-in');
  await verify(await dummyHash, password);
  return false;
}

const commonPasswords = new Set(
  readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
    .split('\n')
    .map((line) => line.trim().toLowerCase())
    .filter((line) => line !== '' && !line.startsWith('#')),
);

/**
 * What is wrong with a password chosen for the account of `email`; length is the schema's rule.
 * Refused: a common password (also with digits or symbols appended), one character repeated, or
 * one containing the e-mail's local part.
 */
export function passwordProblems(password: string, email: string, path = 'body.password'): FieldError[] {
  const lower = password.toLowerCase();
  const stem = lower.replace(/[\d\W_]+$/u, '');
  const problems: FieldError[] = [];
  if (commonPasswords.has(lower) || (stem.length >= 4 && commonPasswords.has(stem)) || /^(.)\1*$/u.test(password)) {
    problems.push({ path, code: 'password_common', message: 'This password is too common; choose another' });
  }
  const localPart = email.split('@')[0] ?? '';
  if (localPart.length >= 3 && lower.includes(localPart)) {
    problems.push({ path, code: 'password_contains_email', message: 'The password must not contain your e-mail address' });
  }
  return problems;
}

export function assertAcceptablePassword(password: string, email: string, path?: string): void {
  const errors = passwordProblems(password, email, path);
  if (errors.length > 0) throw userErrors.raise('password_rejected', errors.map((error) => error.message).join('; '), { errors });
}

/**
 * Changes the signed-in user's password and ends every other session of theirs. A wrong current
 * password counts as a failed sign-in of the account, so a stolen access token cannot be used to
 * guess the password faster than the sign-in form allows; that failure is committed although the
 * reply is an error, so this use case runs its own transaction, as sign-in does.
 */
export function changePassword(
  db: Database,
  options: { caller: Caller; userId: string; sessionId: string; ip: string; body: ChangePasswordBody },
): Promise<void> {
  const { userId, ip, body } = options;
  return commitThenThrow<undefined>(db, async (tx) => {
    const user = await userById(tx, userId, { forUpdate: true });
    if (!user) return { ok: false, error: userErrors.raise('not_found') };
    await takeTurnOnAttempts(tx, user.email);
    const throttled = await throttledAttempt(tx, { email: user.email });
    if (throttled) return { ok: false, error: throttled };
    if (!(await verifyPassword(user.passwordHash, body.currentPassword))) {
      await insertLoginFailure(tx, { email: user.email, ip });
      return { ok: false, error: wrongPassword() };
    }
    await clearAccountFailures(tx, user.email);
    await replacePassword(tx, user, options);
    return { ok: true, value: undefined };
  });
}

function wrongPassword() {
  return userErrors.raise('wrong_password', 'The current password is wrong', {
    errors: [{ path: 'body.currentPassword', code: 'wrong_password', message: 'The current password is wrong' }],
  });
}

async function replacePassword(
  tx: Tx,
  user: UserRow,
  options: { caller: Caller; userId: string; sessionId: string; body: ChangePasswordBody },
): Promise<void> {
  const { caller, userId, sessionId, body } = options;
  const { context } = caller;
  assertAcceptablePassword(body.newPassword, user.email, 'body.newPassword');
  await updateUser(tx, userId, { passwordHash: await hashPassword(body.newPassword) });
  const endedSessionIds = await endSessions(tx, userId, 'password_changed', { except: sessionId });
  await publish(tx, context, {
    type: 'user.password_changed',
    aggregate: { type: 'user', id: userId },
    source: 'identity',
    data: { userId, keptSessionId: sessionId, endedSessionIds },
  });
  for (const endedId of endedSessionIds) {
    await publish(tx, context, {
      type: 'session.ended',
      aggregate: { type: 'session', id: endedId },
      source: 'identity',
      data: { sessionId: endedId, userId, reason: 'password_changed' },
    });
  }
  await recordIdentityAudit(tx, caller, { action: 'PASSWORD_CHANGE', entityType: 'user', entityId: userId, after: { endedSessionIds } });
}
