import type { FastifyRequest } from 'fastify';
import { callerOfRequest } from '../../platform/audit/change.ts';
import { registerEntityAuditRoute } from '../../platform/audit/routes.ts';
import type { Queryable } from '../../platform/db/database.ts';
import { sendPage } from '../../platform/http/pagination.ts';
import type { App } from '../../platform/http/server.ts';
import { uuidPattern } from '../../platform/ids.ts';
import { accessOf, requirePermission } from '../organizations/index.ts';
import { invoiceErrors } from './errors.ts';
import { issueChargeInvoice } from './issue.ts';
import { invoicePdf } from './pdf/invoice-pdf.ts';
import { getInvoice, listInvoices, rowScopeOf, visibleInvoice } from './reads.ts';
import { CreateInvoiceBody, InvoiceDetail, InvoiceListQuery, InvoicePage, InvoiceParams, VoidBody } from './schemas.ts';
import { invoiceById, type RowScope } from './store.ts';
import { voidInvoice } from './void.ts';

const invoices = { tags: ['invoices'] };

const scopeOf = (db: Queryable, request: FastifyRequest): Promise<RowScope> => rowScopeOf(db, accessOf(request));

export function invoicesRoutes(app: App): void {
  app.post(
    '/v1/invoices',
    {
      preHandler: requirePermission('invoices', 'create'),
      schema: {
        ...invoices,
        summary: "Issue a charge to a customer under the next invoice number, posted to the customer's receivable in the ledger",
        body: CreateInvoiceBody,
        response: { 201: InvoiceDetail },
      },
    },
    async (request, reply) => {
      const invoice = await request.transaction((tx) => issueChargeInvoice(tx, callerOfRequest(request), request.body));
      return reply.code(201).send(invoice);
    },
  );

  app.get(
    '/v1/invoices',
    {
      preHandler: requirePermission('invoices', 'read'),
      schema: {
        ...invoices,
        summary: 'Invoices within the caller’s reach, filtered by status, customer, booking and issue dates, the newest number first',
        querystring: InvoiceListQuery,
        response: { 200: InvoicePage },
      },
    },
    async (request, reply) => {
      const { data, total } = await request.read(async (tx) => listInvoices(tx, request.query, await scopeOf(tx, request)));
      return sendPage(request, reply, request.query, data, total);
    },
  );

  app.get(
    '/v1/invoices/:invoiceId',
    {
      preHandler: requirePermission('invoices', 'read'),
      schema: { ...invoices, summary: 'An invoice with its lines', params: InvoiceParams, response: { 200: InvoiceDetail } },
    },
    async (request) => request.read(async (tx) => getInvoice(tx, request.params.invoiceId, await scopeOf(tx, request))),
  );

  app.get(
    '/v1/invoices/:invoiceId/pdf',
    {
      preHandler: requirePermission('invoices', 'read'),
      schema: { ...invoices, summary: 'The invoice as a PDF document (application/pdf)', params: InvoiceParams },
    },
    async (request, reply) => {
      const invoice = await request.read(async (tx) => getInvoice(tx, request.params.invoiceId, await scopeOf(tx, request)));
      return reply
        .type('application/pdf')
        .header('content-disposition', `inline; filename="${invoice.number}.pdf"`)
        .send(invoicePdf(invoice));
    },
  );

  app.post(
    '/v1/invoices/:invoiceId/void',
    {
      preHandler: requirePermission('invoices', 'void'),
      schema: {
        ...invoices,
        summary: "Void an invoice nothing was paid against; a charge's ledger entry is reversed",
        params: InvoiceParams,
        body: VoidBody,
        response: { 200: InvoiceDetail },
      },
    },
    async (request) =>
      request.transaction(async (tx) => {
        const invoice = await visibleInvoice(tx, request.params.invoiceId, await scopeOf(tx, request), { forUpdate: true });
        return voidInvoice(tx, callerOfRequest(request), invoice, request.body.reason);
      }),
  );

  // The audit log's own guard (audit_logs:read), then the invoice must be of the caller's
  // organization: another organization's id answers 404 like every other invoice route.
  const auditGuard = app.auditReader?.guard;
  registerEntityAuditRoute(app, {
    path: '/v1/invoices/:invoiceId/audit',
    entityType: 'invoice',
    async guard(request) {
      await auditGuard?.(request);
      if (!request.principal) return;
      const { invoiceId } = request.params as { invoiceId?: string };
      const found = invoiceId !== undefined && uuidPattern.test(invoiceId) && (await request.read((tx) => invoiceById(tx, invoiceId)));
      if (!found) throw invoiceErrors.raise('not_found', `No invoice ${invoiceId ?? ''} here`);
    },
  });
}
