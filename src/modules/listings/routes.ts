import type { FastifyRequest } from 'fastify';
import { callerOfRequest } from '../../platform/audit/change.ts';
import { withTenant } from '../../platform/db/tenant.ts';
import { sendPage } from '../../platform/http/pagination.ts';
import type { App } from '../../platform/http/server.ts';
import { accessOf, permittedAccess, requirePermission } from '../organizations/index.ts';
import { listingErrors } from './errors.ts';
import {
  createListing,
  listOrganizationListings,
  moderateListing,
  publicListing,
  publicListingOrganization,
  removeListing,
  staffListing,
  submitListing,
  updateListingTerms,
} from './listings.ts';
import { pendingListings, searchMarketplace } from './marketplace.ts';
import {
  CreateListingBody,
  ListingDetailReply,
  ListingParams,
  ListingReply,
  ListingSearchQuery,
  ListingSearchReply,
  PendingListingPage,
  PendingQuery,
  RejectBody,
  UpdateListingBody,
} from './schemas.ts';
import { publicationRow } from './store.ts';

const listings = { tags: ['listings'] };
const moderation = { tags: ['listings', 'moderation'] };
const readListings = requirePermission('listings', 'read');

export function listingsRoutes(app: App): void {
  app.post(
    '/v1/listings',
    {
      preHandler: requirePermission('listings', 'create'),
      schema: {
        ...listings,
        summary: 'Create a listing (a draft) of a unit type or one unit, with its rental modes and terms',
        body: CreateListingBody,
        response: { 201: ListingReply },
      },
    },
    async (request, reply) => {
      const listing = await request.transaction((tx) =>
        createListing(tx, { access: accessOf(request), body: request.body, actor: callerOfRequest(request) }),
      );
      return reply.code(201).send(listing);
    },
  );

  app.get(
    '/v1/listings',
    {
      async preHandler(request) {
        if (request.query.scope === 'organization') await readListings(request);
      },
      schema: {
        ...listings,
        summary:
          'The marketplace: approved, active listings, without signing in (filters, full-text q, sorts). ' +
          'With scope=organization, the acting organization’s own listings in every status (listings:read)',
        querystring: ListingSearchQuery,
        response: { 200: ListingSearchReply },
      },
    },
    async (request, reply) => {
      const { query } = request;
      if (query.scope === 'organization') {
        const { data, total } = await request.read((tx) => listOrganizationListings(tx, accessOf(request), query));
        return sendPage(request, reply, query, data, total);
      }
      const { data, total } = await request.read((tx) => searchMarketplace(tx, query));
      return sendPage(request, reply, query, data, total);
    },
  );

  app.get(
    '/v1/listings/:listingId',
    {
      schema: {
        ...listings,
        summary: 'A listing: public once approved and active; its organization’s staff see it in any status',
        params: ListingParams,
        response: { 200: ListingDetailReply },
      },
    },
    async (request) => {
      const { listingId } = request.params;
      // The organization's staff (listings:read) see its listings in any status; anyone else, the public's.
      const staff = permittedAccess(request, 'listings', 'read');
      return request.read(async (tx) => {
        const own = staff && (await staffListing(tx, staff, listingId));
        if (own) return own;
        const orgId = await publicListingOrganization(tx, listingId);
        if (!orgId) throw listingErrors.raise('not_found', `No listing ${listingId} here`);
        // The listing's full terms are its organization's rows: read them acting for it.
        await withTenant(tx, orgId);
        return publicListing(tx, listingId);
      });
    },
  );

  app.patch(
    '/v1/listings/:listingId',
    {
      preHandler: requirePermission('listings', 'update'),
      schema: {
        ...listings,
        summary: 'Change a listing; a new title, description, amenities or furnishing sends an approved listing back to review',
        params: ListingParams,
        body: UpdateListingBody,
        response: { 200: ListingReply },
      },
    },
    async (request) =>
      request.transaction((tx) =>
        updateListingTerms(tx, {
          access: accessOf(request),
          listingId: request.params.listingId,
          body: request.body,
          actor: callerOfRequest(request),
        }),
      ),
  );

  app.delete(
    '/v1/listings/:listingId',
    {
      preHandler: requirePermission('listings', 'delete'),
      schema: { ...listings, summary: 'Delete a draft never submitted; deactivate any other listing', params: ListingParams },
    },
    async (request, reply) => {
      await request.transaction((tx) =>
        removeListing(tx, { access: accessOf(request), listingId: request.params.listingId, actor: callerOfRequest(request) }),
      );
      return reply.code(204).send();
    },
  );

  app.post(
    '/v1/listings/:listingId/submit',
    {
      preHandler: requirePermission('listings', 'update'),
      schema: {
        ...listings,
        summary: 'Submit a draft or rejected listing for review by the platform',
        params: ListingParams,
        response: { 200: ListingReply },
      },
    },
    async (request) =>
      request.transaction((tx) =>
        submitListing(tx, { access: accessOf(request), listingId: request.params.listingId, actor: callerOfRequest(request) }),
      ),
  );

  app.get(
    '/v1/admin/listings/pending',
    {
      preHandler: requirePermission('listings', 'moderate'),
      schema: {
        ...moderation,
        summary: 'Listings of every organization waiting for review, oldest submission first (platform admins)',
        querystring: PendingQuery,
        response: { 200: PendingListingPage },
      },
    },
    async (request, reply) => {
      const { data, total } = await request.read((tx) => pendingListings(tx, request.query));
      return sendPage(request, reply, request.query, data, total);
    },
  );

  const moderate = (request: FastifyRequest, listingId: string, decision: 'approve' | 'reject', note: string | null) =>
    request.transaction(async (tx) => {
      const publication = await publicationRow(tx, listingId);
      if (!publication) throw listingErrors.raise('not_found', `No listing ${listingId} was submitted`);
      // The listing row is its organization's: act for it, then for the caller's own again.
      await withTenant(tx, publication.organizationId);
      const listing = await moderateListing(tx, {
        listingId,
        decision,
        note,
        reviewerId: accessOf(request).userId,
        actor: callerOfRequest(request),
      });
      await withTenant(tx, request.tenantId);
      return listing;
    });

  app.post(
    '/v1/admin/listings/:listingId/approve',
    {
      preHandler: requirePermission('listings', 'moderate'),
      schema: {
        ...moderation,
        summary: 'Approve a listing pending review: it appears in the marketplace (platform admins)',
        params: ListingParams,
        response: { 200: ListingReply },
      },
    },
    async (request) => moderate(request, request.params.listingId, 'approve', null),
  );

  app.post(
    '/v1/admin/listings/:listingId/reject',
    {
      preHandler: requirePermission('listings', 'moderate'),
      schema: {
        ...moderation,
        summary: 'Reject a listing pending review, with a note for its organization (platform admins)',
        params: ListingParams,
        body: RejectBody,
        response: { 200: ListingReply },
      },
    },
    async (request) => moderate(request, request.params.listingId, 'reject', request.body.note),
  );
}
