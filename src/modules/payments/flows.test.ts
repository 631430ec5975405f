import { sql } from 'kysely';
import { Temporal } from 'temporal-polyfill';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { waitFor } from '../../../test/helpers/wait.ts';
import {
  addMember,
  approvedListing,
  book,
  createStay,
  day,
  expectStatus,
  heldBooking,
  type Host,
  http,
  newUser,
  platformAdmin,
  type Session,
  type Stay,
} from '../bookings/test-support.ts';
import { customerOfMember } from '../invoices/test-support.ts';
import { bankingTimeZone, isBankingDay } from './bank-rails.ts';
import { paymentsContext } from './context.ts';
import { releaseDueEscrow } from './escrow.ts';
import {
  advanceSandbox,
  balancesOf,
  bankAccountOf,
  ledgerConsistent,
  newCustomer,
  paymentOf,
  type PaymentReply,
  relayedPaymentsApp,
  walletOf,
} from './test-support.ts';

/** The flows of money end to end through HTTP, on the sandbox: bank rails, mobile money, cards, refunds, who sees what. */

let t: TestApp;
let host: Host;

beforeAll(async () => {
  ({ t, host } = await relayedPaymentsApp('flows'));
});
afterAll(() => t.close());

const api = () => http(t);
const payment = (id: string, session: Session = host.admin) => paymentOf(t, session, id);

async function pay(body: Record<string, unknown>, session: Session = host.admin): Promise<PaymentReply> {
  return expectStatus<PaymentReply>(await api().post('/v1/payments', session, body), 201);
}

async function payBooking(bookingId: string, body: Record<string, unknown> = {}, session: Session = host.admin): Promise<PaymentReply> {
  return expectStatus<PaymentReply>(await api().post('/v1/payments/intent', session, { bookingId, ...body }), 201);
}

interface HistoryEvent {
  type: string;
  sequence: number;
  actor: { type: string; id: string | null };
  data: Record<string, unknown>;
}

async function historyOf(paymentId: string): Promise<HistoryEvent[]> {
  return expectStatus<{ events: HistoryEvent[] }>(await api().get(`/v1/payments/${paymentId}/history`, host.admin), 200).events;
}

interface Entry {
  id: string;
  sourceEvent: string;
  reversesEntryId: string | null;
  postings: { code: string; partyId: string | null; amount: number }[];
}

/** The journal entries a payment, refund or payout posted, oldest first, with their postings by account code. */
async function entriesOf(sourceId: string): Promise<Entry[]> {
  const { rows } = await sql<{
    id: string;
    sourceEvent: string;
    reversesEntryId: string | null;
    code: string;
    partyId: string | null;
    amount: number;
  }>`
    SELECT e.id, e.source_event, e.reverses_entry_id, a.code, a.party_id, p.amount
    FROM journal_entry e JOIN ledger_posting p ON p.entry_id = e.id JOIN ledger_account a ON a.id = p.account_id
    WHERE e.source_id = ${sourceId} ORDER BY e.created_at, e.id, a.code
  `.execute(t.database.owner);
  const entries = new Map<string, Entry>();
  for (const row of rows) {
    const entry = entries.get(row.id) ?? { id: row.id, sourceEvent: row.sourceEvent, reversesEntryId: row.reversesEntryId, postings: [] };
    entry.postings.push({ code: row.code, partyId: row.partyId, amount: row.amount });
    entries.set(row.id, entry);
  }
  return [...entries.values()];
}

/** A stay checked in today and its escrow released once the grace period passed. */
async function checkInAndRelease(bookingId: string, paymentId: string): Promise<void> {
  expectStatus(await api().post(`/v1/bookings/${bookingId}/check-in`, host.admin), 200);
  const due = await waitFor(async () => (await payment(paymentId)).escrowReleaseDueAt, { message: 'the release scheduled' });
  expect(await releaseDueEscrow(t.database.db, paymentsContext(t.config), new Date(new Date(due).getTime() + 1000))).toBeGreaterThan(0);
  expect((await payment(paymentId)).escrowStatus).toBe('released');
}

