import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import type { Tx } from '../../platform/db/database.ts';
import { transactionAsTenant } from '../../platform/db/tenant.ts';
import { uuidv7 } from '../../platform/ids.ts';
import { createInventoryFixture } from '../inventory/index.ts';
import {
  createRatePlanFixture,
  createTaxFixture,
  fromPrice,
  type Quote,
  type QuoteLine,
  quoteDailyStay,
  quoteLease,
  quoteMonthlyStay,
  rateNights,
} from './index.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

type PlanOptions = NonNullable<Parameters<typeof createRatePlanFixture>[2]>;

/** An organization with a property, a unit type (2 guests unless overridden) and, unless `plan: null`, a rate plan. */
async function world(
  options: {
    currency?: string;
    timeZone?: string;
    maxOccupancy?: number;
    maxAdults?: number;
    plan?: PlanOptions['plan'] | null;
    seasons?: PlanOptions['seasons'];
    nights?: PlanOptions['nights'];
    taxes?: PlanOptions['taxes'];
  } = {},
) {
  const orgId = uuidv7();
  const currency = options.currency ?? 'EUR';
  const inventory = await createInventoryFixture(database.db, orgId, {
    property: { currency, timeZone: options.timeZone ?? 'Europe/Lisbon' },
    unitType: { maxOccupancy: options.maxOccupancy ?? 2, maxAdults: options.maxAdults ?? options.maxOccupancy ?? 2 },
  });
  const plan =
    options.plan === null
      ? undefined
      : await createRatePlanFixture(database.db, orgId, {
          unitTypeId: inventory.unitTypeId,
          plan: { currency, ...options.plan },
          seasons: options.seasons,
          nights: options.nights,
          taxes: options.taxes,
        });
  const inTenant = <T>(work: (tx: Tx) => Promise<T>) => transactionAsTenant(database.db, orgId, work);
  return {
    orgId,
    currency,
    ...inventory,
    ratePlanId: plan?.ratePlanId,
    inTenant,
    daily: (stay: { checkIn: string; checkOut: string; adults?: number; children?: number; ratePlanId?: string }) =>
      inTenant((tx) => quoteDailyStay(tx, { unitTypeId: inventory.unitTypeId, adults: 2, children: 0, ...stay })),
    monthly: (terms: { start: string; months: number; monthlyPrice: number; securityDeposit?: number; currency?: string }) =>
      inTenant((tx) => quoteMonthlyStay(tx, { propertyId: inventory.propertyId, securityDeposit: 0, currency, ...terms })),
    lease: (terms: { start: string; termMonths: number; leaseRate: number; securityDeposit?: number; currency?: string }) =>
      inTenant((tx) => quoteLease(tx, { propertyId: inventory.propertyId, securityDeposit: 0, currency, ...terms })),
  };
}

/** The problem an AppError would become: its code and field errors. */
async function refusal(promise: Promise<unknown>): Promise<{ code: string; status: number; errors?: { code: string; path: string }[] }> {
  try {
    await promise;
  } catch (error) {
    const { code, status, extra } = error as { code: string; status: number; extra?: { errors?: { code: string; path: string }[] } };
    return { code, status, ...(extra?.errors ? { errors: extra.errors.map(({ code: rule, path }) => ({ code: rule, path })) } : {}) };
  }
  throw new Error('expected a refusal');
}

const byKind = (quote: Quote, kind: QuoteLine['kind']) => quote.lines.filter((line) => line.kind === kind);
const addedSum = (quote: Quote) => quote.lines.filter((line) => !line.included).reduce((total, line) => total + line.amount, 0);

