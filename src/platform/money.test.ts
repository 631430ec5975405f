import { describe, expect, it } from 'vitest';
import { allocate, currencyExponent, formatMajorUnits, includedPercentOf, money, multiplyByFraction, percentOf, sum } from './money.ts';

describe('money', () => {
  it('knows each currency’s minor unit', () => {
    expect([currencyExponent('EUR'), currencyExponent('JPY'), currencyExponent('KWD')]).toEqual([2, 0, 3]);
    expect(() => money(1, 'XYZ')).toThrow(RangeError);
    expect(() => money(1.5, 'EUR')).toThrow(RangeError);
  });

  it('rounds a percentage once, half away from zero, to the minor unit', () => {
    expect(percentOf(money(150, 'JPY'), 300)).toEqual({ amount: 5, currency: 'JPY' }); // ¥4.5
    expect(percentOf(money(150, 'JPY'), 100).amount).toBe(2); // ¥1.5
    expect(percentOf(money(-150, 'JPY'), 100).amount).toBe(-2);
    expect(percentOf(money(149, 'JPY'), 100).amount).toBe(1); // ¥1.49
    expect(percentOf(money(315_875, 'KWD'), 1_250).amount).toBe(39_484); // 39.484375
    expect(percentOf(money(18_001, 'EUR'), 5_000).amount).toBe(9_001); // 90.005
  });

  it('multiplies by a fraction exactly before rounding', () => {
    expect(multiplyByFraction(money(100_000, 'EUR'), 12, 31).amount).toBe(38_710); // 38 709.677…
    expect(multiplyByFraction(money(1_001, 'KWD'), 15, 30).amount).toBe(501); // 500.5
    expect(multiplyByFraction(money(-1_001, 'KWD'), 15, 30).amount).toBe(-501);
    expect(multiplyByFraction(money(290_000, 'EUR'), 15, 29).amount).toBe(150_000);
    expect(() => multiplyByFraction(money(1, 'EUR'), 1, 0)).toThrow(RangeError);
  });

  it('finds the tax an inclusive price contains', () => {
    expect(includedPercentOf(money(20_000, 'EUR'), 600).amount).toBe(1_132); // 20 000 × 6 / 106
    expect(includedPercentOf(money(11_000, 'EUR'), 1_000).amount).toBe(1_000);
  });

  it('splits without losing a unit and adds only one currency', () => {
    const parts = allocate(money(100, 'EUR'), [1, 1, 1]);
    expect(parts.map((part) => part.amount).reduce((a, b) => a + b, 0)).toBe(100);
    expect(sum('EUR', [money(1, 'EUR'), money(2, 'EUR')]).amount).toBe(3);
    expect(() => sum('EUR', [money(1, 'USD')])).toThrow(RangeError);
    expect([formatMajorUnits(money(1250, 'EUR')), formatMajorUnits(money(1000, 'JPY')), formatMajorUnits(money(-1250, 'KWD'))]).toEqual([
      '12.50',
      '1000',
      '-1.250',
    ]);
  });
});
