import { z } from 'zod';
import { callerOfRequest } from '../../platform/audit/change.ts';
import { withTenant } from '../../platform/db/tenant.ts';
import { PageQuery, pageOf, sendPage } from '../../platform/http/pagination.ts';
import type { App } from '../../platform/http/server.ts';
import type { ModuleDependencies } from '../../platform/module.ts';
import { unitTypeFacts } from '../inventory/index.ts';
import { listingTerms, publicListingOrganization } from '../listings/index.ts';
import { accessOf, permittedAccess, requirePermission } from '../organizations/index.ts';
import { availabilityErrors } from './availability-errors.ts';
import { blockUnit, listBlocks, listingAvailability, nightStatuses, reaches, unblock, unitTypeAvailability } from './availability.ts';

/** Request and reply schemas of availability and blocks; each schema and its inferred type share one name. */

const DateText = z.iso.date();
const NightStatus = z.enum(nightStatuses);
const blockReasons = ['owner_use', 'out_of_order', 'out_of_service', 'maintenance'] as const;

export const RangeQuery = z.object({
  /** The first night; today in the property's time zone by default. */
  from: DateText.optional(),
  /** The day after the last night (at most 366 nights); 30 nights after `from` by default. */
  to: DateText.optional(),
});

export const ListingParams = z.object({ listingId: z.uuid() });
export const UnitTypeParams = z.object({ unitTypeId: z.uuid() });
export const UnitParams = z.object({ unitId: z.uuid() });
export const BlockParams = z.object({ blockId: z.uuid() });

export const ListingAvailabilityReply = z.object({
  listingId: z.uuid(),
  unitTypeId: z.uuid(),
  unitId: z.uuid().nullable(),
  from: DateText,
  to: DateText,
  nights: z.array(
    z.object({
      date: DateText,
      status: NightStatus,
      available: z.number().int(),
      total: z.number().int(),
      price: z.object({ amount: z.number().int(), currency: z.string() }).nullable(),
      minStay: z.number().int().nullable(),
      maxStay: z.number().int().nullable(),
      closedToArrival: z.boolean(),
      closedToDeparture: z.boolean(),
      stopSell: z.boolean(),
    }),
  ),
});
export type ListingAvailabilityReply = z.infer<typeof ListingAvailabilityReply>;

export const UnitTypeAvailabilityQuery = RangeQuery.extend({
  /** Also each unit's status night by night (a tape chart). */
  units: z.stringbool().default(false),
});

const NightCounts = z.object({
  night: DateText,
  total: z.number().int(),
  available: z.number().int(),
  held: z.number().int(),
  booked: z.number().int(),
  blocked: z.number().int(),
});

export const UnitTypeAvailabilityReply = z.object({
  unitTypeId: z.uuid(),
  from: DateText,
  to: DateText,
  nights: z.array(NightCounts),
  units: z
    .array(
      z.object({
        id: z.uuid(),
        name: z.string(),
        operationalStatus: z.enum(['in_service', 'out_of_order', 'out_of_service']),
        statuses: z.array(NightStatus),
      }),
    )
    .optional(),
});
export type UnitTypeAvailabilityReply = z.infer<typeof UnitTypeAvailabilityReply>;

export const CreateBlockBody = z.strictObject({
  from: DateText,
  /** The day after the last blocked night. */
  to: DateText,
  reason: z.enum(blockReasons),
  note: z.string().trim().max(1000).optional(),
});
export type CreateBlockBody = z.infer<typeof CreateBlockBody>;

export const BlockReply = z.object({
  id: z.uuid(),
  unitId: z.uuid(),
  from: DateText,
  to: DateText,
  reason: z.enum(blockReasons),
  note: z.string().nullable(),
  createdBy: z.uuid().nullable(),
  createdAt: z.iso.datetime(),
  releasedAt: z.iso.datetime().nullable(),
});
export type BlockReply = z.infer<typeof BlockReply>;

export const BlockListQuery = PageQuery.extend({
  /** Only blocks with a night on or after this date. */
  from: DateText.optional(),
  /** Only blocks with a night before this date. */
  to: DateText.optional(),
  includeReleased: z.stringbool().default(false),
});

export const BlockPage = pageOf(BlockReply);

