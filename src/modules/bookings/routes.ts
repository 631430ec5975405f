import type { FastifyRequest } from 'fastify';
import { type Caller, callerOfRequest } from '../../platform/audit/change.ts';
import { registerEntityAuditRoute } from '../../platform/audit/routes.ts';
import type { Tx } from '../../platform/db/database.ts';
import { withTenant } from '../../platform/db/tenant.ts';
import { principalOf, requireUser } from '../../platform/http/authentication.ts';
import { sendPage } from '../../platform/http/pagination.ts';
import type { App } from '../../platform/http/server.ts';
import { uuidPattern } from '../../platform/ids.ts';
import type { ModuleDependencies } from '../../platform/module.ts';
import { accessOf, type ActionOf, organizationIdsOfUser, permittedAccess, requirePermission } from '../organizations/index.ts';
import { availabilityRoutes } from './availability-routes.ts';
import { changeBooking, moveBooking } from './changes.ts';
import { createBooking } from './create.ts';
import { bookingErrors } from './errors.ts';
import type { HoldSettings } from './lifecycle.ts';
import { quoteStay } from './quotes.ts';
import { findBookings, getBooking, seekerBookings, stayHistory } from './reads.ts';
import {
  BookingDetail,
  BookingListQuery,
  BookingPage,
  BookingParams,
  CancelBody,
  CancellationPreviewReply,
  ChangeBookingBody,
  CreateBookingBody,
  CustomerParams,
  DeclineBody,
  HistoryQuery,
  MoveBookingBody,
  NoteBody,
  QuoteBody,
  QuoteReply,
} from './schemas.ts';
import { type RowScope, rowScopeOf } from './scope.ts';
import { bookingById } from './store.ts';
import {
  approveBooking,
  cancelBooking,
  cancellationPreview,
  checkIn,
  checkOut,
  completeBooking,
  confirmBookingByStaff,
  declineBooking,
  recordNoShow,
  type TransitionInput,
} from './transitions.ts';

const bookings = { tags: ['bookings'] };

/**
 * The acting organization when the caller may make bookings for anyone there (staff: bookings
 * create with scope `all`); null for everyone else, who books as a marketplace guest.
 */
function staffOrganization(request: FastifyRequest): string | null {
  const access = permittedAccess(request, 'bookings', 'create');
  return access?.scope === 'all' ? access.orgId : null;
}

/** The booking a route acts on and who acts: the path's booking, within the caller's scope. */
async function actOn(tx: Tx, request: FastifyRequest, bookingId: string): Promise<{ bookingId: string; caller: Caller; scope: RowScope }> {
  return { bookingId, caller: callerOfRequest(request), scope: await rowScopeOf(tx, accessOf(request)) };
}

const readBookings = requirePermission('bookings', 'read');

