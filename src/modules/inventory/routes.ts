import type { FastifyRequest } from 'fastify';
import { registerEntityAuditRoute } from '../../platform/audit/routes.ts';
import type { Queryable } from '../../platform/db/database.ts';
import type { AppError } from '../../platform/http/errors.ts';
import { sendPage } from '../../platform/http/pagination.ts';
import type { App } from '../../platform/http/server.ts';
import { uuidPattern } from '../../platform/ids.ts';
import { requirePermission } from '../organizations/index.ts';
import { inventoryErrors } from './errors.ts';
import { createOwner, deleteOwner, getOwner, listOwners, updateOwner } from './owners.ts';
import { createProperty, deleteProperty, getProperty, listProperties, updateProperty } from './properties.ts';
import {
  CreateOwnerBody,
  CreatePropertyBody,
  CreateUnitBody,
  CreateUnitTypeBody,
  HousekeepingStatusBody,
  OperationalStatusBody,
  OwnerListQuery,
  OwnerPage,
  OwnerParams,
  OwnerReply,
  PropertyListQuery,
  PropertyPage,
  PropertyParams,
  PropertyReply,
  UnitListQuery,
  UnitPage,
  UnitParams,
  UnitReply,
  UnitTypeListQuery,
  UnitTypePage,
  UnitTypeParams,
  UnitTypeReply,
  UpdateOwnerBody,
  UpdatePropertyBody,
  UpdateUnitBody,
  UpdateUnitTypeBody,
} from './schemas.ts';
import { everything, propertyById, unitById } from './store.ts';
import {
  createUnit,
  createUnitType,
  deleteUnit,
  deleteUnitType,
  getUnit,
  getUnitType,
  listUnits,
  listUnitTypes,
  setHousekeepingStatus,
  setOperationalStatus,
  updateUnit,
  updateUnitType,
} from './units.ts';
import { actingOf } from './views.ts';

const tags = { owners: ['owners'], properties: ['properties'], units: ['units'] };

/**
 * The audit history of one object: readers of the audit log, and only for an object of the acting
 * organization, so another organization's id is a 404 like on every other route.
 */
function auditGuard(app: App, parameter: string, find: (db: Queryable, id: string) => Promise<unknown>, notFound: () => AppError) {
  const base = app.auditReader;
  if (!base) throw new Error('The inventory module needs the platform audit routes');
  return async (request: FastifyRequest): Promise<void> => {
    await base.guard(request);
    // The operator token reads every organization's entries; it acts in none.
    if (!request.principal) return;
    const id = (request.params as Record<string, string | undefined>)[parameter] ?? '';
    if (!uuidPattern.test(id) || !(await request.read((tx) => find(tx, id)))) throw notFound();
  };
}