/**
 * A one-unit stay booked from today for two nights (200.00 EUR) and paid by card, or by standard
 * ACH from the guest's account with this number; the sandbox's clock then moved `seconds` on.
 */
async function paidStay(
  options: { accountNumber?: string; seconds?: number } = {},
): Promise<{ stay: Stay; bookingId: string; paid: PaymentReply }> {
  const stay = await createStay(t, host, { units: 1 });
  const booking = await heldBooking(t, host.admin, stay, day(0), day(2));
  const holder = { type: 'customer' as const, id: booking.customerId };
  const method = options.accountNumber
    ? { method: 'bank_transfer', rail: 'STANDARD_ACH', payerBankAccountId: await bankAccountOf(t, host, holder, options.accountNumber) }
    : {};
  const made = await payBooking(booking.id, method);
  await advanceSandbox(t, options.seconds ?? 3600);
  return { stay, bookingId: booking.id, paid: await payment(made.id) };
}

describe('bank transfers on the sandbox’s rails', () => {
  let payer: string;
  beforeAll(async () => {
    payer = await newCustomer(t, host, 'Bank');
  });

  async function transfer(accountNumber: string, rail = 'STANDARD_ACH'): Promise<PaymentReply> {
    const payerBankAccountId = await bankAccountOf(t, host, { type: 'customer', id: payer }, accountNumber, 'USD');
    return pay({
      purpose: 'other',
      payerCustomerId: payer,
      amount: 75_000,
      currency: 'USD',
      method: 'bank_transfer',
      rail,
      payerBankAccountId,
    });
  }

  it('retries a debit returned R01 twice, then fails it with the third return', async () => {
    const made = await transfer('000222220001');
    expect(made).toMatchObject({ status: 'processing', rail: 'STANDARD_ACH', retryCount: 0 });
    await advanceSandbox(t);
    const failed = await payment(made.id);
    expect(failed).toMatchObject({ status: 'failed', failureCode: 'R01', retryCount: 2, expectedSettlementAt: null });
    const history = await historyOf(made.id);
    expect(history.map((event) => event.type)).toEqual(['initiated', 'submitted', 'processing', 'retried', 'retried', 'failed']);
    expect(history.filter((event) => event.type === 'retried').map((event) => event.data.attempt)).toEqual([2, 3]);
    expect(await entriesOf(made.id)).toEqual([]);
  });

  it('succeeds on the retry after one R01 return', async () => {
    const made = await transfer('000222220002');
    await advanceSandbox(t);
    expect(await payment(made.id)).toMatchObject({ status: 'succeeded', retryCount: 1 });
    expect((await entriesOf(made.id)).map((entry) => entry.sourceEvent)).toEqual(['succeeded']);
  });

  it('fails a debit returned R03 at once, without a retry', async () => {
    const made = await transfer('000222220003');
    await advanceSandbox(t);
    expect(await payment(made.id)).toMatchObject({ status: 'failed', failureCode: 'R03', retryCount: 0 });
    expect((await historyOf(made.id)).map((event) => event.type)).toEqual(['initiated', 'submitted', 'processing', 'failed']);
  });

  it('never returns a wire: one that would bounce by ACH succeeds, an unknown account is refused', async () => {
    const wired = await transfer('000333330001', 'WIRE');
    const refused = await transfer('000333330003', 'WIRE');
    await advanceSandbox(t);
    expect(await payment(wired.id)).toMatchObject({ status: 'succeeded', retryCount: 0 });
    expect(await payment(refused.id)).toMatchObject({ status: 'failed', failureCode: 'R03', retryCount: 0 });
  });

  it('settles a same-day ACH in the next same-day window of a banking day', async () => {
    const made = await transfer('000222224444', 'SAME_DAY_ACH');
    const settles = new Date(made.expectedSettlementAt!);
    const created = new Date(made.createdAt);
    expect(settles.getTime()).toBeGreaterThan(created.getTime());
    expect(isBankingDay(settles)).toBe(true);
    const eastern = Temporal.Instant.fromEpochMilliseconds(settles.getTime()).toZonedDateTimeISO(bankingTimeZone);
    expect(['13:00', '17:00', '18:00']).toContain(eastern.toPlainTime().toString().slice(0, 5));
    // Within a banking day: by the next business day at the latest (four days covers a long weekend).
    expect(settles.getTime() - created.getTime()).toBeLessThan(4 * 86_400_000);
    await advanceSandbox(t);
    expect(await payment(made.id)).toMatchObject({ status: 'succeeded', expectedSettlementAt: made.expectedSettlementAt });
  });

  describe('a booking paid from an account whose debit is returned R10 after it succeeded', () => {
    async function paidBooking(): Promise<{ stay: Stay; bookingId: string; paid: PaymentReply }> {
      // 180 s: the debit settles; the return comes a minute later.
      const paid = await paidStay({ accountNumber: '000333330010', seconds: 200 });
      expect(paid.paid).toMatchObject({ status: 'succeeded', escrowStatus: 'held' });
      return paid;
    }

    it('takes the capture back out of escrow while the money is still there', async () => {
      const { stay, paid } = await paidBooking();
      await advanceSandbox(t);
      expect(await payment(paid.id)).toMatchObject({ status: 'returned', failureCode: 'R10', escrowStatus: 'refunded' });
      const [capture, reversal] = await entriesOf(paid.id);
      expect(reversal).toMatchObject({ sourceEvent: 'returned' });
      expect(reversal!.postings.map((posting) => posting.amount).sort()).toEqual(
        capture!.postings.map((posting) => -posting.amount).sort(),
      );
      expect(await walletOf(t, host.admin, stay.ownerId)).toMatchObject({ available: 0, pending: 0 });
      expect(await ledgerConsistent(t, host.orgId)).toEqual({ unbalancedEntries: 0, wrongBalances: 0 });
    });

    it('takes the money back from the owner’s payable once it was released', async () => {
      const { stay, bookingId, paid } = await paidBooking();
      await checkInAndRelease(bookingId, paid.id);
      expect(await walletOf(t, host.admin, stay.ownerId)).toMatchObject({ available: 18_000, pending: 0 });
      await advanceSandbox(t);
      expect(await payment(paid.id)).toMatchObject({ status: 'returned', escrowStatus: 'released' });
      const returned = (await entriesOf(paid.id)).find((entry) => entry.sourceEvent === 'returned')!;
      expect(returned.reversesEntryId).toBeNull();
      expect(returned.postings).toContainEqual({ code: '1100', partyId: 'sandbox', amount: -20_000 });
      expect(returned.postings.find((posting) => posting.code === '2200')).toMatchObject({ partyId: stay.ownerId });
      expect(await ledgerConsistent(t, host.orgId)).toEqual({ unbalancedEntries: 0, wrongBalances: 0 });
    });
  });
});

