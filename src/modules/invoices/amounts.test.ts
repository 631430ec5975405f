import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Quote, QuoteLine } from '../pricing/index.ts';
import { chargeIncome, draftBooking, draftCharges, percentText, quantityText, thousandthsOf } from './amounts.ts';

describe('quantities', () => {
  it('take up to 3 decimal places, as thousandths', () => {
    expect(thousandthsOf(1)).toBe(1000);
    expect(thousandthsOf(2.5)).toBe(2500);
    expect(thousandthsOf(0.001)).toBe(1);
    expect(thousandthsOf(1.125)).toBe(1125);
    expect(thousandthsOf(1.1234)).toBeUndefined();
    expect(thousandthsOf(1e-7)).toBeUndefined();
    expect(thousandthsOf(0)).toBeUndefined();
    expect(thousandthsOf(-1)).toBeUndefined();
    expect(quantityText(2500)).toBe('2.500');
    expect(quantityText(1)).toBe('0.001');
    expect(percentText(2000)).toBe('20%');
    expect(percentText(1750)).toBe('17.5%');
    expect(percentText(125)).toBe('1.25%');
  });
});

describe('charge amounts', () => {
  it('round each line once, half away from zero, and the tax once on the subtotal', () => {
    const draft = draftCharges(
      'EUR',
      [
        { description: 'a', quantity: 0.5, unitAmount: 1, kind: 'charge' },
        { description: 'b', quantity: 1.5, unitAmount: 1, kind: 'fee' },
      ],
      { rateBps: 1250, inclusive: false },
    );
    // 0.5 → 1, 1.5 → 2; 12.5% of 3 = 0.375 → 0 (the tax is not the sum of per-line taxes).
    expect(draft.lines.map((line) => line.amount)).toEqual([1, 2, 0]);
    expect(draft).toMatchObject({ subtotal: 3, taxTotal: 0, total: 3 });
  });

  it('always add up, and credit the incomes and taxes with exactly the total', () => {
    const line = fc.record({
      description: fc.constant('x'),
      quantity: fc.integer({ min: 1, max: 100_000 }).map((thousandths) => thousandths / 1000),
      unitAmount: fc.integer({ min: 0, max: 10_000_000 }),
      kind: fc.constantFrom('charge' as const, 'fee' as const),
    });
    fc.assert(
      fc.property(
        fc.array(line, { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.boolean(),
        (lines, rateBps, inclusive) => {
          const draft = draftCharges('EUR', lines, { rateBps, inclusive });
          const sum = draft.lines.filter((each) => each.kind !== 'tax').reduce((total, each) => total + each.amount, 0);
          expect(draft.subtotal).toBe(sum);
          expect(draft.total).toBe(draft.subtotal + draft.taxTotal);
          expect(inclusive ? draft.taxTotal : draft.includedTax).toBe(0);
          const income = chargeIncome(draft, 'EUR');
          expect(income.rental + income.fees + income.tax).toBe(draft.total);
          expect(income.rental).toBeGreaterThanOrEqual(0);
          expect(income.fees).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });
});

describe('booking lines', () => {
  const night = (date: string, amount: number): QuoteLine => ({
    kind: 'night',
    code: 'night',
    description: `Night of ${date}`,
    date,
    amount,
  });
  const quote = (lines: QuoteLine[]): Quote => ({
    rentalMode: 'daily',
    currency: 'EUR',
    checkIn: '2026-05-01',
    checkOut: '2026-05-06',
    lines,
    totals: { accommodation: 0, fees: 0, discounts: 0, taxes: 0, includedTaxes: 0, deposit: 0, total: 0 },
  });

  it('join consecutive nights at one price, and copy every other line', () => {
    const draft = draftBooking(
      quote([
        night('2026-05-01', 10_000),
        night('2026-05-02', 10_000),
        night('2026-05-03', 12_000),
        night('2026-05-04', 10_000),
        night('2026-05-05', 10_000),
        { kind: 'discount', code: 'weekly', description: 'Weekly discount (10%)', amount: -5200 },
        { kind: 'fee', code: 'extra', description: 'Extra guests', quantity: 5, unitAmount: 1000, amount: 5000 },
        { kind: 'tax', code: 'vat', description: 'VAT (6%)', amount: 2800, included: true },
        { kind: 'tax', code: 'city', description: 'City tax', amount: 1000 },
        { kind: 'deposit', code: 'security_deposit', description: 'Security deposit (refundable)', amount: 20_000 },
      ]),
    );
    expect(draft.lines.map((line) => [line.kind, line.description, line.quantityThousandths / 1000, line.unitAmount, line.amount])).toEqual(
      [
        ['night', '2 nights, 2026-05-01 to 2026-05-02', 2, 10_000, 20_000],
        ['night', 'Night of 2026-05-03', 1, 12_000, 12_000],
        ['night', '2 nights, 2026-05-04 to 2026-05-05', 2, 10_000, 20_000],
        ['discount', 'Weekly discount (10%)', 1, -5200, -5200],
        ['fee', 'Extra guests', 5, 1000, 5000],
        ['tax', 'VAT (6%)', 1, 2800, 2800],
        ['tax', 'City tax', 1, 1000, 1000],
        ['deposit', 'Security deposit (refundable)', 1, 20_000, 20_000],
      ],
    );
    expect(draft).toMatchObject({ subtotal: 71_800, taxTotal: 1000, includedTax: 2800, total: 72_800 });
  });

  it('shows a prorated month as one unit of its amount', () => {
    const draft = draftBooking(
      quote([
        {
          kind: 'month',
          code: 'month_prorated',
          description: 'Rent for 2026-05-10 to the end of 2026-05',
          date: '2026-05-10',
          quantity: 22,
          amount: 106_452,
        },
      ]),
    );
    expect(draft.lines[0]).toMatchObject({ quantityThousandths: 1000, unitAmount: 106_452, amount: 106_452 });
  });
});
