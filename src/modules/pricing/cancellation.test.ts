import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { transactionAsTenant } from '../../platform/db/tenant.ts';
import { uuidv7 } from '../../platform/ids.ts';
import { createInventoryFixture } from '../inventory/index.ts';
import { applicableWindow, CancellationRulesSchema } from './cancellation.ts';
import {
  cancellationPolicySnapshot,
  type CancellationPolicySnapshot,
  cancellationPresetNames,
  cancellationPresets,
  cancellationRefund,
  checkInInstant,
  createPolicyFixture,
  type Quote,
} from './index.ts';
import { totalsOf } from './quote.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

const hour = 3_600_000;

/** A daily quote: two nights, a weekly-style discount, fees, a tax on each and a deposit. */
function dailyQuote(): Quote {
  const lines: Quote['lines'] = [
    { kind: 'night', code: 'night', description: 'Night of 2026-03-08', date: '2026-03-08', amount: 10_000 },
    { kind: 'night', code: 'night', description: 'Night of 2026-03-09', date: '2026-03-09', amount: 10_001 },
    { kind: 'discount', code: 'weekly_discount', description: 'Weekly discount (10%)', amount: -2_000 },
    { kind: 'fee', code: 'cleaning', description: 'Cleaning fee', amount: 3_001 },
    { kind: 'tax', code: 'tax_nights', description: 'VAT (6%)', amount: 1_019, included: true },
    { kind: 'tax', code: 'tax_nights', description: 'City tax (10%)', amount: 1_800 },
    { kind: 'tax', code: 'tax_fees', description: 'City tax (10%) on fees', amount: 301 },
    { kind: 'deposit', code: 'security_deposit', description: 'Security deposit (refundable)', amount: 20_000 },
  ];
  return { rentalMode: 'daily', currency: 'EUR', checkIn: '2026-03-08', checkOut: '2026-03-10', nights: 2, lines, totals: totalsOf(lines) };
}

const preset = (name: (typeof cancellationPresetNames)[number]): CancellationPolicySnapshot => ({
  source: { preset: name },
  rules: cancellationPresets[name].rules,
});

describe('presets', () => {
  it('are valid rules, windows largest first, each stricter than the one before', () => {
    for (const name of cancellationPresetNames) {
      const rules = cancellationPresets[name].rules;
      expect(CancellationRulesSchema.parse(rules)).toEqual(rules);
    }
    // A full refund needs at least as much notice, preset after preset, in every mode.
    const fullRefundNotice = (name: (typeof cancellationPresetNames)[number], mode: 'daily' | 'monthly' | 'lease') =>
      cancellationPresets[name].rules[mode].find((window) => window.refundNightsBps === 10_000)?.beforeCheckInHours ?? Infinity;
    for (const mode of ['daily', 'monthly', 'lease'] as const) {
      const notices = cancellationPresetNames.map((name) => fullRefundNotice(name, mode));
      expect([...notices].sort((a, b) => a - b)).toEqual(notices);
    }
    expect(cancellationPresets.flexible.rules.daily).toEqual([{ beforeCheckInHours: 24, refundNightsBps: 10_000, refundFeesBps: 10_000 }]);
    expect(cancellationPresets.firm.rules.daily).toEqual([
      { beforeCheckInHours: 720, refundNightsBps: 10_000, refundFeesBps: 10_000 },
      { beforeCheckInHours: 168, refundNightsBps: 5_000, refundFeesBps: 10_000 },
    ]);
  });
});

describe('custom rules', () => {
  it('are sorted largest threshold first, and refused with duplicate thresholds or shares beyond 100%', () => {
    const window = (beforeCheckInHours: number, refundNightsBps = 10_000) => ({
      beforeCheckInHours,
      refundNightsBps,
      refundFeesBps: 10_000,
    });
    expect(CancellationRulesSchema.parse({ daily: [window(24), window(240, 5_000)], monthly: [], lease: [] }).daily).toEqual([
      window(240, 5_000),
      window(24),
    ]);
    expect(CancellationRulesSchema.safeParse({ daily: [window(24), window(24, 0)], monthly: [], lease: [] }).success).toBe(false);
    expect(CancellationRulesSchema.safeParse({ daily: [window(24, 10_001)], monthly: [], lease: [] }).success).toBe(false);
    expect(CancellationRulesSchema.safeParse({ daily: [window(-1)], monthly: [], lease: [] }).success).toBe(false);
    expect(CancellationRulesSchema.safeParse({ daily: [] }).success).toBe(false);
  });

  it('apply the window with the largest threshold the notice reaches', () => {
    const windows = cancellationPresets.firm.rules.daily;
    expect(applicableWindow(windows, 721)?.refundNightsBps).toBe(10_000);
    expect(applicableWindow(windows, 720)?.refundNightsBps).toBe(10_000);
    expect(applicableWindow(windows, 719.99)?.refundNightsBps).toBe(5_000);
    expect(applicableWindow(windows, 168)?.refundNightsBps).toBe(5_000);
    expect(applicableWindow(windows, 167.5)).toBeNull();
    expect(applicableWindow(windows, -3)).toBeNull();
  });
});

