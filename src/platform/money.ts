import {
  allocate as allocateDinero,
  type DineroCurrency as Currency,
  dinero,
  type Dinero,
  halfAwayFromZero,
  multiply,
  toSnapshot,
  transformScale,
} from 'dinero.js';
import * as isoCurrencies from 'dinero.js/currencies';

/**
 * Money: an integer amount in the currency's minor units (cents, yen, fils) and its ISO 4217 code.
 * Never a float. The rounding rule, everywhere: an amount that is not a whole minor unit (a
 * percentage, a proration) is computed exactly and rounded once, half away from zero, to the
 * currency's minor unit; a total is the sum of its rounded lines, so lines always add up to it.
 * Splitting an amount (allocation) never rounds: the remainder goes unit by unit to the largest
 * shares first, so the parts add up to the whole.
 */
export interface Money {
  amount: number;
  currency: string;
}

const currencies = new Map<string, Currency<number>>(
  Object.values(isoCurrencies as Record<string, Currency<number>>).map((currency) => [currency.code, currency]),
);

export function isCurrency(code: string): boolean {
  return currencies.has(code);
}

function currencyOf(code: string): Currency<number> {
  const currency = currencies.get(code);
  if (!currency) throw new RangeError(`Unknown ISO 4217 currency ${JSON.stringify(code)}`);
  return currency;
}

/** How many decimals the currency's minor unit has: 2 for USD, 0 for JPY, 3 for KWD. */
export function currencyExponent(code: string): number {
  return currencyOf(code).exponent;
}

export function money(amount: number, currency: string): Money {
  if (!Number.isSafeInteger(amount)) throw new RangeError(`A money amount is a whole number of minor units, not ${amount}`);
  currencyOf(currency);
  return { amount, currency };
}

function toDinero({ amount, currency }: Money): Dinero<number> {
  return dinero({ amount, currency: currencyOf(currency) });
}

function fromDinero(value: Dinero<number>): Money {
  const { amount, currency } = toSnapshot(value);
  return { amount, currency: currency.code };
}

/** amount × numerator / denominator, rounded once by the rule above. */
export function multiplyByFraction(value: Money, numerator: number, denominator: number): Money {
  if (!Number.isSafeInteger(numerator) || !Number.isSafeInteger(denominator) || denominator <= 0) {
    throw new RangeError(`A fraction of whole numbers with a positive denominator, not ${numerator}/${denominator}`);
  }
  // Exact in integers: amount × numerator / denominator = q + r/denominator, then half away from zero.
  const product = BigInt(value.amount) * BigInt(numerator);
  const divisor = BigInt(denominator);
  const quotient = product / divisor;
  const twiceRemainder = 2n * (product % divisor);
  const roundAway = twiceRemainder >= divisor || -twiceRemainder >= divisor;
  const rounded = roundAway ? quotient + (product < 0n ? -1n : 1n) : quotient;
  return money(Number(rounded), value.currency);
}

/** A percentage given in basis points (1% = 100 bps), rounded by the rule above. */
export function percentOf(value: Money, basisPoints: number): Money {
  const scaled = multiply(toDinero(value), { amount: basisPoints, scale: 4 });
  return fromDinero(transformScale(scaled, currencyExponent(value.currency), halfAwayFromZero));
}

/** The part of an amount that an inclusive percentage tax already contains: amount × r / (1 + r). */
export function includedPercentOf(value: Money, basisPoints: number): Money {
  return multiplyByFraction(value, basisPoints, 10_000 + basisPoints);
}

/** Splits an amount by ratios; the parts add up to the amount exactly. */
export function allocate(value: Money, ratios: readonly number[]): Money[] {
  return allocateDinero(toDinero(value), [...ratios]).map(fromDinero);
}

export function sum(currency: string, values: readonly Money[]): Money {
  let total = 0;
  for (const value of values) {
    if (value.currency !== currency) throw new RangeError(`Cannot add ${value.currency} to ${currency}`);
    total += value.amount;
  }
  return money(total, currency);
}

/** The amount as a decimal string in major units ("12.50", "1000", "1.250"), for people to read. */
export function formatMajorUnits({ amount, currency }: Money): string {
  const exponent = currencyExponent(currency);
  if (exponent === 0) return String(amount);
  const sign = amount < 0 ? '-' : '';
  const digits = String(Math.abs(amount)).padStart(exponent + 1, '0');
  return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}
