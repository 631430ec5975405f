import type { FastifyRequest } from 'fastify';
import { registerEntityAuditRoute } from '../../platform/audit/routes.ts';
import type { z } from 'zod';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import type { AppError } from '../../platform/http/errors.ts';
import { type PageQuery, sendPage } from '../../platform/http/pagination.ts';
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
import { everything, propertyById, type Reach, unitById } from './store.ts';
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
import { type Acting, actingOf } from './views.ts';

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

type Schema = z.ZodType;

/**
 * The five routes of one kind of inventory object: add one and list them (paginated) at the
 * collection's path, read, change and delete one at the item's path. Each guards with the
 * resource's permission and calls its use case in the request's transaction (reads in a read-only
 * one). The use cases get the caller, the body or query, and the object's id or the collection's
 * path parameters.
 */
interface ObjectRoutes<
  CollectionParams extends Schema,
  ItemParams extends Schema,
  CreateBody extends Schema,
  UpdateBody extends Schema,
  ListQuery extends z.ZodType<PageQuery>,
  Reply extends Schema,
> {
  resource: 'owners' | 'properties' | 'units';
  tags: string[];
  collection: { path: string; params?: CollectionParams };
  /** Where one object is, and the name of its id among the path's parameters. */
  item: { path: string; params: ItemParams; id: keyof z.output<ItemParams> & string };
  /** The object as replies show it, and a page of them. */
  reply: Reply;
  page: Schema;
  create: {
    summary: string;
    body: CreateBody;
    run(tx: Tx, acting: Acting, body: z.output<CreateBody>, params: z.output<CollectionParams>): Promise<z.output<Reply>>;
  };
  list: {
    summary: string;
    query: ListQuery;
    run(
      db: Queryable,
      reach: Reach,
      query: z.output<ListQuery>,
      params: z.output<CollectionParams>,
    ): Promise<{ data: z.output<Reply>[]; total: number }>;
  };
  read: { summary: string; run(db: Queryable, reach: Reach, id: string): Promise<z.output<Reply>> };
  update: {
    summary: string;
    body: UpdateBody;
    run(tx: Tx, acting: Acting, id: string, body: z.output<UpdateBody>): Promise<z.output<Reply>>;
  };
  remove: { summary: string; run(tx: Tx, acting: Acting, id: string): Promise<void> };
}

function objectRoutes<
  CollectionParams extends Schema,
  ItemParams extends Schema,
  CreateBody extends Schema,
  UpdateBody extends Schema,
  ListQuery extends z.ZodType<PageQuery>,
  Reply extends Schema,
>(app: App, spec: ObjectRoutes<CollectionParams, ItemParams, CreateBody, UpdateBody, ListQuery, Reply>): void {
  const { resource, tags, collection, item } = spec;
  // Widened for Fastify: the use cases' types already hold the replies to the schema.
  const replySchema: Schema = spec.reply;
  const collectionParams = collection.params ? { params: collection.params } : {};
  const inCollection = (request: FastifyRequest) => request.params as z.output<CollectionParams>;
  const idOf = (request: FastifyRequest) => (request.params as Record<string, string>)[item.id] ?? '';
  app.route({
    method: 'POST',
    url: collection.path,
    preHandler: requirePermission(resource, 'create'),
    schema: { tags, summary: spec.create.summary, ...collectionParams, body: spec.create.body, response: { 201: replySchema } },
    async handler(request, reply) {
      const body = request.body as z.output<CreateBody>;
      const created = await request.transaction((tx) => spec.create.run(tx, actingOf(request), body, inCollection(request)));
      return reply.code(201).send(created);
    },
  });
  app.route({
    method: 'GET',
    url: collection.path,
    preHandler: requirePermission(resource, 'read'),
    schema: { tags, summary: spec.list.summary, ...collectionParams, querystring: spec.list.query, response: { 200: spec.page } },
    async handler(request, reply) {
      const query = request.query as z.output<ListQuery>;
      const { data, total } = await request.read((tx) => spec.list.run(tx, actingOf(request).reach, query, inCollection(request)));
      return sendPage(request, reply, query, data, total);
    },
  });
  app.route({
    method: 'GET',
    url: item.path,
    preHandler: requirePermission(resource, 'read'),
    schema: { tags, summary: spec.read.summary, params: item.params, response: { 200: replySchema } },
    handler: async (request) => request.read((tx) => spec.read.run(tx, actingOf(request).reach, idOf(request))),
  });
  app.route({
    method: 'PATCH',
    url: item.path,
    preHandler: requirePermission(resource, 'update'),
    schema: { tags, summary: spec.update.summary, params: item.params, body: spec.update.body, response: { 200: replySchema } },
    async handler(request) {
      const body = request.body as z.output<UpdateBody>;
      return request.transaction((tx) => spec.update.run(tx, actingOf(request), idOf(request), body));
    },
  });
  app.route({
    method: 'DELETE',
    url: item.path,
    preHandler: requirePermission(resource, 'delete'),
    schema: { tags, summary: spec.remove.summary, params: item.params },
    async handler(request, reply) {
      await request.transaction((tx) => spec.remove.run(tx, actingOf(request), idOf(request)));
      return reply.code(204).send();
    },
  });
}