describe('mobile money through the sandbox', () => {
  async function mobileMoney(phone: string): Promise<PaymentReply> {
    const payerCustomerId = await newCustomer(t, host, 'Wanjiru');
    return pay({ purpose: 'other', payerCustomerId, amount: 3_000, currency: 'KES', method: 'mobile_money', payerPhone: phone });
  }

  it('is cancelled when the customer declines the prompt (1032)', async () => {
    const made = await mobileMoney('+254711111032');
    expect(made).toMatchObject({ status: 'processing', provider: 'sandbox', clientAction: { type: 'mobile_money_prompt' } });
    await advanceSandbox(t);
    expect(await payment(made.id)).toMatchObject({ status: 'cancelled', failureCode: '1032', clientAction: null, receiptNumber: null });
    expect(await entriesOf(made.id)).toEqual([]);
  });

  it('succeeds with the provider’s receipt number', async () => {
    const made = await mobileMoney('+254712345678');
    await advanceSandbox(t);
    const paid = await payment(made.id);
    expect(paid).toMatchObject({ status: 'succeeded', clientAction: null });
    expect(paid.receiptNumber).toMatch(/^SBX[0-9A-F]{9}$/);
    expect((await balancesOf(t, host.orgId, '1100')).get('sandbox')).toBeGreaterThan(0);
  });
});