export function bookingsRoutes(app: App, dependencies: ModuleDependencies): void {
  const { config } = dependencies;
  const settings: HoldSettings = { holdMinutes: config.BOOKING_HOLD_MINUTES, requestHoldHours: config.BOOKING_REQUEST_HOLD_HOURS };

  availabilityRoutes(app, dependencies);

  app.post(
    '/v1/quotes',
    {
      schema: {
        ...bookings,
        summary: 'What a stay would cost: any approved listing, or (staff) a unit type of the organization',
        body: QuoteBody,
        response: { 200: QuoteReply },
      },
    },
    async (request) => {
      const staffOrgId = staffOrganization(request);
      return request.read((tx) => quoteStay(tx, { body: request.body, staffOrgId }));
    },
  );

  app.post(
    '/v1/bookings',
    {
      preHandler: requireUser,
      schema: {
        ...bookings,
        summary: 'Book a stay: a listing (anyone signed in), or for staff a unit type, for a customer of theirs or a new one',
        body: CreateBookingBody,
        response: { 201: BookingDetail },
      },
    },
    async (request, reply) => {
      const staffOrgId = staffOrganization(request);
      const booking = await request.transaction((tx) =>
        createBooking(tx, {
          body: request.body,
          caller: callerOfRequest(request),
          userId: principalOf(request).userId,
          staffOrgId,
          settings,
        }),
      );
      return reply.code(201).send(booking);
    },
  );

  app.get(
    '/v1/bookings',
    {
      // A seeker's own bookings span organizations: signing in is enough, acting in none.
      async preHandler(request) {
        await (request.query.role === 'seeker' ? requireUser(request) : readBookings(request));
      },
      schema: {
        ...bookings,
        summary:
          "Bookings: the organization's within the caller's reach (role=owner), or the caller's own as a customer in every organization, newest first (role=seeker)",
        querystring: BookingListQuery,
        response: { 200: BookingPage },
      },
    },
    async (request, reply) => {
      const { query } = request;
      const { data, total } = await request.read(async (tx) => {
        if (query.role !== 'seeker') return findBookings(tx, { query, scope: await rowScopeOf(tx, accessOf(request)) });
        const { userId } = principalOf(request);
        const page = await seekerBookings(tx, { query, userId, organizationIds: await organizationIdsOfUser(tx, userId) });
        await withTenant(tx, request.tenantId);
        return page;
      });
      return sendPage(request, reply, query, data, total);
    },
  );

  app.get(
    '/v1/bookings/:bookingId',
    {
      preHandler: requirePermission('bookings', 'read'),
      schema: {
        ...bookings,
        summary: 'A booking with its price breakdown, cancellation policy and events',
        params: BookingParams,
        response: { 200: BookingDetail },
      },
    },
    async (request) =>
      request.read(async (tx) => getBooking(tx, { bookingId: request.params.bookingId, scope: await rowScopeOf(tx, accessOf(request)) })),
  );

  app.patch(
    '/v1/bookings/:bookingId',
    {
      preHandler: requirePermission('bookings', 'update'),
      schema: {
        ...bookings,
        summary: 'Change the dates or guests: priced again, and checked against the unit in the same step',
        params: BookingParams,
        body: ChangeBookingBody,
        response: { 200: BookingDetail },
      },
    },
    async (request) =>
      request.transaction(async (tx) => changeBooking(tx, { ...(await actOn(tx, request, request.params.bookingId)), body: request.body })),
  );

  app.post(
    '/v1/bookings/:bookingId/move',
    {
      preHandler: requirePermission('bookings', 'update'),
      schema: {
        ...bookings,
        summary: 'Move the booking to another unit of the property (of another type only when named: priced again)',
        params: BookingParams,
        body: MoveBookingBody,
        response: { 200: BookingDetail },
      },
    },
    async (request) =>
      request.transaction(async (tx) => moveBooking(tx, { ...(await actOn(tx, request, request.params.bookingId)), body: request.body })),
  );

  /** A transition endpoint: its permission, one transaction, the booking within the caller's scope. */
  function transition(
    path: string,
    action: ActionOf<'bookings'>,
    summary: string,
    run: (tx: Tx, input: TransitionInput) => Promise<BookingDetail>,
  ): void {
    app.post(
      `/v1/bookings/:bookingId/${path}`,
      {
        preHandler: requirePermission('bookings', action),
        schema: { ...bookings, summary, params: BookingParams, body: NoteBody, response: { 200: BookingDetail } },
      },
      async (request) =>
        request.transaction(async (tx) => run(tx, { ...(await actOn(tx, request, request.params.bookingId)), note: request.body?.note })),
    );
  }

  transition(
    'approve',
    'approve',
    'Approve a request: confirmed at once when paid at the property, else held for the payment',
    (tx, input) => approveBooking(tx, { ...input, settings }),
  );

  app.post(
    '/v1/bookings/:bookingId/decline',
    {
      preHandler: requirePermission('bookings', 'decline'),
      schema: {
        ...bookings,
        summary: 'Decline a request: the unit is free again',
        params: BookingParams,
        body: DeclineBody,
        response: { 200: BookingDetail },
      },
    },
    async (request) =>
      request.transaction(async (tx) =>
        declineBooking(tx, { ...(await actOn(tx, request, request.params.bookingId)), reason: request.body?.reason }),
      ),
  );

  transition('confirm', 'confirm', 'Record the guarantee of an approved booking made offline: confirmed', confirmBookingByStaff);

  app.post(
    '/v1/bookings/:bookingId/cancel',
    {
      preHandler: requirePermission('bookings', 'cancel'),
      schema: {
        ...bookings,
        summary: 'Cancel under the policy the booking was sold with: the refund is stored; a customer may cancel their own',
        params: BookingParams,
        body: CancelBody,
        response: { 200: BookingDetail },
      },
    },
    async (request) => {
      const byCustomer = accessOf(request).scope !== 'all';
      const asked = request.body?.reason;
      if (byCustomer && asked !== undefined && asked !== 'customer_request') {
        throw bookingErrors.raise('staff_only', 'A customer cancels as customer_request');
      }
      return request.transaction(async (tx) =>
        cancelBooking(tx, {
          ...(await actOn(tx, request, request.params.bookingId)),
          note: request.body?.note,
          reason: byCustomer ? 'customer_request' : (asked ?? 'staff'),
          byCustomer,
        }),
      );
    },
  );

  transition('check-in', 'check_in', 'Check the guest in: from the check-in date, into a unit in service', checkIn);
  transition('check-out', 'check_out', 'Check the guest out: the unit becomes dirty; leaving early frees the nights left', checkOut);
  transition('complete', 'complete', 'Complete a checked-out stay', completeBooking);
  transition('no-show', 'no_show', 'Record a no-show, on or after the check-in date: the unit is free again', recordNoShow);

  app.get(
    '/v1/bookings/:bookingId/cancellation-preview',
    {
      preHandler: requirePermission('bookings', 'read'),
      schema: {
        ...bookings,
        summary: 'What cancelling now would refund under the booking’s policy',
        params: BookingParams,
        response: { 200: CancellationPreviewReply },
      },
    },
    async (request) =>
      request.read(async (tx) =>
        cancellationPreview(tx, { bookingId: request.params.bookingId, scope: await rowScopeOf(tx, accessOf(request)) }),
      ),
  );

  app.get(
    '/v1/customers/:customerId/bookings',
    {
      preHandler: requirePermission('bookings', 'read'),
      schema: {
        ...bookings,
        summary: "A customer's stays, the latest first",
        params: CustomerParams,
        querystring: HistoryQuery,
        response: { 200: BookingPage },
      },
    },
    async (request, reply) => {
      const { data, total } = await request.read(async (tx) =>
        stayHistory(tx, { customerId: request.params.customerId, scope: await rowScopeOf(tx, accessOf(request)), query: request.query }),
      );
      return sendPage(request, reply, request.query, data, total);
    },
  );

  // The audit log's own guard (audit_logs:read), then the booking must be of the caller's
  // organization: another organization's id answers 404 like every other booking route.
  const auditGuard = app.auditReader?.guard;
  registerEntityAuditRoute(app, {
    path: '/v1/bookings/:bookingId/audit',
    entityType: 'booking',
    async guard(request) {
      await auditGuard?.(request);
      if (!request.principal) return;
      const { bookingId } = request.params as { bookingId?: string };
      const found = bookingId !== undefined && uuidPattern.test(bookingId) && (await request.read((tx) => bookingById(tx, bookingId)));
      if (!found) throw bookingErrors.raise('not_found', `No booking ${bookingId ?? ''} here`);
    },
  });
}
