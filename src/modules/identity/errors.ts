import { defineErrors } from '../../platform/http/errors.ts';

/** Sign-in, sessions and refresh tokens. Token errors (`auth.token_*`) are the platform's. */
export const authErrors = defineErrors('auth', {
  invalid_credentials: { status: 401, title: 'The e-mail or the password is wrong' },
  too_many_attempts: { status: 429, title: 'Too many wrong passwords' },
  refresh_token_invalid: { status: 401, title: 'The refresh token is not valid' },
});

/** A user's own sessions. Another user's session is as unknown as one that never existed. */
export const sessionErrors = defineErrors('session', {
  not_found: { status: 404, title: 'The session does not exist' },
});

/** Accounts. */
export const userErrors = defineErrors('user', {
  email_taken: { status: 409, title: 'An account already uses this e-mail' },
  password_rejected: { status: 400, title: 'The password is not strong enough' },
  wrong_password: { status: 403, title: 'The current password is wrong' },
  not_found: { status: 404, title: 'The account does not exist' },
});
