import type { FastifyRequest } from 'fastify';
import { callerOfRequest } from '../../platform/audit/change.ts';
import { registerEntityAuditRoute } from '../../platform/audit/routes.ts';
import type { Tx } from '../../platform/db/database.ts';
import { withTenant } from '../../platform/db/tenant.ts';
import { principalOf, requireUser } from '../../platform/http/authentication.ts';
import { fingerprint, idempotencyHeader, parseIdempotencyKey } from '../../platform/http/idempotency.ts';
import { offsetOf, sendPage } from '../../platform/http/pagination.ts';
import type { App } from '../../platform/http/server.ts';
import { uuidPattern } from '../../platform/ids.ts';
import type { ModuleDependencies } from '../../platform/module.ts';
import { bookingFacts } from '../bookings/index.ts';
import { customerIdsOfUser } from '../customers/index.ts';
import { accessOf, organizationIdsOfUser, permittedAccess, requirePermission } from '../organizations/index.ts';
import { bankAccountRoutes } from './bank-account-routes.ts';
import { settlementOf } from './bank-rails.ts';
import { paymentsContext } from './context.ts';
import { paymentErrors } from './errors.ts';
import { historyView, paymentView, replayPayment } from './history.ts';
import { takePayment } from './payments.ts';
import { inPaymentScope, ownerFor, payerFor, paymentScopeOf } from './reach.ts';
import { moneyRules, setMoneyRules } from './settings.ts';
import { payoutById, payoutView, listPayouts, requestPayout } from './payouts.ts';
import { refundById, refundsOfPayment, refundView, startRefund } from './refunds.ts';
import {
  CreatePaymentBody,
  CreatePayoutBody,
  CreateRefundBody,
  PaymentHistoryReply,
  PaymentIntentBody,
  PaymentListQuery,
  PaymentPage,
  PaymentParams,
  PaymentReply,
  PaymentSettingsBody,
  PaymentSettingsReply,
  PayoutListQuery,
  PayoutPage,
  PayoutParams,
  PayoutReply,
  RefundList,
  RefundParams,
  RefundReply,
  TransactionPage,
  TransactionsQuery,
  WalletQuery,
  WalletReply,
  WebhookParams,
  WebhookReply,
} from './schemas.ts';
import { eventsOfPayment, listPayments, type PaymentRow, paymentById } from './store.ts';
import { transactionsOf, walletOf } from './wallet.ts';
import { receiveWebhook } from './webhooks.ts';

const payments = { tags: ['payments'] };

export function replyOf(row: PaymentRow) {
  const expected =
    row.rail && row.status !== 'failed' && row.status !== 'cancelled' ? settlementOf(row.rail, row.createdAt).settlesAt : null;
  return { ...paymentView(row), expectedSettlementAt: expected?.toISOString() ?? null };
}

async function visiblePayment(
  tx: Tx,
  request: FastifyRequest,
  paymentId: string,
  options: { forUpdate?: boolean } = {},
): Promise<PaymentRow> {
  const row = await paymentById(tx, paymentId, options);
  if (!row || !inPaymentScope(row, await paymentScopeOf(tx, accessOf(request))))
    throw paymentErrors.raise('not_found', `No payment ${paymentId} here`);
  return row;
}

/** The idempotency key of a payment request: the header or the body field (which must agree when both are sent). */
function idempotencyKeyOf(request: FastifyRequest, bodyKey: string | undefined): string | undefined {
  const headerKey = parseIdempotencyKey(request.headers[idempotencyHeader]);
  if (headerKey && bodyKey && headerKey !== bodyKey) {
    throw paymentErrors.raise('idempotency_key_mismatch', 'Send one idempotency key, or the same one in the header and the body');
  }
  return bodyKey ?? headerKey;
}

function fingerprintOf(request: FastifyRequest, body: Record<string, unknown>): string {
  const { idempotencyKey: _key, ...rest } = body;
  return fingerprint(request.method, request.url.split('?')[0] ?? request.url, rest);
}

/**
 * The organization of a booking the caller pays: the acting one when the booking is there and
 * theirs to pay (staff, or their own as customer), else whichever of their organizations holds it
 * as their own booking — a marketplace guest pays wherever they booked.
 */