describe('cards and refunds', () => {
  it('asks for the customer’s authentication first (amount ending 03), then succeeds', async () => {
    const payer = await newCustomer(t, host, 'Auth');
    const made = await pay({ purpose: 'other', payerCustomerId: payer, amount: 12_303, currency: 'EUR', method: 'card' });
    expect(made).toMatchObject({ status: 'requires_action', clientAction: { type: 'sandbox_authentication' } });
    await advanceSandbox(t, 2);
    expect((await payment(made.id)).status).toBe('requires_action');
    await advanceSandbox(t, 10);
    expect(await payment(made.id)).toMatchObject({ status: 'succeeded', clientAction: null });
    expect((await historyOf(made.id)).map((event) => event.type)).toEqual(['initiated', 'submitted', 'requires_action', 'succeeded']);
  });

  it('gives the reservation back when the refund fails (amount ending 13)', async () => {
    const payer = await newCustomer(t, host, 'Refund');
    const made = await pay({ purpose: 'other', payerCustomerId: payer, amount: 10_000, currency: 'EUR', method: 'card' });
    await advanceSandbox(t);
    const refund = expectStatus<{ id: string; status: string }>(
      await api().post(`/v1/payments/${made.id}/refunds`, host.admin, { amount: 1_013, reason: 'requested_by_customer' }),
      201,
    );
    expect(refund.status).toBe('processing');
    expect((await payment(made.id)).refundedAmount).toBe(1_013);

    await advanceSandbox(t);
    expect(
      expectStatus<{ status: string; failureReason: string }>(await api().get(`/v1/refunds/${refund.id}`, host.admin), 200),
    ).toMatchObject({
      status: 'failed',
      failureReason: expect.any(String) as unknown,
    });
    expect(await payment(made.id)).toMatchObject({ status: 'succeeded', refundedAmount: 0 });
    const [reserved, reversal] = await entriesOf(refund.id);
    expect(reserved!.sourceEvent).toBe('created');
    expect(reversal).toMatchObject({ sourceEvent: 'failed', reversesEntryId: reserved!.id });
    expect((await historyOf(made.id)).map((event) => event.type).slice(-2)).toEqual(['refund_started', 'refund_failed']);
    expect((await balancesOf(t, host.orgId, '2400')).get(payer)).toBe(0);

    // What the failed refund gave back can be refunded again.
    const again = expectStatus<{ amount: number }>(await api().post(`/v1/payments/${made.id}/refunds`, host.admin, {}), 201);
    expect(again.amount).toBe(10_000);
  });
});

