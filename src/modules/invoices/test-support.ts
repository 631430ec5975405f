import { sql } from 'kysely';
import { expect } from 'vitest';
import { uniqueEmail } from '../../../test/helpers/accounts.ts';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { allDelivered, startTestRelay } from '../../../test/helpers/events.ts';
import { waitFor } from '../../../test/helpers/wait.ts';
import { systemCaller } from '../../platform/audit/change.ts';
import type { EventEnvelope } from '../../platform/events/envelope.ts';
import type { EventRelay } from '../../platform/events/relay.ts';
import { publish } from '../../platform/events/outbox.ts';
import { transactionAsTenant } from '../../platform/db/tenant.ts';
import { uuidv7 } from '../../platform/ids.ts';
import type { TenureModule } from '../../platform/module.ts';
import {
  book,
  bookingModules,
  expectStatus,
  type Host,
  http,
  newOrganization,
  type Session,
  walkIn,
  walkInStay,
} from '../bookings/test-support.ts';
import { customerForUser } from '../customers/index.ts';
import { createInventoryFixture, type InventoryFixture } from '../inventory/index.ts';
import { ledgerModule } from '../ledger/index.ts';
import { createRatePlanFixture } from '../pricing/index.ts';
import { invoicesModule } from './index.ts';
import type { InvoiceDetail } from './schemas.ts';
import { invoiceSubscribers } from './subscribers.ts';

/** Helpers for the invoices module's tests: the real application, set up through the modules' own routes and use cases. */

export { bearer, type Session } from '../../../test/helpers/accounts.ts';
export {
  addMember,
  day,
  expectStatus,
  type Host,
  type Http,
  http,
  newOrganization,
  type Reply,
  timeZone,
} from '../bookings/test-support.ts';

export const invoiceModules: TenureModule[] = [...bookingModules, ledgerModule, invoicesModule];

export async function invoicesTestApp(): Promise<TestApp> {
  return buildTestApp({ modules: invoiceModules, config: { RATE_LIMIT_MAX: '1000000' } });
}

/**
 * A test file's application with the relay running the invoices' subscribers, and the organization
 * it bills from; `t.close()` stops the relay too.
 */
export async function hostedInvoicesApp(label: string): Promise<{ t: TestApp; host: Host }> {
  const t = await invoicesTestApp();
  const relay = await startTestRelay(t.database, invoiceSubscribers);
  return { t: withRelay(t, relay), host: await newOrganization(t, label) };
}

/** The app, whose `close()` stops the relay first. */
export function withRelay(t: TestApp, relay: EventRelay): TestApp {
  return {
    ...t,
    async close() {
      await relay.stop();
      await t.close();
    },
  };
}

/** Every event committed so far handled by its subscribers. */
export async function eventsHandled(t: TestApp): Promise<void> {
  await waitFor(() => allDelivered(t.database.owner), { message: 'every event delivered' });
}

/** A customer of the organization, made by staff. */
export async function newCustomer(t: TestApp, host: Host, firstName = 'Ines'): Promise<string> {
  const body = { firstName, lastName: 'Walker', email: uniqueEmail('guest'), phone: '+351912345678' };
  return expectStatus<{ id: string }>(await http(t).post('/v1/customers', host.admin, body), 201).id;
}

/** The customer record whose login is the member's (a `customer` member's own). */
export async function customerOfMember(t: TestApp, host: Host, member: Session): Promise<string> {
  return transactionAsTenant(t.database.db, host.orgId, async (tx) => {
    const caller = systemCaller(host.orgId, { correlationId: uuidv7() });
    return (await customerForUser(tx, { userId: member.userId, email: member.email, firstName: 'Own', lastName: 'Guest' }, caller)).id;
  });
}

export interface Stay extends InventoryFixture {
  ratePlanId: string;
}

/**
 * A hotel in Lisbon (EUR) with one unit type of two units and its default rate plan: 100.00 a
 * night, a cleaning fee and taxes when asked.
 */
export async function createStay(
  t: TestApp,
  host: Host,
  options: { cleaningFee?: number; taxes?: Parameters<typeof createRatePlanFixture>[2]['taxes']; ownerUserId?: string } = {},
): Promise<Stay> {
  const inventory = await createInventoryFixture(t.database.db, host.orgId, {
    ...(options.ownerUserId === undefined ? {} : { owner: { userId: options.ownerUserId } }),
  });
  const plan = await createRatePlanFixture(t.database.db, host.orgId, {
    unitTypeId: inventory.unitTypeId,
    propertyId: inventory.propertyId,
    plan: { basePrice: 10_000, cleaningFee: options.cleaningFee ?? 0 },
    taxes: options.taxes ?? [],
  });
  return { ...inventory, ratePlanId: plan.ratePlanId };
}

export interface BookingReply {
  id: string;
  reference: string;
  status: string;
  customerId: string;
  totalAmount: number;
  currency: string;
  checkIn: string;
  priceBreakdown: { lines: { kind: string; amount: number; included?: boolean }[]; totals: { total: number; taxes: number } };
}

/** A walk-in's daily stay (Rui Walker's), paid at the property: confirmed at once (booking.confirmed). */
export async function walkInBooking(
  t: TestApp,
  host: Host,
  stay: Stay,
  checkIn: string,
  checkOut: string,
  fields: Record<string, unknown> = {},
): Promise<BookingReply> {
  return book(t, host.admin, walkInStay(stay, checkIn, checkOut, { customer: walkIn('Rui'), ...fields }));
}