async function payingOrganization(tx: Tx, request: FastifyRequest, bookingId: string): Promise<string> {
  const { userId } = principalOf(request);
  const staff = permittedAccess(request, 'payments', 'create');
  if (staff?.scope === 'all' && (await bookingFacts(tx, bookingId))) return staff.orgId;
  for (const orgId of await organizationIdsOfUser(tx, userId)) {
    await withTenant(tx, orgId);
    const booking = await bookingFacts(tx, bookingId);
    if (booking && (await customerIdsOfUser(tx, userId)).includes(booking.customerId)) return orgId;
  }
  throw paymentErrors.raise('booking_not_found', `No booking ${bookingId} of yours`);
}

export async function paymentsRoutes(app: App, dependencies: ModuleDependencies): Promise<void> {
  const context = paymentsContext(dependencies.config);
  const { db } = dependencies;

  bankAccountRoutes(app, dependencies);

  app.post(
    '/v1/payments',
    {
      preHandler: requirePermission('payments', 'create'),
      schema: {
        ...payments,
        summary:
          'Take a payment (idempotent: the Idempotency-Key header or the idempotencyKey field; the key again returns the same payment)',
        body: CreatePaymentBody,
        response: { 200: PaymentReply, 201: PaymentReply },
      },
    },
    async (request, reply) => {
      const { body } = request;
      const access = accessOf(request);
      const outcome = await request.transaction(async (tx) => {
        const payerCustomerId = await payerFor(tx, access, body);
        return takePayment(
          tx,
          callerOfRequest(request),
          {
            ...body,
            payerCustomerId,
            orgId: access.orgId,
            idempotencyKey: idempotencyKeyOf(request, body.idempotencyKey),
            fingerprint: fingerprintOf(request, body),
          },
          context,
        );
      });
      if (!outcome.created) reply.header('idempotent-replayed', 'true');
      return reply.code(outcome.created ? 201 : 200).send(replyOf(outcome.payment));
    },
  );

  app.post(
    '/v1/payments/intent',
    {
      preHandler: requireUser,
      schema: {
        ...payments,
        summary: 'Pay a booking: the payment and what the client needs to complete it (a client secret, a phone prompt)',
        body: PaymentIntentBody,
        response: { 200: PaymentReply, 201: PaymentReply },
      },
    },
    async (request, reply) => {
      const { body } = request;
      const outcome = await request.transaction(async (tx) => {
        const orgId = await payingOrganization(tx, request, body.bookingId);
        await withTenant(tx, orgId);
        return takePayment(
          tx,
          callerOfRequest(request),
          {
            ...body,
            orgId,
            purpose: 'booking',
            idempotencyKey: idempotencyKeyOf(request, body.idempotencyKey),
            fingerprint: fingerprintOf(request, body),
          },
          context,
        );
      });
      if (!outcome.created) reply.header('idempotent-replayed', 'true');
      return reply.code(outcome.created ? 201 : 200).send(replyOf(outcome.payment));
    },
  );

  app.get(
    '/v1/payments',
    {
      preHandler: requirePermission('payments', 'read'),
      schema: {
        ...payments,
        summary: 'Payments, newest first, by booking, invoice, lease, payer or status',
        querystring: PaymentListQuery,
        response: { 200: PaymentPage },
      },
    },
    async (request, reply) => {
      const { query } = request;
      const { data, total } = await request.read(async (tx) =>
        listPayments(tx, { ...query, ...(await paymentScopeOf(tx, accessOf(request))) }, offsetOf(query)),
      );
      return sendPage(request, reply, query, data.map(replyOf), total);
    },
  );

  app.get(
    '/v1/payments/:paymentId',
    {
      preHandler: requirePermission('payments', 'read'),
      schema: { ...payments, summary: 'A payment and its status', params: PaymentParams, response: { 200: PaymentReply } },
    },
    async (request) => request.read(async (tx) => replyOf(await visiblePayment(tx, request, request.params.paymentId))),
  );

  app.get(
    '/v1/payments/:paymentId/history',
    {
      preHandler: requirePermission('payments', 'read'),
      schema: {
        ...payments,
        summary: 'Every change of the payment, in order, with who, why and a snapshot; and the payment rebuilt from them',
        params: PaymentParams,
        response: { 200: PaymentHistoryReply },
      },
    },
    async (request) =>
      request.read(async (tx) => {
        const payment = await visiblePayment(tx, request, request.params.paymentId);
        const events = await eventsOfPayment(tx, payment.id);
        return { paymentId: payment.id, events: events.map(historyView), replayed: replayPayment(events) };
      }),
  );

  app.post(
    '/v1/payments/:paymentId/refunds',
    {
      preHandler: requirePermission('payments', 'refund'),
      schema: {
        ...payments,
        summary: 'Refund a succeeded payment, wholly or in part, through its provider',
        params: PaymentParams,
        body: CreateRefundBody,
        response: { 201: RefundReply },
      },
    },
    async (request, reply) => {
      const refund = await request.transaction(async (tx) => {
        const payment = await visiblePayment(tx, request, request.params.paymentId, { forUpdate: true });
        const { body } = request;
        const amount = body.amount ?? payment.amount - payment.refundedAmount;
        return (await startRefund(tx, callerOfRequest(request), payment, { amount, reason: body.reason, note: body.note }, context)).refund;
      });
      return reply.code(201).send(refundView(refund));
    },
  );

  app.get(
    '/v1/payments/:paymentId/refunds',
    {
      preHandler: requirePermission('payments', 'read'),
      schema: { ...payments, summary: 'The refunds of a payment', params: PaymentParams, response: { 200: RefundList } },
    },
    async (request) =>
      request.read(async (tx) => {
        const payment = await visiblePayment(tx, request, request.params.paymentId);
        return { data: (await refundsOfPayment(tx, payment.id)).map(refundView) };
      }),
  );

  app.get(
    '/v1/refunds/:refundId',
    {
      preHandler: requirePermission('payments', 'read'),
      schema: { ...payments, summary: 'A refund and its status', params: RefundParams, response: { 200: RefundReply } },
    },
    async (request) =>
      request.read(async (tx) => {
        const refund = await refundById(tx, request.params.refundId);
        if (!refund) throw paymentErrors.raise('refund_not_found', `No refund ${request.params.refundId} here`);
        await visiblePayment(tx, request, refund.paymentId).catch(() => {
          throw paymentErrors.raise('refund_not_found', `No refund ${request.params.refundId} here`);
        });
        return refundView(refund);
      }),
  );

  const auditGuard = app.auditReader?.guard;
  registerEntityAuditRoute(app, {
    path: '/v1/payments/:paymentId/audit',
    entityType: 'payment',
    async guard(request) {
      await auditGuard?.(request);
      if (!request.principal) return;
      const { paymentId } = request.params as { paymentId?: string };
      const found = paymentId !== undefined && uuidPattern.test(paymentId) && (await request.read((tx) => paymentById(tx, paymentId)));
      if (!found) throw paymentErrors.raise('not_found', `No payment ${paymentId ?? ''} here`);
    },
  });

  // Webhooks are read as raw bytes: signatures are computed over exactly what was sent.
  await app.register(async (plugin) => {
    const scope = plugin as unknown as App;
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    scope.post(
      '/v1/webhooks/payments/:provider',
      {
        schema: {
          ...payments,
          summary: 'Provider webhooks: verified before they are read; a replayed event is acknowledged and ignored',
          params: WebhookParams,
          response: { 200: WebhookReply },
        },
      },
      async (request) => {
        const url = new URL(request.url, 'http://localhost');
        const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        return receiveWebhook(db, context, request.params.provider, {
          headers: request.headers,
          rawBody,
          searchParams: url.searchParams,
          now: new Date(),
        });
      },
    );
  });

  app.post(
    '/v1/payouts',
    {
      preHandler: requirePermission('payouts', 'create'),
      schema: {
        ...payments,
        summary: 'Pay an owner’s available balance out to their bank account or M-Pesa',
        body: CreatePayoutBody,
        response: { 200: PayoutReply, 201: PayoutReply },
      },
    },
    async (request, reply) => {
      const { body } = request;
      const access = accessOf(request);
      const outcome = await request.transaction(async (tx) => {
        const ownerId = await ownerFor(tx, access, body.ownerId, { staffOwnOtherwise: false, notOwn: 'You withdraw your own balance' });
        return requestPayout(
          tx,
          callerOfRequest(request),
          { ...body, ownerId, orgId: access.orgId, idempotencyKey: idempotencyKeyOf(request, body.idempotencyKey) },
          context,
        );
      });
      if (!outcome.created) reply.header('idempotent-replayed', 'true');
      return reply.code(outcome.created ? 201 : 200).send(payoutView(outcome.payout));
    },
  );

  app.get(
    '/v1/payouts',
    {
      preHandler: requirePermission('payouts', 'read'),
      schema: { ...payments, summary: 'Payouts, newest first', querystring: PayoutListQuery, response: { 200: PayoutPage } },
    },
    async (request, reply) => {
      const { query } = request;
      const { data, total } = await request.read(async (tx) => {
        const scope = await paymentScopeOf(tx, accessOf(request), 'payouts');
        return listPayouts(tx, { ownerId: query.ownerId, status: query.status, ownerIds: scope.payeeOwnerIds }, offsetOf(query));
      });
      return sendPage(request, reply, query, data.map(payoutView), total);
    },
  );

  app.get(
    '/v1/payouts/:payoutId',
    {
      preHandler: requirePermission('payouts', 'read'),
      schema: { ...payments, summary: 'A payout and its status', params: PayoutParams, response: { 200: PayoutReply } },
    },
    async (request) =>
      request.read(async (tx) => {
        const payout = await payoutById(tx, request.params.payoutId);
        const scope = await paymentScopeOf(tx, accessOf(request), 'payouts');
        if (!payout || (scope.payeeOwnerIds && !scope.payeeOwnerIds.includes(payout.ownerId))) {
          throw paymentErrors.raise('payout_not_found', `No payout ${request.params.payoutId} here`);
        }
        return payoutView(payout);
      }),
  );

  app.get(
    '/v1/payment-settings',
    {
      preHandler: requirePermission('payments', 'read'),
      schema: {
        ...payments,
        summary: 'The organization’s commission and escrow grace period (or the defaults)',
        response: { 200: PaymentSettingsReply },
      },
    },
    async (request) => request.read((tx) => moneyRules(tx, accessOf(request).orgId, context)),
  );

  app.put(
    '/v1/payment-settings',
    {
      preHandler: requirePermission('payments', 'update'),
      schema: {
        ...payments,
        summary: 'Set the organization’s commission and escrow grace period; they apply from the next check-in and release on',
        body: PaymentSettingsBody,
        response: { 200: PaymentSettingsReply },
      },
    },
    async (request) =>
      request.transaction((tx) => setMoneyRules(tx, callerOfRequest(request), accessOf(request).orgId, request.body, context)),
  );

  /** The owner whose wallet a request reads: whom staff name (or their own), an owner member's own. */
  const walletOwner = (tx: Tx, request: FastifyRequest, ownerId: string | undefined) =>
    ownerFor(tx, accessOf(request), ownerId, { staffOwnOtherwise: true, notOwn: 'You see your own wallet' });

  app.get(
    '/v1/wallet',
    {
      preHandler: requirePermission('payouts', 'read'),
      schema: {
        ...payments,
        summary: 'An owner’s balances from the ledger: available to withdraw, pending in escrow, in transit',
        querystring: WalletQuery,
        response: { 200: WalletReply },
      },
    },
    async (request) =>
      request.read(async (tx) => walletOf(tx, accessOf(request).orgId, await walletOwner(tx, request, request.query.ownerId))),
  );

  app.get(
    '/v1/transactions',
    {
      preHandler: requirePermission('payouts', 'read'),
      schema: {
        ...payments,
        summary: 'What moved an owner’s balances, newest first',
        querystring: TransactionsQuery,
        response: { 200: TransactionPage },
      },
    },
    async (request, reply) => {
      const { query } = request;
      const { data, total } = await request.read(async (tx) =>
        transactionsOf(tx, accessOf(request).orgId, await walletOwner(tx, request, query.ownerId), offsetOf(query)),
      );
      return sendPage(request, reply, query, data, total);
    },
  );
}