describe('who sees and pays what', () => {
  it('shows a customer member their own payments only, and lets them pay only by themselves', async () => {
    const member = await addMember(t, host.admin, host.orgId, 'customer', 'self');
    const own = await customerOfMember(t, host, member);
    const other = await newCustomer(t, host, 'Other');
    const mine = await pay({ purpose: 'other', amount: 2_500, currency: 'EUR', method: 'card' }, member);
    expect(mine.payerCustomerId).toBe(own);
    const theirs = await pay({ purpose: 'other', payerCustomerId: other, amount: 2_500, currency: 'EUR', method: 'card' });

    const listed = expectStatus<{ data: PaymentReply[] }>(await api().get('/v1/payments', member), 200);
    expect(listed.data.map((row) => row.id)).toEqual([mine.id]);
    expect((await payment(mine.id, member)).id).toBe(mine.id);
    for (const url of [`/v1/payments/${theirs.id}`, `/v1/payments/${theirs.id}/history`, `/v1/payments/${theirs.id}/refunds`]) {
      expect((await api().get(url, member)).json()).toMatchObject({ status: 404, code: 'payments.not_found' });
    }

    const cash = await api().post('/v1/payments', member, {
      purpose: 'other',
      amount: 2_500,
      currency: 'EUR',
      method: 'cash',
      receiptNumber: 'SELF-1',
    });
    expect(cash.json()).toMatchObject({ status: 403, code: 'payments.staff_only' });
    const forOther = await api().post('/v1/payments', member, {
      purpose: 'other',
      payerCustomerId: other,
      amount: 2_500,
      currency: 'EUR',
      method: 'card',
    });
    expect(forOther.json()).toMatchObject({ status: 404, code: 'payments.payer_not_found' });
    const refund = await api().post(`/v1/payments/${mine.id}/refunds`, member, {});
    expect(refund.statusCode).toBe(403);
  });

  it('shows an owner member their wallet, and lets them withdraw their own balance', async () => {
    const member = await addMember(t, host.admin, host.orgId, 'owner', 'landlord');
    const stay = await createStay(t, host, { units: 1, ownerUserId: member.userId });
    const booking = await heldBooking(t, host.admin, stay, day(0), day(2));
    const made = await payBooking(booking.id);
    await advanceSandbox(t);
    expect(await walletOf(t, member)).toMatchObject({ available: 0, pending: 20_000, inTransit: 0 });
    await checkInAndRelease(booking.id, made.id);
    expect(await walletOf(t, member)).toMatchObject({ available: 18_000, pending: 0, inTransit: 0 });

    // Their payments as payee, and no one else's wallet.
    const listed = expectStatus<{ data: PaymentReply[] }>(await api().get('/v1/payments', member), 200);
    expect(listed.data.map((row) => row.id)).toEqual([made.id]);
    const otherStay = await createStay(t, host, { units: 1 });
    expect((await api().get(`/v1/wallet?ownerId=${otherStay.ownerId}`, member)).json()).toMatchObject({ code: 'payments.payee_not_found' });

    const bankAccountId = await bankAccountOf(t, host, { type: 'owner', id: stay.ownerId }, '000444445555');
    const tooMuch = await api().post('/v1/payouts', member, { amount: 18_001, currency: 'EUR', bankAccountId });
    expect(tooMuch.json()).toMatchObject({ status: 409, code: 'payments.insufficient_funds' });
    const forOther = await api().post('/v1/payouts', member, { ownerId: otherStay.ownerId, amount: 100, currency: 'EUR', bankAccountId });
    expect(forOther.json()).toMatchObject({ status: 404, code: 'payments.payee_not_found' });
    const payout = expectStatus<{ id: string; ownerId: string; status: string }>(
      await api().post('/v1/payouts', member, { amount: 10_000, currency: 'EUR', bankAccountId, rail: 'INSTANT' }),
      201,
    );
    expect(payout).toMatchObject({ ownerId: stay.ownerId, status: 'processing' });
    expect(await walletOf(t, member)).toMatchObject({ available: 8_000, inTransit: 10_000 });
    await advanceSandbox(t);
    expect(await walletOf(t, member)).toMatchObject({ available: 8_000, inTransit: 0 });
    const payouts = expectStatus<{ data: { id: string; status: string }[] }>(await api().get('/v1/payouts', member), 200);
    expect(payouts.data).toEqual([expect.objectContaining({ id: payout.id, status: 'succeeded' })]);
  });

  it('lets a marketplace guest pay their own booking while acting in no organization', async () => {
    const stay = await createStay(t, host, { units: 1 });
    const listingId = await approvedListing(t, host, await platformAdmin(t), stay, { autoAccept: { daily: true } });
    const guest = await newUser(t.app, 'traveller');
    const booking = await book(t, guest, { rentalMode: 'daily', listingId, checkIn: day(5), checkOut: day(7) });
    expect(booking).toMatchObject({ status: 'approved', guarantee: 'online_payment' });

    const stranger = await newUser(t.app, 'stranger');
    expect((await api().post('/v1/payments/intent', stranger, { bookingId: booking.id })).json()).toMatchObject({
      status: 404,
      code: 'payments.booking_not_found',
    });
    const made = await payBooking(booking.id, {}, guest);
    expect(made).toMatchObject({ organizationId: host.orgId, payerCustomerId: booking.customerId, status: 'processing' });
    await advanceSandbox(t);
    expect(await payment(made.id)).toMatchObject({ status: 'succeeded', escrowStatus: 'held' });
    expect(expectStatus<{ status: string }>(await api().get(`/v1/bookings/${booking.id}`, host.admin), 200).status).toBe('confirmed');
    expect((await historyOf(made.id))[0]!.actor).toEqual({ type: 'user', id: guest.userId });
  });
});