describe('refunds', () => {
  const checkInAt = new Date('2026-03-08T19:00:00Z');

  it('refund everything but nothing of included taxes when a full window applies', () => {
    const quote = dailyQuote();
    const refund = cancellationRefund(preset('flexible'), { quote, checkInAt, now: new Date(checkInAt.getTime() - 48 * hour) });
    expect(refund).toMatchObject({ refund: quote.totals.total, penalty: 0, currency: 'EUR', window: { beforeCheckInHours: 24 } });
    expect(refund.lines.map((line) => [line.code, line.amount])).toEqual([
      ['refund_accommodation', 18_001],
      ['refund_fees', 3_001],
      ['refund_tax', 1_800],
      ['refund_tax', 301],
      ['refund_deposit', 20_000],
    ]);
  });

  it('refund a share of the nights and of their taxes, the fees with theirs, and always the deposit', () => {
    const quote = dailyQuote();
    const refund = cancellationRefund(preset('firm'), { quote, checkInAt, now: new Date(checkInAt.getTime() - 10 * 24 * hour) });
    expect(refund.window).toEqual({ beforeCheckInHours: 168, refundNightsBps: 5_000, refundFeesBps: 10_000 });
    // 50% of 18 001 = 9 000.5 → 9 001; 50% of 1 800 = 900; the fees and their tax in full.
    expect(refund.lines.map((line) => [line.code, line.amount])).toEqual([
      ['refund_accommodation', 9_001],
      ['refund_fees', 3_001],
      ['refund_tax', 900],
      ['refund_tax', 301],
      ['refund_deposit', 20_000],
    ]);
    expect(refund.refund).toBe(33_203);
    expect(refund.refund + refund.penalty).toBe(quote.totals.total);
  });

  it('refund only the deposit outside every window, and after check-in', () => {
    const quote = dailyQuote();
    for (const now of [new Date(checkInAt.getTime() - 2 * hour), new Date(checkInAt.getTime() + 5 * hour)]) {
      const refund = cancellationRefund(preset('moderate'), { quote, checkInAt, now });
      expect(refund).toMatchObject({ refund: 20_000, penalty: quote.totals.total - 20_000, window: null });
    }
    expect(cancellationRefund(preset('non_refundable'), { quote, checkInAt, now: new Date(0) }).refund).toBe(20_000);
  });

  it('use the rules of the quote’s rental mode', () => {
    const lines: Quote['lines'] = [
      { kind: 'month', code: 'month', description: 'Rent for 2026-09', date: '2026-09-01', amount: 200_000 },
      { kind: 'deposit', code: 'security_deposit', description: 'Security deposit (refundable)', amount: 100_000 },
    ];
    const quote: Quote = {
      rentalMode: 'monthly',
      currency: 'EUR',
      checkIn: '2026-09-01',
      checkOut: '2026-10-01',
      lines,
      totals: totalsOf(lines),
    };
    const monthStart = new Date('2026-09-01T14:00:00Z');
    // Ten days ahead: the daily flexible window would refund everything; the monthly one needs 7 days, so it does too.
    expect(
      cancellationRefund(preset('flexible'), { quote, checkInAt: monthStart, now: new Date(monthStart.getTime() - 10 * 24 * hour) })
        .penalty,
    ).toBe(0);
    // Five days ahead: too late for the monthly flexible window.
    const late = cancellationRefund(preset('flexible'), {
      quote,
      checkInAt: monthStart,
      now: new Date(monthStart.getTime() - 5 * 24 * hour),
    });
    expect(late).toMatchObject({ refund: 100_000, penalty: 200_000, window: null });
    expect(late.lines).toEqual([
      { kind: 'deposit', code: 'refund_deposit', description: 'Refund of the security deposit', amount: 100_000 },
    ]);
  });
});

