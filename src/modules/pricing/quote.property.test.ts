import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { parseDate } from '../../platform/dates.ts';
import { transactionAsTenant } from '../../platform/db/tenant.ts';
import { uuidv7 } from '../../platform/ids.ts';
import { createInventoryFixture } from '../inventory/index.ts';
import {
  cancellationPresetNames,
  cancellationPresets,
  cancellationRefund,
  createRatePlanFixture,
  type Quote,
  quoteDailyStay,
  quoteLease,
  quoteMonthlyStay,
} from './index.ts';

/**
 * For random plans, seasons, night prices, taxes and stays: a quote's total is the sum of its added
 * lines, each total is the sum of its lines, every amount is a whole number of minor units, and a
 * refund never exceeds what was paid.
 */

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

const day0 = parseDate('2026-01-01');
const dateAt = (offset: number) => day0.add({ days: offset }).toString();
const amount = (max: number) => fc.integer({ min: 0, max });

const weekdayPrices = fc.record(
  {
    mon: amount(900_000),
    tue: amount(900_000),
    wed: amount(900_000),
    thu: amount(900_000),
    fri: amount(900_000),
    sat: amount(900_000),
    sun: amount(900_000),
  },
  { requiredKeys: [] },
);

const tax = fc.oneof(
  fc.record({
    name: fc.constant('Percentage'),
    kind: fc.constant('percentage' as const),
    rateBps: fc.integer({ min: 0, max: 3_000 }),
    inclusive: fc.boolean(),
    appliesToFees: fc.boolean(),
  }),
  fc.record({ name: fc.constant('Per night'), kind: fc.constant('per_night' as const), amount: amount(5_000) }),
  fc.record({ name: fc.constant('Per guest'), kind: fc.constant('per_person_per_night' as const), amount: amount(5_000) }),
);

const world = fc.record({
  currency: fc.constantFrom('EUR', 'JPY', 'KWD', 'USD'),
  plan: fc.record({
    basePrice: amount(900_000),
    weekdayPrices,
    cleaningFee: amount(100_000),
    extraGuestFee: amount(50_000),
    guestsIncluded: fc.integer({ min: 1, max: 4 }),
    serviceFeeBps: fc.integer({ min: 0, max: 2_000 }),
    weeklyDiscountBps: fc.integer({ min: 0, max: 5_000 }),
    monthlyDiscountBps: fc.integer({ min: 0, max: 5_000 }),
  }),
  // Two seasons one after the other (never overlapping), as offsets from the first stay date.
  seasons: fc.array(
    fc.record({ gap: fc.integer({ min: 0, max: 30 }), length: fc.integer({ min: 1, max: 40 }), price: amount(900_000), weekdayPrices }),
    {
      maxLength: 2,
    },
  ),
  overrides: fc.array(fc.record({ offset: fc.integer({ min: 0, max: 80 }), price: amount(900_000) }), { maxLength: 3 }),
  taxes: fc.array(tax, { maxLength: 3 }),
});

const stay = fc.record({
  start: fc.integer({ min: 0, max: 900 }),
  nights: fc.integer({ min: 1, max: 45 }),
  adults: fc.integer({ min: 1, max: 4 }),
  children: fc.integer({ min: 0, max: 2 }),
  months: fc.integer({ min: 1, max: 24 }),
  monthlyPrice: amount(5_000_000),
  deposit: amount(5_000_000),
  preset: fc.constantFrom(...cancellationPresetNames),
  hoursBefore: fc.integer({ min: -48, max: 24 * 90 }),
});

function checkQuote(quote: Quote): void {
  for (const line of quote.lines) {
    expect(Number.isSafeInteger(line.amount), `${line.code} ${line.amount}`).toBe(true);
    if (line.unitAmount !== undefined) expect(Number.isSafeInteger(line.unitAmount)).toBe(true);
  }
  const sum = (predicate: (line: Quote['lines'][number]) => boolean) =>
    quote.lines.filter(predicate).reduce((total, line) => total + line.amount, 0);
  expect(quote.totals.total).toBe(sum((line) => !line.included));
  expect(quote.totals).toEqual({
    accommodation: sum((line) => !line.included && (line.kind === 'night' || line.kind === 'month')),
    fees: sum((line) => line.kind === 'fee'),
    discounts: sum((line) => line.kind === 'discount'),
    taxes: sum((line) => line.kind === 'tax' && !line.included),
    includedTaxes: sum((line) => line.kind === 'tax' && line.included === true),
    deposit: sum((line) => line.kind === 'deposit'),
    total: quote.totals.total,
  });
  expect(quote.totals.discounts).toBeLessThanOrEqual(0);
  expect(quote.totals.accommodation + quote.totals.discounts).toBeGreaterThanOrEqual(0);
}

describe('quotes, for random plans and stays', () => {
  it('add up: the total is the sum of the added lines, every amount is whole, refunds stay within what was paid', async () => {
    await fc.assert(
      fc.asyncProperty(world, stay, async (w, s) => {
        const orgId = uuidv7();
        const inventory = await createInventoryFixture(database.db, orgId, {
          units: 0,
          property: { currency: w.currency },
          unitType: { maxOccupancy: 6, maxAdults: 4 },
        });
        let seasonStart = s.start;
        const seasons = w.seasons.map((season, index) => {
          seasonStart += season.gap;
          const from = dateAt(seasonStart);
          seasonStart += season.length;
          return { name: `Season ${index}`, from, to: dateAt(seasonStart), price: season.price, weekdayPrices: season.weekdayPrices };
        });
        await createRatePlanFixture(database.db, orgId, {
          unitTypeId: inventory.unitTypeId,
          plan: { ...w.plan, currency: w.currency },
          seasons,
          nights: w.overrides.map((night) => ({
            from: dateAt(s.start + night.offset),
            to: dateAt(s.start + night.offset + 1),
            price: night.price,
          })),
          taxes: w.taxes,
        });
        const quotes = await transactionAsTenant(database.db, orgId, async (tx) => {
          const daily = await quoteDailyStay(tx, {
            unitTypeId: inventory.unitTypeId,
            checkIn: dateAt(s.start),
            checkOut: dateAt(s.start + s.nights),
            adults: s.adults,
            children: s.children,
          });
          const terms = { propertyId: inventory.propertyId, start: dateAt(s.start), securityDeposit: s.deposit, currency: w.currency };
          const monthly = await quoteMonthlyStay(tx, { ...terms, months: s.months, monthlyPrice: s.monthlyPrice });
          const lease = await quoteLease(tx, { ...terms, termMonths: s.months, leaseRate: s.monthlyPrice });
          return { daily, monthly, lease };
        });
        expect(quotes.daily.lines.filter((line) => line.kind === 'night')).toHaveLength(s.nights);
        for (const quote of [quotes.daily, quotes.monthly, quotes.lease]) {
          checkQuote(quote);
          const checkInAt = new Date('2026-06-01T12:00:00Z');
          const refund = cancellationRefund(
            { source: { preset: s.preset }, rules: cancellationPresets[s.preset].rules },
            { quote, checkInAt, now: new Date(checkInAt.getTime() - s.hoursBefore * 3_600_000) },
          );
          expect(Number.isSafeInteger(refund.refund)).toBe(true);
          expect(refund.refund).toBe(refund.lines.reduce((total, line) => total + line.amount, 0));
          expect(refund.refund + refund.penalty).toBe(quote.totals.total);
          expect(refund.refund).toBeGreaterThanOrEqual(quote.totals.deposit);
          expect(refund.penalty).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
