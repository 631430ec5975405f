import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { waitFor } from '../../../test/helpers/wait.ts';
import type { EventRelay } from '../../platform/events/relay.ts';
import {
  createStay,
  day,
  expectStatus,
  heldBooking,
  type Host,
  http,
  lapseHold,
  type Reply,
  type Stay,
  walkInStay,
  book,
} from '../bookings/test-support.ts';
import { paymentsContext } from './context.ts';
import { releaseDueEscrow } from './escrow.ts';
import type { PaymentView } from './history.ts';
import { advanceSandbox, balancesOf, bankAccountOf, hostedPaymentsApp, ledgerConsistent, moneyRelay } from './test-support.ts';

type Payment = PaymentView & { expectedSettlementAt: string | null };

let t: TestApp;
let host: Host;
let stay: Stay;
let relay: EventRelay;

beforeAll(async () => {
  ({ t, host } = await hostedPaymentsApp('payer'));
  stay = await createStay(t, host, { units: 6 });
  relay = await moneyRelay(t);
});

afterAll(async () => {
  await relay.stop();
  await t.close();
});

const api = () => http(t);
const paymentOf = async (id: string) => expectStatus<Payment>(await api().get(`/v1/payments/${id}`, host.admin), 200);

async function payIntent(bookingId: string, body: Record<string, unknown> = {}): Promise<Reply<Payment>> {
  return api().post('/v1/payments/intent', host.admin, { bookingId, ...body });
}

describe('a booking paid online', () => {
  it('is held for the payment, confirmed by it, and its money waits in escrow', async () => {
    const booking = await heldBooking(t, host.admin, stay, day(3), day(5));
    expect(booking.status).toBe('approved');
    const payment = expectStatus(await payIntent(booking.id), 201);
    expect(payment).toMatchObject({ status: 'processing', provider: 'sandbox', purpose: 'booking', amount: 20_000, currency: 'EUR' });
    expect(payment.providerReference).toMatch(/^sbx_pay_/);

    expect(await advanceSandbox(t)).toBe(1);
    const paid = await paymentOf(payment.id);
    expect(paid).toMatchObject({ status: 'succeeded', escrowStatus: 'held', attention: null });
    const confirmed = expectStatus<{ status: string }>(await api().get(`/v1/bookings/${booking.id}`, host.admin), 200);
    expect(confirmed.status).toBe('confirmed');

    expect((await balancesOf(t, host.orgId, '1100')).get('sandbox')).toBe(20_000);
    expect([...(await balancesOf(t, host.orgId, '2000')).values()]).toEqual([-20_000]);
    expect(await ledgerConsistent(t, host.orgId)).toEqual({ unbalancedEntries: 0, wrongBalances: 0 });
  });

  it('keeps an event for every change, and the events alone rebuild the payment', async () => {
    const booking = await heldBooking(t, host.admin, stay, day(6), day(7));
    const payment = expectStatus(await payIntent(booking.id), 201);
    await advanceSandbox(t);
    const history = expectStatus<{
      events: { type: string; sequence: number; actor: { type: string } }[];
      replayed: Record<string, unknown>;
    }>(await api().get(`/v1/payments/${payment.id}/history`, host.admin), 200);
    expect(history.events.map((event) => event.type)).toEqual(['initiated', 'submitted', 'processing', 'succeeded', 'escrow_held']);
    expect(history.events.map((event) => event.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(history.events[3]!.actor).toEqual({ type: 'provider', id: 'sandbox' });
    const current = await paymentOf(payment.id);
    const { updatedAt: _u, version: _v, expectedSettlementAt: _e, ...fields } = current;
    expect(history.replayed).toEqual(fields);
  });

  it('is confirmed although its hold lapsed, while nobody took the nights', async () => {
    const booking = await heldBooking(t, host.admin, stay, day(8), day(9));
    const payment = expectStatus(await payIntent(booking.id), 201);
    await lapseHold(t, booking.id);
    await advanceSandbox(t);
    expect(await paymentOf(payment.id)).toMatchObject({ status: 'succeeded', escrowStatus: 'held', attention: null });
    expect(expectStatus<{ status: string }>(await api().get(`/v1/bookings/${booking.id}`, host.admin), 200).status).toBe('confirmed');
  });

  it('is refunded automatically, and flagged, when the booking lapsed and its nights went to someone else', async () => {
    const single = await createStay(t, host, { units: 1 });
    const booking = await heldBooking(t, host.admin, single, day(10), day(12));
    const payment = expectStatus(await payIntent(booking.id), 201);
    await lapseHold(t, booking.id);
    // Another guest books the same nights: the lapsed hold is released and its booking cancelled.
    await book(t, host.admin, walkInStay(single, day(10), day(12)));
    await advanceSandbox(t);

    const paid = await paymentOf(payment.id);
    expect(paid).toMatchObject({ status: 'succeeded', attention: 'booking_not_confirmable', refundedAmount: 20_000 });
    // The sandbox's clock ran on: the refund it was asked for has been paid back too.
    const refunds = expectStatus<{ data: { status: string; reason: string; amount: number }[] }>(
      await api().get(`/v1/payments/${payment.id}/refunds`, host.admin),
      200,
    );
    expect(refunds.data).toEqual([expect.objectContaining({ reason: 'booking_lapsed', amount: 20_000, status: 'succeeded' })]);
    expect(await paymentOf(payment.id)).toMatchObject({ escrowStatus: 'refunded' });
    expect(await ledgerConsistent(t, host.orgId)).toEqual({ unbalancedEntries: 0, wrongBalances: 0 });
  });

  it('answers a second intent for a paid booking with 409', async () => {
    const booking = await heldBooking(t, host.admin, stay, day(13), day(14));
    expectStatus(await payIntent(booking.id), 201);
    await advanceSandbox(t);
    const again = await payIntent(booking.id);
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'payments.booking_not_payable' });
  });
});