describe('daily stays', () => {
  it('prices each night by precedence: night override > season weekday > season > plan weekday > base', async () => {
    const w = await world({
      plan: { basePrice: 10_000, weekdayPrices: { fri: 12_000, sat: 13_000 } },
      seasons: [{ name: 'Summer peak', from: '2026-07-10', to: '2026-07-17', price: 15_000, weekdayPrices: { sat: 18_000 } }],
      nights: [{ from: '2026-07-15', to: '2026-07-16', price: 9_000 }],
    });
    const quote = await w.daily({ checkIn: '2026-07-08', checkOut: '2026-07-19' });
    expect(byKind(quote, 'night').map((line) => [line.date, line.amount])).toEqual([
      ['2026-07-08', 10_000], // Wednesday: base
      ['2026-07-09', 10_000],
      ['2026-07-10', 15_000], // Friday in the season: the season beats the plan's Friday price
      ['2026-07-11', 18_000], // Saturday in the season: the season's Saturday price
      ['2026-07-12', 15_000],
      ['2026-07-13', 15_000],
      ['2026-07-14', 15_000],
      ['2026-07-15', 9_000], // the night's own price beats the season
      ['2026-07-16', 15_000],
      ['2026-07-17', 12_000], // the season is over (its end is exclusive): the plan's Friday price
      ['2026-07-18', 13_000],
    ]);
    expect(quote).toMatchObject({ rentalMode: 'daily', currency: 'EUR', checkIn: '2026-07-08', checkOut: '2026-07-19', nights: 11 });
    expect(quote.ratePlanId).toBe(w.ratePlanId);
    expect(quote.totals).toEqual({ accommodation: 147_000, fees: 0, discounts: 0, taxes: 0, includedTaxes: 0, deposit: 0, total: 147_000 });

    const nights = await w.inTenant((tx) => rateNights(tx, { unitTypeId: w.unitTypeId, from: '2026-07-08', to: '2026-07-19' }));
    expect(nights.map((night) => night.price)).toEqual(byKind(quote, 'night').map((line) => line.amount));
    expect(nights[0]).toEqual({
      night: '2026-07-08',
      price: 10_000,
      currency: 'EUR',
      minStay: null,
      maxStay: null,
      closedToArrival: false,
      closedToDeparture: false,
      stopSell: false,
    });
  });

  it('adds the extra-guest and cleaning fees, discounts long stays and charges the service fee on the rest', async () => {
    const w = await world({
      maxOccupancy: 4,
      plan: {
        basePrice: 10_000,
        cleaningFee: 5_000,
        extraGuestFee: 1_500,
        guestsIncluded: 2,
        serviceFeeBps: 1_000,
        weeklyDiscountBps: 1_000,
        monthlyDiscountBps: 2_500,
      },
    });
    // 6 nights: no discount. 3 guests: one beyond the two included, for each night.
    const six = await w.daily({ checkIn: '2026-09-01', checkOut: '2026-09-07', adults: 2, children: 1 });
    expect(six.lines.filter((line) => line.kind !== 'night')).toEqual([
      {
        kind: 'fee',
        code: 'extra_guests',
        description: 'Extra guests (1 beyond 2, per night)',
        quantity: 6,
        unitAmount: 1_500,
        amount: 9_000,
      },
      { kind: 'fee', code: 'cleaning', description: 'Cleaning fee', amount: 5_000 },
      // 10% of 60 000 + 9 000 + 5 000
      { kind: 'fee', code: 'service', description: 'Service fee (10%)', amount: 7_400 },
    ]);
    expect(six.totals).toMatchObject({ accommodation: 60_000, fees: 21_400, discounts: 0, total: 81_400 });

    // 7 nights: the weekly discount on the nights only; the service fee follows the discounted nights.
    const seven = await w.daily({ checkIn: '2026-09-01', checkOut: '2026-09-08' });
    expect(byKind(seven, 'discount')).toEqual([
      { kind: 'discount', code: 'weekly_discount', description: 'Weekly discount (10%)', amount: -7_000 },
    ]);
    expect(seven.lines.find((line) => line.code === 'service')?.amount).toBe(6_800); // 10% of 63 000 + 5 000
    expect(seven.totals).toEqual({
      accommodation: 70_000,
      fees: 11_800,
      discounts: -7_000,
      taxes: 0,
      includedTaxes: 0,
      deposit: 0,
      total: 74_800,
    });

    // 28 nights: the monthly discount replaces the weekly one.
    const month = await w.daily({ checkIn: '2026-09-01', checkOut: '2026-09-29' });
    expect(byKind(month, 'discount')).toEqual([
      { kind: 'discount', code: 'monthly_discount', description: 'Monthly discount (25%)', amount: -70_000 },
    ]);

    // A plan without a monthly discount keeps the weekly one for long stays.
    const weeklyOnly = await world({ plan: { basePrice: 10_000, weeklyDiscountBps: 500 } });
    const long = await weeklyOnly.daily({ checkIn: '2026-09-01', checkOut: '2026-10-01' });
    expect(byKind(long, 'discount')).toEqual([
      { kind: 'discount', code: 'weekly_discount', description: 'Weekly discount (5%)', amount: -15_000 },
    ]);
  });

  it('adds exclusive taxes and shows inclusive ones without adding them', async () => {
    const w = await world({
      maxOccupancy: 3,
      plan: { basePrice: 10_000, cleaningFee: 2_000 },
      taxes: [
        { name: 'VAT', kind: 'percentage', rateBps: 600, inclusive: true, appliesToFees: false },
        { name: 'City tax', kind: 'percentage', rateBps: 1_000 },
        { name: 'Tourism levy', kind: 'per_night', amount: 200 },
        { name: 'Municipal tax', kind: 'per_person_per_night', amount: 150 },
      ],
    });
    const quote = await w.daily({ checkIn: '2026-05-04', checkOut: '2026-05-06', adults: 2, children: 1 });
    expect(byKind(quote, 'tax')).toEqual([
      // The part of 20 000 a 6% tax already contains: 20 000 × 6 / 106 = 1 132.07…
      { kind: 'tax', code: 'tax_nights', description: 'VAT (6%)', amount: 1_132, included: true },
      { kind: 'tax', code: 'tax_nights', description: 'City tax (10%)', amount: 2_000 },
      { kind: 'tax', code: 'tax_fees', description: 'City tax (10%) on fees', amount: 200 },
      { kind: 'tax', code: 'tax_nights', description: 'Tourism levy (per night)', quantity: 2, unitAmount: 200, amount: 400 },
      { kind: 'tax', code: 'tax_nights', description: 'Municipal tax (per guest per night)', quantity: 6, unitAmount: 150, amount: 900 },
    ]);
    expect(quote.totals).toEqual({
      accommodation: 20_000,
      fees: 2_000,
      discounts: 0,
      taxes: 3_500,
      includedTaxes: 1_132,
      deposit: 0,
      total: 25_500,
    });
    expect(quote.totals.total).toBe(addedSum(quote));
  });

  it('taxes the nights after the discount', async () => {
    const w = await world({
      plan: { basePrice: 10_000, weeklyDiscountBps: 2_000 },
      taxes: [{ name: 'VAT', kind: 'percentage', rateBps: 1_000 }],
    });
    const quote = await w.daily({ checkIn: '2026-05-04', checkOut: '2026-05-11' });
    expect(byKind(quote, 'tax')).toEqual([{ kind: 'tax', code: 'tax_nights', description: 'VAT (10%)', amount: 5_600 }]);
  });

  it('prices in currencies without minor units (JPY) and with three decimals (KWD), rounding half away from zero', async () => {
    const yen = await world({
      currency: 'JPY',
      timeZone: 'Asia/Tokyo',
      plan: { basePrice: 150, serviceFeeBps: 300 },
      taxes: [{ name: 'Consumption tax', kind: 'percentage', rateBps: 100, appliesToFees: false }],
    });
    const night = await yen.daily({ checkIn: '2026-04-01', checkOut: '2026-04-02' });
    // 3% of ¥150 = ¥4.5 → ¥5; 1% of ¥150 = ¥1.5 → ¥2
    expect(night.lines.map((line) => [line.code, line.amount])).toEqual([
      ['night', 150],
      ['service', 5],
      ['tax_nights', 2],
    ]);
    expect(night.totals.total).toBe(157);

    const dinar = await world({
      currency: 'KWD',
      timeZone: 'Asia/Kuwait',
      plan: { basePrice: 45_125, weeklyDiscountBps: 1_250 },
      taxes: [{ name: 'Levy', kind: 'per_night', amount: 500, currency: 'KWD' }],
    });
    const week = await dinar.daily({ checkIn: '2026-04-01', checkOut: '2026-04-08' });
    // 7 × 45.125 KWD = 315.875; 12.5% = 39.484375 → 39.484
    expect(week.totals).toMatchObject({ accommodation: 315_875, discounts: -39_484, taxes: 3_500, total: 279_891 });
    expect(week.currency).toBe('KWD');
  });

  it('refuses a stay that breaks its nights’ restrictions, listing each broken rule', async () => {
    const w = await world({
      nights: [
        { from: '2026-08-03', to: '2026-08-04', minStay: 3, maxStay: 5, closedToArrival: true },
        { from: '2026-08-04', to: '2026-08-05', stopSell: true },
        { from: '2026-08-05', to: '2026-08-06', closedToDeparture: true },
      ],
    });
    expect(await refusal(w.daily({ checkIn: '2026-08-03', checkOut: '2026-08-05' }))).toEqual({
      code: 'pricing.stay_restricted',
      status: 422,
      errors: [
        { code: 'stop_sell', path: 'nights.2026-08-04' },
        { code: 'min_stay', path: 'checkIn' },
        { code: 'closed_to_arrival', path: 'checkIn' },
        { code: 'closed_to_departure', path: 'checkOut' },
      ],
    });
    expect(await refusal(w.daily({ checkIn: '2026-08-01', checkOut: '2026-08-06' }))).toMatchObject({
      errors: [{ code: 'stop_sell', path: 'nights.2026-08-04' }],
    });
    // Closed to departure applies to the check-out date only: staying the night of 5 August is fine.
    await expect(w.daily({ checkIn: '2026-08-05', checkOut: '2026-08-06' })).resolves.toMatchObject({ nights: 1 });
    await expect(w.daily({ checkIn: '2026-08-01', checkOut: '2026-08-03' })).resolves.toMatchObject({ nights: 2 });
    const departure = await world({ nights: [{ from: '2026-08-05', to: '2026-08-06', closedToDeparture: true }] });
    expect(await refusal(departure.daily({ checkIn: '2026-08-03', checkOut: '2026-08-05' }))).toEqual({
      code: 'pricing.stay_restricted',
      status: 422,
      errors: [{ code: 'closed_to_departure', path: 'checkOut' }],
    });
    // The arrival night's minimum and maximum stay; other nights' do not count.
    const lengths = await world({ nights: [{ from: '2026-08-10', to: '2026-08-11', minStay: 2, maxStay: 3 }] });
    expect(await refusal(lengths.daily({ checkIn: '2026-08-10', checkOut: '2026-08-14' }))).toMatchObject({
      errors: [{ code: 'max_stay', path: 'checkIn' }],
    });
    await expect(lengths.daily({ checkIn: '2026-08-10', checkOut: '2026-08-12' })).resolves.toMatchObject({ nights: 2 });
    await expect(lengths.daily({ checkIn: '2026-08-09', checkOut: '2026-08-10' })).resolves.toMatchObject({ nights: 1 });
  });

  it('refuses more guests than the unit type takes, impossible dates and unit types without a plan', async () => {
    const w = await world({ maxOccupancy: 3, maxAdults: 2 });
    expect(await refusal(w.daily({ checkIn: '2026-08-01', checkOut: '2026-08-02', adults: 2, children: 2 }))).toMatchObject({
      code: 'pricing.over_capacity',
    });
    expect(await refusal(w.daily({ checkIn: '2026-08-01', checkOut: '2026-08-02', adults: 3, children: 0 }))).toMatchObject({
      code: 'pricing.over_capacity',
    });
    await expect(w.daily({ checkIn: '2026-08-01', checkOut: '2026-08-02', adults: 2, children: 1 })).resolves.toBeDefined();
    for (const stay of [
      { checkIn: '2026-08-02', checkOut: '2026-08-02' },
      { checkIn: '2026-08-03', checkOut: '2026-08-02' },
      { checkIn: '2026-08-01', checkOut: '2027-08-02' },
      { checkIn: '2026-02-30', checkOut: '2026-03-02' },
    ]) {
      expect(await refusal(w.daily(stay))).toMatchObject({ code: 'pricing.invalid_stay', status: 422 });
    }
    await expect(w.daily({ checkIn: '2026-08-01', checkOut: '2027-08-01' })).resolves.toMatchObject({ nights: 365 });

    const bare = await world({ plan: null });
    expect(await refusal(bare.daily({ checkIn: '2026-08-01', checkOut: '2026-08-02' }))).toMatchObject({ code: 'pricing.no_rate_plan' });
    await expect(
      bare.inTenant((tx) => rateNights(tx, { unitTypeId: bare.unitTypeId, from: '2026-08-01', to: '2026-08-03' })),
    ).resolves.toEqual([]);
    await expect(bare.inTenant((tx) => fromPrice(tx, bare.unitTypeId))).resolves.toBeUndefined();
  });

  it('prices with a named plan, and refuses a plan of another unit type', async () => {
    const w = await world({ plan: { basePrice: 10_000 } });
    const other = await createRatePlanFixture(database.db, w.orgId, {
      unitTypeId: w.unitTypeId,
      plan: { code: 'NONREF', name: 'Non-refundable', basePrice: 8_500 },
    });
    const quote = await w.daily({ checkIn: '2026-08-01', checkOut: '2026-08-02', ratePlanId: other.ratePlanId });
    expect(quote).toMatchObject({ ratePlanId: other.ratePlanId, totals: { total: 8_500 } });
    const elsewhere = await world();
    expect(await refusal(w.daily({ checkIn: '2026-08-01', checkOut: '2026-08-02', ratePlanId: elsewhere.ratePlanId! }))).toMatchObject({
      code: 'pricing.rate_plan_not_found',
    });
  });

  it('sees nothing of another organization', async () => {
    const mine = await world();
    const theirs = await world();
    const quote = transactionAsTenant(database.db, mine.orgId, (tx) =>
      quoteDailyStay(tx, { unitTypeId: theirs.unitTypeId, checkIn: '2026-08-01', checkOut: '2026-08-02', adults: 1, children: 0 }),
    );
    expect(await refusal(quote)).toMatchObject({ code: 'pricing.unit_type_not_found', status: 404 });
  });
});