describe('reading payments', () => {
  it('filters by booking, status and payer, a page at a time with Link and X-Total-Count', async () => {
    const payer = await newCustomer(t, host, 'Pages');
    const amounts = [1_000, 1_100, 1_202, 1_300, 1_400];
    const made = [];
    for (const amount of amounts)
      made.push(await pay({ purpose: 'other', payerCustomerId: payer, amount, currency: 'EUR', method: 'card' }));

    const first = await api().get(`/v1/payments?payerCustomerId=${payer}&pageSize=2`, host.admin);
    expect(first.headers['x-total-count']).toBe('5');
    expect(first.headers.link).toContain('rel="next"');
    expect(first.headers.link).toContain(`payerCustomerId=${payer}`);
    const pages = [first.json<{ data: PaymentReply[] }>().data];
    for (const page of [2, 3]) {
      const reply = await api().get(`/v1/payments?payerCustomerId=${payer}&pageSize=2&page=${page}`, host.admin);
      pages.push(expectStatus<{ data: PaymentReply[] }>(reply, 200).data);
    }
    expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
    // Newest first, each once.
    expect(pages.flat().map((row) => row.id)).toEqual(made.map((row) => row.id).reverse());

    const failed = expectStatus<{ data: PaymentReply[] }>(
      await api().get(`/v1/payments?payerCustomerId=${payer}&status=failed`, host.admin),
      200,
    );
    expect(failed.data.map((row) => [row.amount, row.failureCode])).toEqual([[1_202, 'card_declined']]);

    const stay = await createStay(t, host, { units: 1 });
    const booking = await heldBooking(t, host.admin, stay, day(20), day(21));
    const forBooking = await payBooking(booking.id);
    const byBooking = await api().get(`/v1/payments?bookingId=${booking.id}`, host.admin);
    expect(byBooking.headers['x-total-count']).toBe('1');
    expect(byBooking.json<{ data: PaymentReply[] }>().data.map((row) => row.id)).toEqual([forBooking.id]);
  });

  it('names who made each change: the user, the provider, the system', async () => {
    const { bookingId, paid } = await paidStay();
    await checkInAndRelease(bookingId, paid.id);
    const actors = Object.fromEntries((await historyOf(paid.id)).map((event) => [event.type, event.actor]));
    expect(actors).toEqual({
      initiated: { type: 'user', id: host.admin.userId },
      submitted: { type: 'provider', id: 'sandbox' },
      processing: { type: 'provider', id: 'sandbox' },
      succeeded: { type: 'provider', id: 'sandbox' },
      escrow_held: { type: 'system', id: null },
      escrow_release_scheduled: { type: 'system', id: null },
      escrow_released: { type: 'system', id: null },
    });
  });
});

describe('a payment of an invoice', () => {
  it('marks the invoice paid once the relay has carried the payment’s success to it', async () => {
    const customerId = await newCustomer(t, host, 'Billed');
    const invoice = expectStatus<{ id: string; total: number; status: string }>(
      await api().post('/v1/invoices', host.admin, {
        customerId,
        currency: 'EUR',
        lines: [{ description: 'Broken lamp', quantity: 1, unitAmount: 4_500, kind: 'charge' }],
      }),
      201,
    );
    const made = await pay({ purpose: 'invoice', invoiceId: invoice.id, method: 'card' });
    expect(made).toMatchObject({ amount: invoice.total, currency: 'EUR', payerCustomerId: customerId, invoiceId: invoice.id });
    await advanceSandbox(t);
    const paid = await waitFor(
      async () => {
        const current = expectStatus<{ status: string; amountPaid: number; amountDue: number }>(
          await api().get(`/v1/invoices/${invoice.id}`, host.admin),
          200,
        );
        return current.status === 'paid' && current;
      },
      { message: 'the invoice paid' },
    );
    expect(paid).toMatchObject({ amountPaid: invoice.total, amountDue: 0 });
    // The receivable the invoice opened is settled by the payment.
    expect((await balancesOf(t, host.orgId, '1200')).get(customerId)).toBe(0);
    const again = await api().post('/v1/payments', host.admin, { purpose: 'invoice', invoiceId: invoice.id, method: 'card' });
    expect(again.json()).toMatchObject({ status: 409, code: 'payments.invoice_not_payable' });
  });
});