describe('cancellation and check-in', () => {
  it('refunds what the policy gives back and releases the penalty to the owner', async () => {
    const booking = await heldBooking(t, host.admin, stay, day(1), day(3));
    const payment = expectStatus(await payIntent(booking.id), 201);
    await advanceSandbox(t);
    const preview = expectStatus<{ refund: number; penalty: number }>(
      await api().get(`/v1/bookings/${booking.id}/cancellation-preview`, host.admin),
      200,
    );
    expectStatus(await api().post(`/v1/bookings/${booking.id}/cancel`, host.admin, { reason: 'customer_request' }), 200);
    await waitFor(async () => (await paymentOf(payment.id)).escrowStatus === 'released');
    const refunded = await paymentOf(payment.id);
    expect(refunded.refundedAmount).toBe(preview.refund);
    await advanceSandbox(t);
    const refunds = expectStatus<{ data: { status: string; amount: number; reason: string }[] }>(
      await api().get(`/v1/payments/${payment.id}/refunds`, host.admin),
      200,
    );
    if (preview.refund > 0)
      expect(refunds.data).toEqual([expect.objectContaining({ reason: 'cancellation', amount: preview.refund, status: 'succeeded' })]);
    else expect(refunds.data).toEqual([]);
    expect(await ledgerConsistent(t, host.orgId)).toEqual({ unbalancedEntries: 0, wrongBalances: 0 });
  });

  it('releases escrow to the owner net of commission after check-in and the grace period, and the owner is paid out', async () => {
    const ownStay = await createStay(t, host, { units: 1 });
    const booking = await heldBooking(t, host.admin, ownStay, day(0), day(2));
    const payment = expectStatus(await payIntent(booking.id), 201);
    await advanceSandbox(t);
    expectStatus(await api().post(`/v1/bookings/${booking.id}/check-in`, host.admin), 200);
    await waitFor(async () => (await paymentOf(payment.id)).escrowReleaseDueAt !== null);
    const due = new Date((await paymentOf(payment.id)).escrowReleaseDueAt!);
    expect(due.getTime()).toBeGreaterThan(Date.now() + 23 * 3_600_000);

    const context = paymentsContext(t.config);
    expect(await releaseDueEscrow(t.database.db, context, new Date(Date.now() + 3_600_000))).toBe(0);
    expect(await releaseDueEscrow(t.database.db, context, new Date(due.getTime() + 1000))).toBe(1);
    expect(await paymentOf(payment.id)).toMatchObject({ escrowStatus: 'released' });

    const wallet = expectStatus<{ balances: { currency: string; available: number; pending: number }[] }>(
      await api().get(`/v1/wallet?ownerId=${ownStay.ownerId}`, host.admin),
      200,
    );
    // 10 % commission of 200.00 EUR.
    expect(wallet.balances.find((balance) => balance.currency === 'EUR')).toMatchObject({ available: 18_000 });
    expect(await ledgerConsistent(t, host.orgId)).toEqual({ unbalancedEntries: 0, wrongBalances: 0 });

    // The owner is paid out; a payout that fails gives the balance back; deposits held are never paid out.
    const bank = { id: await bankAccountOf(t, host, { type: 'owner', id: ownStay.ownerId }, '000123456789') };
    const tooMuch = await api().post('/v1/payouts', host.admin, {
      ownerId: ownStay.ownerId,
      amount: 18_001,
      currency: 'EUR',
      bankAccountId: bank.id,
    });
    expect(tooMuch.json()).toMatchObject({ code: 'payments.insufficient_funds' });
    const payout = expectStatus<{ id: string; status: string }>(
      await api().post('/v1/payouts', host.admin, {
        ownerId: ownStay.ownerId,
        amount: 15_000,
        currency: 'EUR',
        bankAccountId: bank.id,
        rail: 'SAME_DAY_ACH',
      }),
      201,
    );
    expect(payout.status).toBe('processing');
    const during = expectStatus<{ balances: { available: number; inTransit: number }[] }>(
      await api().get(`/v1/wallet?ownerId=${ownStay.ownerId}`, host.admin),
      200,
    );
    expect(during.balances[0]).toMatchObject({ available: 3_000, inTransit: 15_000 });
    await advanceSandbox(t);
    expect(expectStatus<{ status: string }>(await api().get(`/v1/payouts/${payout.id}`, host.admin), 200).status).toBe('succeeded');
    const after = expectStatus<{ balances: { available: number; inTransit: number }[] }>(
      await api().get(`/v1/wallet?ownerId=${ownStay.ownerId}`, host.admin),
      200,
    );
    expect(after.balances[0]).toMatchObject({ available: 3_000, inTransit: 0 });
    const transactions = expectStatus<{ data: { type: string; amount: number }[] }>(
      await api().get(`/v1/transactions?ownerId=${ownStay.ownerId}`, host.admin),
      200,
    );
    expect(transactions.data.map((entry) => entry.type)).toEqual(expect.arrayContaining(['escrow_release', 'payout']));
    expect(await ledgerConsistent(t, host.orgId)).toEqual({ unbalancedEntries: 0, wrongBalances: 0 });
  });

  it('gives the balance back when a payout fails', async () => {
    const ownStay = await createStay(t, host, { units: 1 });
    const booking = await heldBooking(t, host.admin, ownStay, day(0), day(1));
    expectStatus(await payIntent(booking.id), 201);
    await advanceSandbox(t);
    expectStatus(await api().post(`/v1/bookings/${booking.id}/check-in`, host.admin), 200);
    await waitFor(
      async () => (await releaseDueEscrow(t.database.db, paymentsContext(t.config), new Date(Date.now() + 30 * 3_600_000))) > 0,
    );
    const bank = { id: await bankAccountOf(t, host, { type: 'owner', id: ownStay.ownerId }, '000111110003') };
    const payout = expectStatus<{ id: string }>(
      await api().post('/v1/payouts', host.admin, { ownerId: ownStay.ownerId, amount: 9_000, currency: 'EUR', bankAccountId: bank.id }),
      201,
    );
    await advanceSandbox(t);
    expect(
      expectStatus<{ status: string; failureCode: string }>(await api().get(`/v1/payouts/${payout.id}`, host.admin), 200),
    ).toMatchObject({
      status: 'failed',
      failureCode: 'R03',
    });
    const wallet = expectStatus<{ balances: { available: number; inTransit: number }[] }>(
      await api().get(`/v1/wallet?ownerId=${ownStay.ownerId}`, host.admin),
      200,
    );
    expect(wallet.balances[0]).toMatchObject({ available: 9_000, inTransit: 0 });
  });
});