export function inventoryRoutes(app: App): void {
  objectRoutes(app, {
    resource: 'owners',
    tags: tags.owners,
    collection: { path: '/v1/owners' },
    item: { path: '/v1/owners/:ownerId', params: OwnerParams, id: 'ownerId' },
    reply: OwnerReply,
    page: OwnerPage,
    create: { summary: 'Add a property owner', body: CreateOwnerBody, run: createOwner },
    list: { summary: 'Property owners by name, searched by name or e-mail (?q=)', query: OwnerListQuery, run: listOwners },
    read: { summary: 'A property owner', run: getOwner },
    update: { summary: 'Change a property owner', body: UpdateOwnerBody, run: updateOwner },
    remove: { summary: 'Delete a property owner who owns no property', run: deleteOwner },
  });

  objectRoutes(app, {
    resource: 'properties',
    tags: tags.properties,
    collection: { path: '/v1/properties' },
    item: { path: '/v1/properties/:propertyId', params: PropertyParams, id: 'propertyId' },
    reply: PropertyReply,
    page: PropertyPage,
    create: { summary: 'Add a property', body: CreatePropertyBody, run: createProperty },
    list: { summary: 'Properties by name, filtered by category, city and owner', query: PropertyListQuery, run: listProperties },
    read: { summary: 'A property', run: getProperty },
    update: {
      summary: 'Change a property (its currency and time zone only while it has no units)',
      body: UpdatePropertyBody,
      run: updateProperty,
    },
    remove: { summary: 'Delete a property without units, with its unit types', run: deleteProperty },
  });

  objectRoutes(app, {
    resource: 'units',
    tags: tags.units,
    collection: { path: '/v1/properties/:propertyId/unit-types', params: PropertyParams },
    item: { path: '/v1/unit-types/:unitTypeId', params: UnitTypeParams, id: 'unitTypeId' },
    reply: UnitTypeReply,
    page: UnitTypePage,
    create: {
      summary: 'Add a unit type (room type) to a property',
      body: CreateUnitTypeBody,
      run: (tx, acting, body, { propertyId }) => createUnitType(tx, acting, propertyId, body),
    },
    list: {
      summary: "The property's unit types by name",
      query: UnitTypeListQuery,
      run: (db, reach, query, { propertyId }) => listUnitTypes(db, reach, propertyId, query),
    },
    read: { summary: 'A unit type', run: getUnitType },
    update: { summary: 'Change a unit type', body: UpdateUnitTypeBody, run: updateUnitType },
    remove: { summary: 'Delete a unit type no unit is of', run: deleteUnitType },
  });

  objectRoutes(app, {
    resource: 'units',
    tags: tags.units,
    collection: { path: '/v1/properties/:propertyId/units', params: PropertyParams },
    item: { path: '/v1/units/:unitId', params: UnitParams, id: 'unitId' },
    reply: UnitReply,
    page: UnitPage,
    create: {
      summary: 'Add a unit (room, apartment, office, plot) of one of the property’s unit types',
      body: CreateUnitBody,
      run: (tx, acting, body, { propertyId }) => createUnit(tx, acting, propertyId, body),
    },
    list: {
      summary: "The property's units by name, filtered by type, housekeeping and operational status, floor",
      query: UnitListQuery,
      run: (db, reach, query, { propertyId }) => listUnits(db, reach, propertyId, query),
    },
    read: { summary: 'A unit', run: getUnit },
    update: {
      summary: 'Rename a unit, move it to another floor or give it another of the property’s unit types',
      body: UpdateUnitBody,
      run: updateUnit,
    },
    remove: { summary: 'Delete a unit', run: deleteUnit },
  });

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
