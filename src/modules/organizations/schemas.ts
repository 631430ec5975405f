import { z } from 'zod';
import { PageQuery, pageOf } from '../../platform/http/pagination.ts';
import { roles } from './permissions.ts';

/** Request and reply schemas; each schema and its inferred type share one name. */

export const Role = z.enum(roles);

const Email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email({ message: 'Must be an e-mail address' }));

export const OrganizationParams = z.object({ id: z.uuid() });
export type OrganizationParams = z.infer<typeof OrganizationParams>;

export const MemberParams = z.object({ id: z.uuid(), userId: z.uuid() });
export type MemberParams = z.infer<typeof MemberParams>;

export const CreateOrganizationBody = z.strictObject({ name: z.string().trim().min(1).max(200) });
export type CreateOrganizationBody = z.infer<typeof CreateOrganizationBody>;

export const OrganizationReply = z.object({
  id: z.uuid(),
  name: z.string(),
  isPlatform: z.boolean(),
  /** The caller's role in it. */
  role: Role,
});
export type OrganizationReply = z.infer<typeof OrganizationReply>;

export const OrganizationListReply = z.object({ data: z.array(OrganizationReply) });
export type OrganizationListReply = z.infer<typeof OrganizationListReply>;

export const SwitchReply = z.object({
  accessToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int(),
  organization: OrganizationReply,
});
export type SwitchReply = z.infer<typeof SwitchReply>;

export const MemberReply = z.object({ userId: z.uuid(), organizationId: z.uuid(), role: Role, createdAt: z.iso.datetime() });
export type MemberReply = z.infer<typeof MemberReply>;

export const MemberListReply = z.object({ data: z.array(MemberReply) });
export type MemberListReply = z.infer<typeof MemberListReply>;

export const ChangeRoleBody = z.strictObject({ role: Role });
export type ChangeRoleBody = z.infer<typeof ChangeRoleBody>;

export const CreateInvitationBody = z.strictObject({ email: Email, role: Role });
export type CreateInvitationBody = z.infer<typeof CreateInvitationBody>;

export const InvitationReply = z.object({
  id: z.uuid(),
  organizationId: z.uuid(),
  email: z.string(),
  role: Role,
  expiresAt: z.iso.datetime(),
  /** Shown once: only its hash is stored. */
  token: z.string(),
});
export type InvitationReply = z.infer<typeof InvitationReply>;

export const InvitationParams = z.object({ id: z.uuid(), invitationId: z.uuid() });
export type InvitationParams = z.infer<typeof InvitationParams>;

export const InvitationStatus = z.enum(['pending', 'accepted', 'revoked', 'expired']);

export const InvitationListQuery = PageQuery.extend({ status: InvitationStatus.optional() });
export type InvitationListQuery = z.infer<typeof InvitationListQuery>;

/** An invitation as its organization's admins see it: never its token. */
export const InvitationSummary = z.object({
  id: z.uuid(),
  organizationId: z.uuid(),
  email: z.string(),
  role: Role,
  status: InvitationStatus,
  invitedBy: z.uuid(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  acceptedAt: z.iso.datetime().nullable(),
  revokedAt: z.iso.datetime().nullable(),
});
export type InvitationSummary = z.infer<typeof InvitationSummary>;

export const InvitationPage = pageOf(InvitationSummary);

export const AcceptInvitationBody = z.strictObject({ token: z.string().min(1).max(200) });
export type AcceptInvitationBody = z.infer<typeof AcceptInvitationBody>;

const Scope = z.enum(['all', 'own', 'assigned']);

export const PermissionsReply = z.object({
  organizationId: z.uuid().nullable(),
  role: Role.nullable(),
  /** Resource → the actions allowed and the rows they reach; resources with none are left out. */
  permissions: z.record(z.string(), z.object({ actions: z.array(z.string()), scope: Scope })),
});
export type PermissionsReply = z.infer<typeof PermissionsReply>;