const availability = { tags: ['availability'] };

export function availabilityRoutes(app: App, _dependencies: ModuleDependencies): void {
  app.get(
    '/v1/listings/:listingId/availability',
    {
      schema: {
        ...availability,
        summary:
          'A listing’s nights: available, held, booked or blocked (for a unit type, how many units are free), with price and restrictions. Public once approved and active; its organization’s staff see any listing',
        params: ListingParams,
        querystring: RangeQuery,
        response: { 200: ListingAvailabilityReply },
      },
    },
    async (request) => {
      const { listingId } = request.params;
      // The organization's staff (listings:read) see its listings in any status; anyone else, the public's.
      const staff = permittedAccess(request, 'listings', 'read');
      const now = new Date();
      return request.read(async (tx) => {
        let terms = staff && (await listingTerms(tx, listingId));
        if (terms && staff && !(await reaches(tx, staff, terms.propertyId))) terms = undefined;
        if (!terms) {
          const orgId = await publicListingOrganization(tx, listingId);
          if (!orgId) throw availabilityErrors.raise('listing_not_found', `No listing ${listingId} here`);
          // The listing, its units, occupancy and prices are its organization's rows: read them acting for it.
          await withTenant(tx, orgId);
          terms = await listingTerms(tx, listingId);
          if (terms?.moderationStatus !== 'approved' || !terms.isActive)
            throw availabilityErrors.raise('listing_not_found', `No listing ${listingId} here`);
        }
        return listingAvailability(tx, terms, request.query, now);
      });
    },
  );

  app.get(
    '/v1/unit-types/:unitTypeId/availability',
    {
      preHandler: requirePermission('bookings', 'read'),
      schema: {
        ...availability,
        summary:
          'How many of the unit type’s units are available, held, booked and blocked on each night (and, with ?units=true, each unit’s status)',
        params: UnitTypeParams,
        querystring: UnitTypeAvailabilityQuery,
        response: { 200: UnitTypeAvailabilityReply },
      },
    },
    async (request) => {
      const { unitTypeId } = request.params;
      const access = accessOf(request);
      const now = new Date();
      return request.read(async (tx) => {
        const unitType = await unitTypeFacts(tx, unitTypeId);
        if (!unitType || !(await reaches(tx, access, unitType.propertyId)))
          throw availabilityErrors.raise('unit_type_not_found', `No unit type ${unitTypeId} here`);
        return unitTypeAvailability(tx, unitType, request.query, now);
      });
    },
  );

  app.post(
    '/v1/units/:unitId/blocks',
    {
      preHandler: requirePermission('units', 'block'),
      schema: {
        ...availability,
        summary: 'Block a unit’s nights (owner use, out of order, out of service, maintenance); 409 when a stay or block has any of them',
        params: UnitParams,
        body: CreateBlockBody,
        response: { 201: BlockReply },
      },
    },
    async (request, reply) => {
      const block = await request.transaction((tx) =>
        blockUnit(tx, { access: accessOf(request), caller: callerOfRequest(request), unitId: request.params.unitId, body: request.body }),
      );
      return reply.code(201).send(block);
    },
  );

  app.get(
    '/v1/units/:unitId/blocks',
    {
      preHandler: requirePermission('units', 'read'),
      schema: {
        ...availability,
        summary: 'The unit’s blocks by first night: the active ones (with ?includeReleased=true, released ones too)',
        params: UnitParams,
        querystring: BlockListQuery,
        response: { 200: BlockPage },
      },
    },
    async (request, reply) => {
      const { data, total } = await request.read((tx) =>
        listBlocks(tx, { access: accessOf(request), unitId: request.params.unitId, query: request.query }),
      );
      return sendPage(request, reply, request.query, data, total);
    },
  );

  app.delete(
    '/v1/blocks/:blockId',
    {
      preHandler: requirePermission('units', 'block'),
      schema: { ...availability, summary: 'Release a block: its nights are free again', params: BlockParams },
    },
    async (request, reply) => {
      await request.transaction((tx) =>
        unblock(tx, { access: accessOf(request), caller: callerOfRequest(request), blockId: request.params.blockId }),
      );
      return reply.code(204).send();
    },
  );
}