/**
 * What owners and customers are owed after refunds and bank returns. On the code as it is these
 * fail: a refund or a return of released money takes the gross amount from the owner's payable and
 * leaves the commission as income (accounting.ts, refundedFrom and postReturn); a return reverses
 * the whole capture although refunds took part of it already (postReturn); and a refund that fails
 * after the release puts its amount back in escrow, where nothing releases it (refunds.ts,
 * applyRefundReport).
 */
describe('balances after refunds and returns', () => {
  const commission = async () => 0 - ((await balancesOf(t, host.orgId, '4100')).get(null) ?? 0);

  it('a full refund after the release takes back from the owner only what they were given, and the commission', async () => {
    const { stay, bookingId, paid } = await paidStay();
    await checkInAndRelease(bookingId, paid.id);
    const commissionBefore = await commission();
    expectStatus(await api().post(`/v1/payments/${paid.id}/refunds`, host.admin, {}), 201);
    await advanceSandbox(t);
    expect(await walletOf(t, host.admin, stay.ownerId)).toMatchObject({ available: 0, pending: 0 });
    expect(await commission()).toBe(commissionBefore - 2_000);
  });

  it('a return after the release takes back from the owner only what they were given, and the commission', async () => {
    const { stay, bookingId, paid } = await paidStay({ accountNumber: '000555550010', seconds: 200 });
    await checkInAndRelease(bookingId, paid.id);
    const commissionBefore = await commission();
    await advanceSandbox(t);
    expect((await payment(paid.id)).status).toBe('returned');
    expect(await walletOf(t, host.admin, stay.ownerId)).toMatchObject({ available: 0, pending: 0 });
    expect(await commission()).toBe(commissionBefore - 2_000);
  });

  it('a return of a payment refunded in part while held leaves nothing in escrow', async () => {
    const { stay, paid } = await paidStay({ accountNumber: '000666660010', seconds: 200 });
    expectStatus(await api().post(`/v1/payments/${paid.id}/refunds`, host.admin, { amount: 5_000 }), 201);
    await advanceSandbox(t);
    expect(await payment(paid.id)).toMatchObject({ status: 'returned', escrowStatus: 'refunded' });
    expect(await walletOf(t, host.admin, stay.ownerId)).toMatchObject({ available: 0, pending: 0 });
  });

  it('a return of a deposit refunded in part leaves no deposit held', async () => {
    const payer = await newCustomer(t, host, 'Deposit');
    const payerBankAccountId = await bankAccountOf(t, host, { type: 'customer', id: payer }, '000777770010');
    const deposit = { purpose: 'deposit', payerCustomerId: payer, amount: 50_000, currency: 'EUR' };
    const made = await pay({ ...deposit, method: 'bank_transfer', rail: 'SAME_DAY_ACH', payerBankAccountId });
    // 60 s: the debit settles; the return comes a minute later.
    await advanceSandbox(t, 90);
    expectStatus(await api().post(`/v1/payments/${made.id}/refunds`, host.admin, { amount: 20_000 }), 201);
    await advanceSandbox(t);
    expect(await payment(made.id)).toMatchObject({ status: 'returned', refundedAmount: 20_000 });
    expect((await balancesOf(t, host.orgId, '2100')).get(payer)).toBe(0);
  });

  it('a refund that fails after the release gives its amount to the owner, not back to escrow', async () => {
    const { stay, bookingId, paid } = await paidStay();
    expectStatus(await api().post(`/v1/bookings/${bookingId}/check-in`, host.admin), 200);
    const due = await waitFor(async () => (await payment(paid.id)).escrowReleaseDueAt);
    expectStatus(await api().post(`/v1/payments/${paid.id}/refunds`, host.admin, { amount: 1_013 }), 201);
    const commissionBefore = await commission();
    await releaseDueEscrow(t.database.db, paymentsContext(t.config), new Date(new Date(due).getTime() + 1000));
    await advanceSandbox(t);
    expect(await payment(paid.id)).toMatchObject({ escrowStatus: 'released', refundedAmount: 0 });
    const wallet = await walletOf(t, host.admin, stay.ownerId);
    expect(wallet.pending).toBe(0);
    expect(wallet.available + (await commission()) - commissionBefore).toBe(20_000);
  });
});