describe('windows across a daylight-saving change', () => {
  async function propertyIn(timeZone: string) {
    const orgId = uuidv7();
    const { propertyId } = await createInventoryFixture(database.db, orgId, {
      property: { timeZone, currency: timeZone.startsWith('America') ? 'USD' : 'GBP', checkInTime: '15:00' },
    });
    return (date: string) => transactionAsTenant(database.db, orgId, (tx) => checkInInstant(tx, propertyId, date));
  }

  it('counts real hours before check-in at local time when New York springs forward (8 March 2026)', async () => {
    const checkInOn = await propertyIn('America/New_York');
    const checkInAt = await checkInOn('2026-03-08');
    expect(checkInAt.toISOString()).toBe('2026-03-08T19:00:00.000Z'); // 15:00 EDT
    const quote = dailyQuote();
    const flexible = preset('flexible');
    // 14:30 EST the day before looks like 24½ hours on the wall clock, but the night lost an hour: 23½ real hours.
    const wallClockDayBefore = new Date('2026-03-07T19:30:00Z');
    expect(cancellationRefund(flexible, { quote, checkInAt, now: wallClockDayBefore })).toMatchObject({ window: null, refund: 20_000 });
    // 13:59 EST the day before is just over 24 real hours.
    expect(cancellationRefund(flexible, { quote, checkInAt, now: new Date('2026-03-07T18:59:00Z') })).toMatchObject({ penalty: 0 });
  });

  it('counts real hours when London falls back (25 October 2026), and springs forward (29 March 2026)', async () => {
    const checkInOn = await propertyIn('Europe/London');
    const autumn = await checkInOn('2026-10-25');
    expect(autumn.toISOString()).toBe('2026-10-25T15:00:00.000Z'); // 15:00 GMT
    const quote = dailyQuote();
    const flexible = preset('flexible');
    // 15:30 BST the day before: 23½ hours on the wall clock, but the night gained an hour: 24½ real hours.
    expect(cancellationRefund(flexible, { quote, checkInAt: autumn, now: new Date('2026-10-24T14:30:00Z') })).toMatchObject({ penalty: 0 });
    expect(cancellationRefund(flexible, { quote, checkInAt: autumn, now: new Date('2026-10-24T15:30:00Z') })).toMatchObject({
      window: null,
    });

    const spring = await checkInOn('2026-03-29');
    expect(spring.toISOString()).toBe('2026-03-29T14:00:00.000Z'); // 15:00 BST
    // Seven days before at 15:00 on the wall clock (GMT, before the change) is only 167 real hours: too late for the 7-day strict window.
    const strict = preset('strict');
    expect(cancellationRefund(strict, { quote, checkInAt: spring, now: new Date('2026-03-22T15:00:00Z') }).window).toBeNull();
    // 168 real hours before is 14:00 GMT that day.
    expect(cancellationRefund(strict, { quote, checkInAt: spring, now: new Date('2026-03-22T14:00:00Z') }).window).toMatchObject({
      beforeCheckInHours: 168,
    });
  });
});

describe('snapshots', () => {
  it('resolve a preset, or one of the organization’s policies, to data', async () => {
    const orgId = uuidv7();
    const rules = {
      daily: [{ beforeCheckInHours: 48, refundNightsBps: 10_000, refundFeesBps: 10_000 }],
      monthly: [],
      lease: [{ beforeCheckInHours: 24, refundNightsBps: 2_500, refundFeesBps: 0 }],
    };
    const policyId = await createPolicyFixture(database.db, orgId, { name: 'House rules', rules });
    const snapshot = await transactionAsTenant(database.db, orgId, (tx) => cancellationPolicySnapshot(tx, { policyId }));
    expect(snapshot).toEqual({ source: { policyId, name: 'House rules' }, rules });
    const strict = await transactionAsTenant(database.db, orgId, (tx) => cancellationPolicySnapshot(tx, { preset: 'strict' }));
    expect(strict).toEqual({ source: { preset: 'strict' }, rules: cancellationPresets.strict.rules });
    // The snapshot is a copy: nothing done to it reaches the presets.
    strict.rules.daily.length = 0;
    expect(cancellationPresets.strict.rules.daily).toHaveLength(1);

    const elsewhere = transactionAsTenant(database.db, uuidv7(), (tx) => cancellationPolicySnapshot(tx, { policyId }));
    await expect(elsewhere).rejects.toMatchObject({ code: 'pricing.policy_not_found' });
  });
});