/**
 * Publishes a payments event for the organization in a transaction of its own, as the payments
 * module would: a payment of the booking or the invoice named (its purpose unless given), in EUR
 * unless another currency is given.
 */
export async function publishPaymentEvent(
  t: TestApp,
  orgId: string,
  type: 'payment.succeeded' | 'payment.returned',
  data: { paymentId?: string; purpose?: string; bookingId?: string | null; invoiceId?: string | null; amount: number; currency?: string },
): Promise<EventEnvelope> {
  const paymentId = data.paymentId ?? uuidv7();
  const purpose = data.purpose ?? (data.invoiceId ? 'invoice' : data.bookingId ? 'booking' : 'other');
  return transactionAsTenant(t.database.db, orgId, (tx) =>
    publish(
      tx,
      { correlationId: uuidv7(), causationId: null, actor: { type: 'system', id: null }, tenantId: orgId, clientApp: null },
      {
        type,
        source: 'payments',
        aggregate: { type: 'payment', id: paymentId },
        data: {
          paymentId,
          purpose,
          bookingId: data.bookingId ?? null,
          invoiceId: data.invoiceId ?? null,
          leaseId: null,
          payerCustomerId: null,
          payeeOwnerId: null,
          amount: data.amount,
          currency: data.currency ?? 'EUR',
          method: 'card',
          rail: null,
          provider: 'sandbox',
          status: type === 'payment.succeeded' ? 'succeeded' : 'returned',
          failureCode: null,
          receiptNumber: null,
          retryCount: 0,
        },
      },
    ),
  );
}

export async function invoiceOf(t: TestApp, session: Session, invoiceId: string): Promise<InvoiceDetail> {
  return expectStatus<InvoiceDetail>(await http(t).get(`/v1/invoices/${invoiceId}`, session), 200);
}

/** The invoices of a booking, any status, oldest first (read as the tables' owner). */
export async function invoicesOfBooking(t: TestApp, bookingId: string): Promise<{ id: string; status: string; amountPaid: number }[]> {
  const { rows } = await sql<{ id: string; status: string; amountPaid: number }>`
    SELECT id, status, amount_paid FROM invoice WHERE booking_id = ${bookingId} ORDER BY sequence_number
  `.execute(t.database.owner);
  return rows;
}

/** The outbox events about one invoice, in order. */
export async function eventTypesOf(t: TestApp, invoiceId: string): Promise<string[]> {
  const { rows } = await sql<{ type: string }>`
    SELECT type FROM outbox_event WHERE aggregate_type = 'invoice' AND aggregate_id = ${invoiceId} ORDER BY seq
  `.execute(t.database.owner);
  return rows.map((row) => row.type);
}

export interface LedgerLine {
  code: string;
  partyType: string | null;
  partyId: string | null;
  amount: number;
}

/** The postings of the journal entry a source event posted, by account code (read as the tables' owner). */
export async function postingsOfSource(t: TestApp, source: { type: string; id: string; event: string }): Promise<LedgerLine[]> {
  const { rows } = await sql<LedgerLine>`
    SELECT a.code, a.party_type, a.party_id, p.amount
    FROM journal_entry e JOIN ledger_posting p ON p.entry_id = e.id JOIN ledger_account a ON a.id = p.account_id
    WHERE e.source_type = ${source.type} AND e.source_id = ${source.id} AND e.source_event = ${source.event}
    ORDER BY a.code
  `.execute(t.database.owner);
  return rows;
}

/**
 * Checks the file's structure as a reader would: the header, the trailer's startxref pointing at
 * the cross-reference table, and every in-use entry's offset pointing at "<n> 0 obj". Returns the
 * file as latin1 text.
 */
export function expectValidPdf(bytes: Buffer): string {
  const text = bytes.toString('latin1');
  expect(text.startsWith('%PDF-1.4\n')).toBe(true);
  expect(text.endsWith('%%EOF\n')).toBe(true);
  const startxref = /startxref\n(\d+)\n%%EOF\n$/.exec(text);
  expect(startxref).not.toBeNull();
  const xrefAt = Number(startxref![1]);
  expect(text.slice(xrefAt, xrefAt + 5)).toBe('xref\n');
  const [, first, count] = /^xref\n(\d+) (\d+)\n/.exec(text.slice(xrefAt)) ?? [];
  expect(first).toBe('0');
  const entriesAt = xrefAt + `xref\n0 ${count}\n`.length;
  const size = Number(count);
  for (let object = 0; object < size; object++) {
    const entry = text.slice(entriesAt + object * 20, entriesAt + (object + 1) * 20);
    expect(entry).toMatch(/^\d{10} \d{5} [nf] \n$/);
    if (object === 0) {
      expect(entry).toBe('0000000000 65535 f \n');
      continue;
    }
    const offset = Number(entry.slice(0, 10));
    expect(text.slice(offset, offset + `${object} 0 obj`.length), `object ${object}`).toBe(`${object} 0 obj`);
  }
  expect(text).toMatch(new RegExp(`trailer\\n<< /Size ${size} /Root 1 0 R`));
  // Each stream's /Length is the byte count between "stream\n" and "\nendstream".
  for (const match of text.matchAll(/<< \/Length (\d+) >>\nstream\n/g)) {
    const start = match.index + match[0].length;
    expect(text.slice(start + Number(match[1]), start + Number(match[1]) + '\nendstream'.length)).toBe('\nendstream');
  }
  return text;
}
