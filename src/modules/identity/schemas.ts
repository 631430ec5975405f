import { z } from 'zod';

/** Request and reply schemas; each schema and its inferred type share one name. */

export const minPasswordLength = 12;
export const maxPasswordLength = 256;

const Email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email({ message: 'Must be an e-mail address' }));
const NewPassword = z.string().min(minPasswordLength).max(maxPasswordLength);
// Sign-in takes any password up to the maximum: the rules apply when one is chosen, not when used.
const AnyPassword = z.string().min(1).max(maxPasswordLength);
const DisplayName = z.string().trim().min(1).max(200);

export const RegisterBody = z.strictObject({ email: Email, password: NewPassword, displayName: DisplayName.optional() });
export type RegisterBody = z.infer<typeof RegisterBody>;

export const LoginBody = z.strictObject({ email: Email, password: AnyPassword });
export type LoginBody = z.infer<typeof LoginBody>;

export const RefreshBody = z.strictObject({ refreshToken: z.string().min(1).max(200) });
export type RefreshBody = z.infer<typeof RefreshBody>;

export const UpdateMeBody = z.strictObject({ displayName: DisplayName.nullable().optional() });
export type UpdateMeBody = z.infer<typeof UpdateMeBody>;

export const ChangePasswordBody = z.strictObject({ currentPassword: AnyPassword, newPassword: NewPassword });
export type ChangePasswordBody = z.infer<typeof ChangePasswordBody>;

export const UserReply = z.object({
  id: z.uuid(),
  email: z.string(),
  displayName: z.string().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type UserReply = z.infer<typeof UserReply>;

export const SessionReply = z.object({
  accessToken: z.string(),
  tokenType: z.literal('Bearer'),
  /** Seconds until the access token expires. */
  expiresIn: z.number().int(),
  refreshToken: z.string(),
  refreshTokenExpiresAt: z.iso.datetime(),
  user: UserReply,
});
export type SessionReply = z.infer<typeof SessionReply>;

export const SessionParams = z.object({ sessionId: z.uuid() });
export type SessionParams = z.infer<typeof SessionParams>;

/** A signed-in session as its user sees it in the list of their sessions. */
export const ActiveSessionReply = z.object({
  id: z.uuid(),
  createdAt: z.iso.datetime(),
  /** The last sign-in or token refresh: the session was last used at most an access token's lifetime later. */
  lastUsedAt: z.iso.datetime(),
  /** When its refresh token expires unless it is refreshed before. */
  expiresAt: z.iso.datetime().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  /** The session of the access token that asks. */
  current: z.boolean(),
});
export type ActiveSessionReply = z.infer<typeof ActiveSessionReply>;

export const ActiveSessionListReply = z.object({ data: z.array(ActiveSessionReply) });
export type ActiveSessionListReply = z.infer<typeof ActiveSessionListReply>;