export function inventoryRoutes(app: App): void {
  // --- owners -------------------------------------------------------------------------------------
  app.post(
    '/v1/owners',
    {
      preHandler: requirePermission('owners', 'create'),
      schema: { tags: tags.owners, summary: 'Add a property owner', body: CreateOwnerBody, response: { 201: OwnerReply } },
    },
    async (request, reply) => {
      const owner = await request.transaction((tx) => createOwner(tx, actingOf(request), request.body));
      return reply.code(201).send(owner);
    },
  );

  app.get(
    '/v1/owners',
    {
      preHandler: requirePermission('owners', 'read'),
      schema: {
        tags: tags.owners,
        summary: 'Property owners by name, searched by name or e-mail (?q=)',
        querystring: OwnerListQuery,
        response: { 200: OwnerPage },
      },
    },
    async (request, reply) => {
      const { data, total } = await request.read((tx) => listOwners(tx, actingOf(request).reach, request.query));
      return sendPage(request, reply, request.query, data, total);
    },
  );

  app.get(
    '/v1/owners/:ownerId',
    {
      preHandler: requirePermission('owners', 'read'),
      schema: { tags: tags.owners, summary: 'A property owner', params: OwnerParams, response: { 200: OwnerReply } },
    },
    async (request) => request.read((tx) => getOwner(tx, actingOf(request).reach, request.params.ownerId)),
  );

  app.patch(
    '/v1/owners/:ownerId',
    {
      preHandler: requirePermission('owners', 'update'),
      schema: {
        tags: tags.owners,
        summary: 'Change a property owner',
        params: OwnerParams,
        body: UpdateOwnerBody,
        response: { 200: OwnerReply },
      },
    },
    async (request) => request.transaction((tx) => updateOwner(tx, actingOf(request), request.params.ownerId, request.body)),
  );

  app.delete(
    '/v1/owners/:ownerId',
    {
      preHandler: requirePermission('owners', 'delete'),
      schema: { tags: tags.owners, summary: 'Delete a property owner who owns no property', params: OwnerParams },
    },
    async (request, reply) => {
      await request.transaction((tx) => deleteOwner(tx, actingOf(request), request.params.ownerId));
      return reply.code(204).send();
    },
  );

  // --- properties ---------------------------------------------------------------------------------
  app.post(
    '/v1/properties',
    {
      preHandler: requirePermission('properties', 'create'),
      schema: { tags: tags.properties, summary: 'Add a property', body: CreatePropertyBody, response: { 201: PropertyReply } },
    },
    async (request, reply) => {
      const property = await request.transaction((tx) => createProperty(tx, actingOf(request), request.body));
      return reply.code(201).send(property);
    },
  );

  app.get(
    '/v1/properties',
    {
      preHandler: requirePermission('properties', 'read'),
      schema: {
        tags: tags.properties,
        summary: 'Properties by name, filtered by category, city and owner',
        querystring: PropertyListQuery,
        response: { 200: PropertyPage },
      },
    },
    async (request, reply) => {
      const { data, total } = await request.read((tx) => listProperties(tx, actingOf(request).reach, request.query));
      return sendPage(request, reply, request.query, data, total);
    },
  );

  app.get(
    '/v1/properties/:propertyId',
    {
      preHandler: requirePermission('properties', 'read'),
      schema: { tags: tags.properties, summary: 'A property', params: PropertyParams, response: { 200: PropertyReply } },
    },
    async (request) => request.read((tx) => getProperty(tx, actingOf(request).reach, request.params.propertyId)),
  );

  app.patch(
    '/v1/properties/:propertyId',
    {
      preHandler: requirePermission('properties', 'update'),
      schema: {
        tags: tags.properties,
        summary: 'Change a property (its currency and time zone only while it has no units)',
        params: PropertyParams,
        body: UpdatePropertyBody,
        response: { 200: PropertyReply },
      },
    },
    async (request) => request.transaction((tx) => updateProperty(tx, actingOf(request), request.params.propertyId, request.body)),
  );

  app.delete(
    '/v1/properties/:propertyId',
    {
      preHandler: requirePermission('properties', 'delete'),
      schema: { tags: tags.properties, summary: 'Delete a property without units, with its unit types', params: PropertyParams },
    },
    async (request, reply) => {
      await request.transaction((tx) => deleteProperty(tx, actingOf(request), request.params.propertyId));
      return reply.code(204).send();
    },
  );

  // --- unit types ---------------------------------------------------------------------------------
  app.post(
    '/v1/properties/:propertyId/unit-types',
    {
      preHandler: requirePermission('units', 'create'),
      schema: {
        tags: tags.units,
        summary: 'Add a unit type (room type) to a property',
        params: PropertyParams,
        body: CreateUnitTypeBody,
        response: { 201: UnitTypeReply },
      },
    },
    async (request, reply) => {
      const unitType = await request.transaction((tx) => createUnitType(tx, actingOf(request), request.params.propertyId, request.body));
      return reply.code(201).send(unitType);
    },
  );

  app.get(
    '/v1/properties/:propertyId/unit-types',
    {
      preHandler: requirePermission('units', 'read'),
      schema: {
        tags: tags.units,
        summary: "The property's unit types by name",
        params: PropertyParams,
        querystring: UnitTypeListQuery,
        response: { 200: UnitTypePage },
      },
    },
    async (request, reply) => {
      const { data, total } = await request.read((tx) =>
        listUnitTypes(tx, actingOf(request).reach, request.params.propertyId, request.query),
      );
      return sendPage(request, reply, request.query, data, total);
    },
  );

  app.get(
    '/v1/unit-types/:unitTypeId',
    {
      preHandler: requirePermission('units', 'read'),
      schema: { tags: tags.units, summary: 'A unit type', params: UnitTypeParams, response: { 200: UnitTypeReply } },
    },
    async (request) => request.read((tx) => getUnitType(tx, actingOf(request).reach, request.params.unitTypeId)),
  );

  app.patch(
    '/v1/unit-types/:unitTypeId',
    {
      preHandler: requirePermission('units', 'update'),
      schema: {
        tags: tags.units,
        summary: 'Change a unit type',
        params: UnitTypeParams,
        body: UpdateUnitTypeBody,
        response: { 200: UnitTypeReply },
      },
    },
    async (request) => request.transaction((tx) => updateUnitType(tx, actingOf(request), request.params.unitTypeId, request.body)),
  );

  app.delete(
    '/v1/unit-types/:unitTypeId',
    {
      preHandler: requirePermission('units', 'delete'),
      schema: { tags: tags.units, summary: 'Delete a unit type no unit is of', params: UnitTypeParams },
    },
    async (request, reply) => {
      await request.transaction((tx) => deleteUnitType(tx, actingOf(request), request.params.unitTypeId));
      return reply.code(204).send();
    },
  );

  // --- units --------------------------------------------------------------------------------------
  app.post(
    '/v1/properties/:propertyId/units',
    {
      preHandler: requirePermission('units', 'create'),
      schema: {
        tags: tags.units,
        summary: 'Add a unit (room, apartment, office, plot) of one of the property’s unit types',
        params: PropertyParams,
        body: CreateUnitBody,
        response: { 201: UnitReply },
      },
    },
    async (request, reply) => {
      const unit = await request.transaction((tx) => createUnit(tx, actingOf(request), request.params.propertyId, request.body));
      return reply.code(201).send(unit);
    },
  );

  app.get(
    '/v1/properties/:propertyId/units',
    {
      preHandler: requirePermission('units', 'read'),
      schema: {
        tags: tags.units,
        summary: "The property's units by name, filtered by type, housekeeping and operational status, floor",
        params: PropertyParams,
        querystring: UnitListQuery,
        response: { 200: UnitPage },
      },
    },
    async (request, reply) => {
      const { data, total } = await request.read((tx) => listUnits(tx, actingOf(request).reach, request.params.propertyId, request.query));
      return sendPage(request, reply, request.query, data, total);
    },
  );

  app.get(
    '/v1/units/:unitId',
    {
      preHandler: requirePermission('units', 'read'),
      schema: { tags: tags.units, summary: 'A unit', params: UnitParams, response: { 200: UnitReply } },
    },
    async (request) => request.read((tx) => getUnit(tx, actingOf(request).reach, request.params.unitId)),
  );

  app.patch(
    '/v1/units/:unitId',
    {
      preHandler: requirePermission('units', 'update'),
      schema: {
        tags: tags.units,
        summary: 'Rename a unit, move it to another floor or give it another of the property’s unit types',
        params: UnitParams,
        body: UpdateUnitBody,
        response: { 200: UnitReply },
      },
    },
    async (request) => request.transaction((tx) => updateUnit(tx, actingOf(request), request.params.unitId, request.body)),
  );

  app.delete(
    '/v1/units/:unitId',
    {
      preHandler: requirePermission('units', 'delete'),
      schema: { tags: tags.units, summary: 'Delete a unit', params: UnitParams },
    },
    async (request, reply) => {
      await request.transaction((tx) => deleteUnit(tx, actingOf(request), request.params.unitId));
      return reply.code(204).send();
    },
  );

  app.post(
    '/v1/units/:unitId/housekeeping-status',
    {
      preHandler: requirePermission('units', 'update_status'),
      schema: {
        tags: tags.units,
        summary: 'Set the housekeeping status: clean, dirty, or inspected (only once clean)',
        params: UnitParams,
        body: HousekeepingStatusBody,
        response: { 200: UnitReply },
      },
    },
    async (request) =>
      request.transaction((tx) => setHousekeepingStatus(tx, actingOf(request), request.params.unitId, request.body.status)),
  );

  app.post(
    '/v1/units/:unitId/operational-status',
    {
      preHandler: requirePermission('units', 'update'),
      schema: {
        tags: tags.units,
        summary: 'Take a unit out of order or out of service, or back into service, with a note',
        params: UnitParams,
        body: OperationalStatusBody,
        response: { 200: UnitReply },
      },
    },
    async (request) => request.transaction((tx) => setOperationalStatus(tx, actingOf(request), request.params.unitId, request.body)),
  );

  // --- audit histories ----------------------------------------------------------------------------
  registerEntityAuditRoute(app, {
    path: '/v1/properties/:propertyId/audit',
    entityType: 'property',
    guard: auditGuard(
      app,
      'propertyId',
      (db, id) => propertyById(db, id, everything),
      () => inventoryErrors.raise('property_not_found'),
    ),
  });
  registerEntityAuditRoute(app, {
    path: '/v1/units/:unitId/audit',
    entityType: 'unit',
    guard: auditGuard(
      app,
      'unitId',
      (db, id) => unitById(db, id, everything),
      () => inventoryErrors.raise('unit_not_found'),
    ),
  });
}
