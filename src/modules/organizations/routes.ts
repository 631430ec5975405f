import { principalOf, requireUser } from '../../platform/http/authentication.ts';
import { sendPage } from '../../platform/http/pagination.ts';
import type { App } from '../../platform/http/server.ts';
import type { ModuleDependencies } from '../../platform/module.ts';
import { actingOf } from './access.ts';
import { callerOf } from './audit.ts';
import { acceptInvitation, invite, listInvitations, revokeInvitation } from './invitations.ts';
import { changeRole, listMembers, removeMember } from './members.ts';
import { createOrganization, listMyOrganizations, permissionsOf, switchOrganization } from './organizations.ts';
import {
  AcceptInvitationBody,
  ChangeRoleBody,
  CreateInvitationBody,
  CreateOrganizationBody,
  InvitationListQuery,
  InvitationPage,
  InvitationParams,
  InvitationReply,
  InvitationSummary,
  MemberListReply,
  MemberParams,
  MemberReply,
  OrganizationListReply,
  OrganizationParams,
  OrganizationReply,
  PermissionsReply,
  SwitchReply,
} from './schemas.ts';

const signedIn = { preHandler: requireUser } as const;
const organizations = { tags: ['organizations'] };

export function organizationsRoutes(app: App, { db, config }: ModuleDependencies): void {
  app.post(
    '/v1/organizations',
    {
      ...signedIn,
      schema: {
        ...organizations,
        summary: 'Create an organization; its creator becomes its admin',
        body: CreateOrganizationBody,
        response: { 201: OrganizationReply },
      },
    },
    async (request, reply) => {
      const organization = await request.transaction((tx) => createOrganization(tx, { caller: callerOf(request), body: request.body }));
      return reply.code(201).send(organization);
    },
  );

  app.get(
    '/v1/organizations',
    {
      ...signedIn,
      schema: {
        ...organizations,
        summary: 'The organizations the caller belongs to, with their role in each',
        response: { 200: OrganizationListReply },
      },
    },
    async (request) => listMyOrganizations(db, { userId: principalOf(request).userId }),
  );

  app.post(
    '/v1/organizations/:id/switch',
    {
      ...signedIn,
      schema: {
        ...organizations,
        summary: 'Act in this organization: a new access token for the same session',
        params: OrganizationParams,
        response: { 200: SwitchReply },
      },
    },
    async (request) =>
      request.transaction((tx) => switchOrganization(tx, { caller: callerOf(request), organizationId: request.params.id, config })),
  );

  app.get(
    '/v1/organizations/:id/members',
    {
      ...signedIn,
      schema: {
        ...organizations,
        summary: 'The members of an organization and their roles',
        params: OrganizationParams,
        response: { 200: MemberListReply },
      },
    },
    async (request) => listMembers(db, { caller: callerOf(request), organizationId: request.params.id }),
  );

  app.patch(
    '/v1/organizations/:id/members/:userId',
    {
      ...signedIn,
      schema: {
        ...organizations,
        summary: "Change a member's role",
        params: MemberParams,
        body: ChangeRoleBody,
        response: { 200: MemberReply },
      },
    },
    async (request) => {
      const { id, userId } = request.params;
      return request.transaction((tx) =>
        changeRole(tx, { caller: callerOf(request), organizationId: id, userId, role: request.body.role }),
      );
    },
  );

  app.delete(
    '/v1/organizations/:id/members/:userId',
    { ...signedIn, schema: { ...organizations, summary: 'Remove a member (never the last admin)', params: MemberParams } },
    async (request, reply) => {
      const { id, userId } = request.params;
      await request.transaction((tx) => removeMember(tx, { caller: callerOf(request), organizationId: id, userId }));
      return reply.code(204).send();
    },
  );

  app.post(
    '/v1/organizations/:id/invitations',
    {
      ...signedIn,
      schema: {
        ...organizations,
        summary: 'Invite an e-mail address; the token is shown once',
        params: OrganizationParams,
        body: CreateInvitationBody,
        response: { 201: InvitationReply },
      },
    },
    async (request, reply) => {
      const invitation = await request.transaction((tx) =>
        invite(tx, { caller: callerOf(request), organizationId: request.params.id, body: request.body }),
      );
      return reply.code(201).send(invitation);
    },
  );

  app.get(
    '/v1/organizations/:id/invitations',
    {
      ...signedIn,
      schema: {
        ...organizations,
        summary: "The organization's invitations, newest first, with their status (filter with ?status=)",
        params: OrganizationParams,
        querystring: InvitationListQuery,
        response: { 200: InvitationPage },
      },
    },
    async (request, reply) => {
      const { data, total } = await listInvitations(db, {
        caller: callerOf(request),
        organizationId: request.params.id,
        query: request.query,
      });
      return sendPage(request, reply, request.query, data, total);
    },
  );

  app.post(
    '/v1/organizations/:id/invitations/:invitationId/revoke',
    {
      ...signedIn,
      schema: {
        ...organizations,
        summary: 'Revoke a pending invitation: its token can no longer be accepted',
        params: InvitationParams,
        response: { 200: InvitationSummary },
      },
    },
    async (request) => {
      const { id, invitationId } = request.params;
      return request.transaction((tx) => revokeInvitation(tx, { caller: callerOf(request), organizationId: id, invitationId }));
    },
  );

  app.post(
    '/v1/invitations/accept',
    {
      ...signedIn,
      schema: {
        ...organizations,
        summary: 'Accept an invitation sent to the signed-in e-mail',
        body: AcceptInvitationBody,
        response: { 200: OrganizationReply },
      },
    },
    async (request) => request.transaction((tx) => acceptInvitation(tx, { caller: callerOf(request), token: request.body.token })),
  );

  app.get(
    '/v1/permissions/me',
    {
      ...signedIn,
      schema: { tags: ['permissions'], summary: 'What the caller may do in the acting organization', response: { 200: PermissionsReply } },
    },
    async (request) => permissionsOf(actingOf(request)),
  );
}