describe('from prices', () => {
  it('is the lowest of the base price and the prices of seasons not yet over', async () => {
    const w = await world({
      plan: { basePrice: 10_000 },
      seasons: [
        { name: 'Long gone', from: '2020-01-01', to: '2020-02-01', price: 1_000 },
        { name: 'Low season', from: '2099-01-01', to: '2099-03-01', price: 7_500 },
        { name: 'High season', from: '2099-07-01', to: '2099-09-01', price: 20_000 },
      ],
    });
    await expect(w.inTenant((tx) => fromPrice(tx, w.unitTypeId))).resolves.toEqual({ amount: 7_500, currency: 'EUR' });
  });
});

describe('monthly stays', () => {
  it('bills a start on the 31st as one day of January, then whole February', async () => {
    const w = await world();
    const quote = await w.monthly({ start: '2026-01-31', months: 1, monthlyPrice: 310_000, securityDeposit: 50_000 });
    expect(quote.lines).toEqual([
      {
        kind: 'month',
        code: 'month_prorated',
        description: 'Rent for 2026-01-31 to the end of 2026-01 (1 of 31 days)',
        date: '2026-01-31',
        quantity: 1,
        amount: 10_000,
      },
      {
        kind: 'month',
        code: 'month',
        description: 'Rent for 2026-02',
        date: '2026-02-01',
        quantity: 1,
        unitAmount: 310_000,
        amount: 310_000,
      },
      { kind: 'deposit', code: 'security_deposit', description: 'Security deposit (refundable)', amount: 50_000 },
    ]);
    expect(quote).toMatchObject({ rentalMode: 'monthly', checkIn: '2026-01-31', checkOut: '2026-03-01', months: 1, nights: 29 });
    expect(quote.totals).toEqual({
      accommodation: 320_000,
      fees: 0,
      discounts: 0,
      taxes: 0,
      includedTaxes: 0,
      deposit: 50_000,
      total: 370_000,
    });
  });

  it('prorates February by its actual days: 29 in a leap year (2028), 28 in a common one (2027)', async () => {
    const w = await world();
    const leap = await w.monthly({ start: '2028-02-15', months: 1, monthlyPrice: 290_000 });
    expect(leap.lines[0]).toMatchObject({ code: 'month_prorated', quantity: 15, amount: 150_000 }); // 15 of 29 days
    expect(leap.checkOut).toBe('2028-04-01');
    const common = await w.monthly({ start: '2027-02-15', months: 1, monthlyPrice: 290_000 });
    expect(common.lines[0]).toMatchObject({ code: 'month_prorated', quantity: 14, amount: 145_000 }); // 14 of 28 days
    expect(common.checkOut).toBe('2027-04-01');
    const lastOfLeap = await w.monthly({ start: '2028-02-29', months: 2, monthlyPrice: 290_000 });
    expect(lastOfLeap.lines.map((line) => [line.date, line.amount])).toEqual([
      ['2028-02-29', 10_000],
      ['2028-03-01', 290_000],
      ['2028-04-01', 290_000],
    ]);
    expect(lastOfLeap.checkOut).toBe('2028-05-01');
  });

  it('bills whole months from the 1st, and rounds a proration once, half away from zero', async () => {
    const w = await world();
    const whole = await w.monthly({ start: '2026-03-01', months: 2, monthlyPrice: 100_000 });
    expect(whole.lines.map((line) => [line.code, line.date, line.amount])).toEqual([
      ['month', '2026-03-01', 100_000],
      ['month', '2026-04-01', 100_000],
    ]);
    expect(whole.checkOut).toBe('2026-05-01');
    // 100 000 × 12 / 31 = 38 709.68 → 38 710
    const prorated = await w.monthly({ start: '2026-01-20', months: 1, monthlyPrice: 100_000 });
    expect(prorated.lines[0]).toMatchObject({ quantity: 12, amount: 38_710 });

    const dinar = await world({ currency: 'KWD', timeZone: 'Asia/Kuwait' });
    // 1.001 KWD × 15 / 30 = 0.5005 → 0.501
    const half = await dinar.monthly({ start: '2026-04-16', months: 1, monthlyPrice: 1_001 });
    expect(half.lines[0]).toMatchObject({ quantity: 15, amount: 501 });
    const yen = await world({ currency: 'JPY', timeZone: 'Asia/Tokyo' });
    // ¥99 999 × 10 / 30 = ¥33 333
    const tenDays = await yen.monthly({ start: '2026-06-21', months: 1, monthlyPrice: 99_999 });
    expect(tenDays.lines[0]).toMatchObject({ quantity: 10, amount: 33_333 });
    expect(tenDays.totals.total).toBe(33_333 + 99_999);
  });

  it('taxes the rent (never the deposit), per night over the days billed', async () => {
    const w = await world({
      taxes: [
        { name: 'Rental tax', kind: 'percentage', rateBps: 500 },
        { name: 'Levy', kind: 'per_night', amount: 100 },
        { name: 'Short-stay tax', kind: 'percentage', rateBps: 1_000, rentalModes: ['daily'] },
      ],
    });
    const quote = await w.monthly({ start: '2026-04-01', months: 1, monthlyPrice: 200_000, securityDeposit: 100_000 });
    expect(byKind(quote, 'tax').map((line) => [line.description, line.amount])).toEqual([
      ['Rental tax (5%)', 10_000],
      ['Levy (per night)', 3_000],
    ]);
    expect(quote.totals).toMatchObject({ accommodation: 200_000, taxes: 13_000, deposit: 100_000, total: 313_000 });
  });

  it("refuses a currency other than the property's and impossible terms", async () => {
    const w = await world();
    expect(await refusal(w.monthly({ start: '2026-04-01', months: 1, monthlyPrice: 1, currency: 'USD' }))).toMatchObject({
      code: 'pricing.currency_mismatch',
    });
    expect(await refusal(w.monthly({ start: '2026-04-01', months: 0, monthlyPrice: 1 }))).toMatchObject({ code: 'pricing.invalid_stay' });
    expect(await refusal(w.monthly({ start: '2026-04-31', months: 1, monthlyPrice: 1 }))).toMatchObject({ code: 'pricing.invalid_stay' });
    expect(await refusal(w.monthly({ start: '2026-04-01', months: 1, monthlyPrice: 1.5 }))).toMatchObject({ code: 'pricing.invalid_stay' });
  });
});