describe('direct payments (idempotent)', () => {
  async function customerId(): Promise<string> {
    const created = await api().post('/v1/customers', host.admin, {
      firstName: 'Bob',
      lastName: 'Renter',
      email: `bob.${Date.now()}@example.test`,
    });
    return expectStatus<{ id: string }>(created, 201).id;
  }

  it('makes one payment per key: the same request again returns it, another request with the key is refused', async () => {
    const payer = await customerId();
    const body = {
      idempotencyKey: 'payment-march-123',
      purpose: 'other',
      payerCustomerId: payer,
      amount: 150_000,
      currency: 'EUR',
      method: 'card',
    };
    const first = await api().post('/v1/payments', host.admin, body);
    const created = expectStatus<Payment>(first, 201);
    const again = await api().post('/v1/payments', host.admin, body);
    expect(expectStatus<Payment>(again, 200).id).toBe(created.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const other = await api().post('/v1/payments', host.admin, { ...body, amount: 150_001 });
    expect(other.statusCode).toBe(422);
    expect(other.json()).toMatchObject({ code: 'payments.idempotency_key_reused' });
    const { rows } = await sql<{
      count: string;
    }>`SELECT count(*) FROM sandbox_operation WHERE reference LIKE ${`%${created.id.replaceAll('-', '')}%`}`.execute(t.database.owner);
    expect(Number(rows[0]!.count)).toBe(1);
  });

  it('takes the key from the header too, and refuses two different keys', async () => {
    const payer = await customerId();
    const body = { purpose: 'other', payerCustomerId: payer, amount: 1_000, currency: 'EUR', method: 'card' };
    const reply = await t.app.inject({
      method: 'POST',
      url: '/v1/payments',
      headers: { authorization: `Bearer ${host.admin.accessToken}`, 'idempotency-key': 'header-key-1' },
      payload: { ...body, idempotencyKey: 'body-key-1' },
    });
    expect(reply.statusCode).toBe(422);
    expect(reply.json()).toMatchObject({ code: 'payments.idempotency_key_mismatch' });
  });

  it('records a declined card as failed, with its reason', async () => {
    const payer = await customerId();
    const reply = await api().post('/v1/payments', host.admin, {
      purpose: 'other',
      payerCustomerId: payer,
      amount: 4_502,
      currency: 'EUR',
      method: 'card',
    });
    expect(expectStatus<Payment>(reply, 201)).toMatchObject({ status: 'failed', failureCode: 'card_declined' });
  });

  it('records cash with its receipt once', async () => {
    const payer = await customerId();
    const body = { purpose: 'deposit', payerCustomerId: payer, amount: 50_000, currency: 'EUR', method: 'cash', receiptNumber: 'R-0001' };
    expect(expectStatus<Payment>(await api().post('/v1/payments', host.admin, body), 201)).toMatchObject({
      status: 'succeeded',
      provider: 'manual',
    });
    const again = await api().post('/v1/payments', host.admin, body);
    expect(again.json()).toMatchObject({ code: 'payments.receipt_already_recorded' });
    const missing = await api().post('/v1/payments', host.admin, { ...body, receiptNumber: undefined });
    expect(missing.json()).toMatchObject({ code: 'payments.receipt_required' });
    expect((await balancesOf(t, host.orgId, '2100')).get(payer)).toBe(-50_000);
  });
});

describe('the organization’s money rules', () => {
  it('uses its own commission and escrow grace once set, the defaults before', async () => {
    expect(expectStatus(await api().get('/v1/payment-settings', host.admin), 200)).toEqual({
      commissionBps: 1000,
      escrowReleaseGraceHours: 24,
      own: false,
    });
    const put = (payload: object) =>
      t.app.inject({ method: 'PUT', url: '/v1/payment-settings', headers: { authorization: `Bearer ${host.admin.accessToken}` }, payload });
    expect(expectStatus(await put({ commissionBps: 1500, escrowReleaseGraceHours: 2 }), 200)).toEqual({
      commissionBps: 1500,
      escrowReleaseGraceHours: 2,
      own: true,
    });
    expect((await put({ commissionBps: 10_001, escrowReleaseGraceHours: 2 })).statusCode).toBe(400);

    const ownStay = await createStay(t, host, { units: 1 });
    const booking = await heldBooking(t, host.admin, ownStay, day(0), day(2));
    const payment = expectStatus(await payIntent(booking.id), 201);
    await advanceSandbox(t);
    expectStatus(await api().post(`/v1/bookings/${booking.id}/check-in`, host.admin), 200);
    await waitFor(async () => (await paymentOf(payment.id)).escrowReleaseDueAt !== null);
    const due = new Date((await paymentOf(payment.id)).escrowReleaseDueAt!).getTime();
    expect(due).toBeLessThan(Date.now() + 2 * 3_600_000 + 60_000);
    expect(await releaseDueEscrow(t.database.db, paymentsContext(t.config), new Date(due + 1000))).toBe(1);
    const wallet = expectStatus<{ balances: { available: number }[] }>(
      await api().get(`/v1/wallet?ownerId=${ownStay.ownerId}`, host.admin),
      200,
    );
    // 15 % of 200.00 EUR kept.
    expect(wallet.balances[0]).toMatchObject({ available: 17_000 });
  });
});
