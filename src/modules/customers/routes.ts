import type { FastifyRequest } from 'fastify';
import { callerOfRequest } from '../../platform/audit/change.ts';
import { registerEntityAuditRoute } from '../../platform/audit/routes.ts';
import { sendPage } from '../../platform/http/pagination.ts';
import type { App } from '../../platform/http/server.ts';
import { uuidPattern } from '../../platform/ids.ts';
import { accessOf, requirePermission } from '../organizations/index.ts';
import {
  blacklistCustomer,
  getCustomer,
  listCustomers,
  mergeCustomers,
  registerCustomer,
  unblacklistCustomer,
  updateCustomerRecord,
} from './customers.ts';
import { customerErrors } from './errors.ts';
import {
  BlacklistBody,
  CreateCustomerBody,
  CreatedCustomerReply,
  CustomerListQuery,
  CustomerPage,
  CustomerParams,
  CustomerReply,
  MergeBody,
  UpdateCustomerBody,
} from './schemas.ts';
import { customerRow, type RowScope } from './store.ts';

const customers = { tags: ['customers'] };

/** The rows the granted scope reaches: a `customer` member's own records (their login), or all. */
function rowScope(request: FastifyRequest): RowScope {
  const access = accessOf(request);
  return access.scope === 'all' ? {} : { userId: access.userId };
}

/** Blacklisting and merging are staff's decisions, whatever a member may do with their own record. */
function requireStaff(request: FastifyRequest): void {
  if (accessOf(request).scope !== 'all') throw customerErrors.raise('staff_only');
}

export function customersRoutes(app: App): void {
  app.post(
    '/v1/customers',
    {
      preHandler: requirePermission('customers', 'create'),
      schema: {
        ...customers,
        summary: 'Create a customer; other records with the same e-mail are listed as possible duplicates',
        body: CreateCustomerBody,
        response: { 201: CreatedCustomerReply },
      },
    },
    async (request, reply) => {
      const created = await request.transaction((tx) => registerCustomer(tx, request.body, callerOfRequest(request)));
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/v1/customers',
    {
      preHandler: requirePermission('customers', 'read'),
      schema: {
        ...customers,
        summary: 'Search customers by name, e-mail or phone (?q=), blacklisted or not; merged records only with includeMerged',
        querystring: CustomerListQuery,
        response: { 200: CustomerPage },
      },
    },
    async (request, reply) => {
      const { data, total } = await request.read((tx) => listCustomers(tx, request.query, rowScope(request)));
      return sendPage(request, reply, request.query, data, total);
    },
  );

  app.get(
    '/v1/customers/:customerId',
    {
      preHandler: requirePermission('customers', 'read'),
      schema: { ...customers, summary: 'A customer', params: CustomerParams, response: { 200: CustomerReply } },
    },
    async (request) => request.read((tx) => getCustomer(tx, request.params.customerId, rowScope(request))),
  );

  app.patch(
    '/v1/customers/:customerId',
    {
      preHandler: requirePermission('customers', 'update'),
      schema: {
        ...customers,
        summary: "Change a customer's details (null clears a field); a customer changes their own, except staff notes",
        params: CustomerParams,
        body: UpdateCustomerBody,
        response: { 200: CustomerReply },
      },
    },
    async (request) =>
      request.transaction((tx) =>
        updateCustomerRecord(tx, {
          customerId: request.params.customerId,
          body: request.body,
          scope: rowScope(request),
          actor: callerOfRequest(request),
        }),
      ),
  );

  app.post(
    '/v1/customers/:customerId/blacklist',
    {
      preHandler: requirePermission('customers', 'update'),
      schema: {
        ...customers,
        summary: 'Blacklist a customer, with the reason',
        params: CustomerParams,
        body: BlacklistBody,
        response: { 200: CustomerReply },
      },
    },
    async (request) => {
      requireStaff(request);
      return request.transaction((tx) =>
        blacklistCustomer(tx, { customerId: request.params.customerId, reason: request.body.reason, actor: callerOfRequest(request) }),
      );
    },
  );

  app.post(
    '/v1/customers/:customerId/unblacklist',
    {
      preHandler: requirePermission('customers', 'update'),
      schema: { ...customers, summary: 'Lift a blacklisting', params: CustomerParams, response: { 200: CustomerReply } },
    },
    async (request) => {
      requireStaff(request);
      return request.transaction((tx) =>
        unblacklistCustomer(tx, { customerId: request.params.customerId, actor: callerOfRequest(request) }),
      );
    },
  );

  app.post(
    '/v1/customers/:customerId/merge',
    {
      preHandler: requirePermission('customers', 'delete'),
      schema: {
        ...customers,
        summary: 'Merge a duplicate record into this one: empty fields are filled from it, and it points here from now on',
        params: CustomerParams,
        body: MergeBody,
        response: { 200: CustomerReply },
      },
    },
    async (request) => {
      requireStaff(request);
      return request.transaction((tx) =>
        mergeCustomers(tx, { customerId: request.params.customerId, body: request.body, actor: callerOfRequest(request) }),
      );
    },
  );

  // The audit log's own guard (audit_logs:read), then the customer must be one of the caller's
  // organization: another organization's id answers 404 like every other customer route.
  const auditGuard = app.auditReader?.guard;
  registerEntityAuditRoute(app, {
    path: '/v1/customers/:customerId/audit',
    entityType: 'customer',
    async guard(request) {
      await auditGuard?.(request);
      if (!request.principal) return;
      const { customerId } = request.params as { customerId?: string };
      const found = customerId !== undefined && uuidPattern.test(customerId) && (await request.read((tx) => customerRow(tx, customerId)));
      if (!found) throw customerErrors.raise('not_found', `No customer ${customerId ?? ''} here`);
    },
  });
}