describe('leases', () => {
  it('is due the deposit and the first month, prorated from mid-month; it ends the term later', async () => {
    const w = await world({
      taxes: [
        { name: 'Rent tax', kind: 'percentage', rateBps: 1_000 },
        { name: 'Levy', kind: 'per_night', amount: 100 },
      ],
    });
    const quote = await w.lease({ start: '2026-01-31', termMonths: 12, leaseRate: 155_000, securityDeposit: 310_000 });
    expect(quote.lines).toEqual([
      {
        kind: 'month',
        code: 'month_prorated',
        description: 'Rent for 2026-01-31 to the end of 2026-01 (1 of 31 days)',
        date: '2026-01-31',
        quantity: 1,
        amount: 5_000,
      },
      { kind: 'tax', code: 'tax_nights', description: 'Rent tax (10%)', amount: 500 },
      { kind: 'deposit', code: 'security_deposit', description: 'Security deposit (refundable)', amount: 310_000 },
    ]);
    expect(quote).toMatchObject({ rentalMode: 'lease', checkIn: '2026-01-31', checkOut: '2027-01-31', months: 12 });
    expect(quote.totals).toMatchObject({ accommodation: 5_000, taxes: 500, deposit: 310_000, total: 315_500 });

    const fromTheFirst = await w.lease({ start: '2026-02-01', termMonths: 6, leaseRate: 155_000 });
    expect(fromTheFirst.lines[0]).toMatchObject({ code: 'month', amount: 155_000 });
    expect(fromTheFirst.checkOut).toBe('2026-08-01');
    // A month after January 31 is the last day of February.
    await expect(w.lease({ start: '2026-01-31', termMonths: 1, leaseRate: 1 })).resolves.toMatchObject({ checkOut: '2026-02-28' });
    await expect(w.lease({ start: '2028-01-31', termMonths: 1, leaseRate: 1 })).resolves.toMatchObject({ checkOut: '2028-02-29' });
  });
});

describe('taxes that cannot be applied', () => {
  it('refuses a fixed tax in another currency than the stay when it is quoted', async () => {
    const w = await world({ currency: 'EUR' });
    await createTaxFixture(database.db, w.orgId, w.propertyId, { name: 'Levy', kind: 'per_night', amount: 100 });
    // The property's currency cannot change once it has units; a tax row in another currency is refused at quote time all the same.
    await database.owner.updateTable('tax').set({ currency: 'USD' }).where('propertyId', '=', w.propertyId).execute();
    expect(await refusal(w.daily({ checkIn: '2026-08-01', checkOut: '2026-08-02' }))).toMatchObject({ code: 'pricing.currency_mismatch' });
  });
});
