import type { Queryable } from '../../platform/db/database.ts';
import { addMonths, firstOfNextMonth, instantAt, nightsBetween, parseDate, type PlainDate } from '../../platform/dates.ts';
import type { FieldError } from '../../platform/http/errors.ts';
import { includedPercentOf, isCurrency, money, multiplyByFraction, percentOf } from '../../platform/money.ts';
import { propertyFacts, unitTypeFacts } from '../inventory/index.ts';
import { taxOnFeesCode, taxOnNightsCode } from './cancellation.ts';
import { pricingErrors } from './errors.ts';
import { nightsOfPlan, planOf } from './nights.ts';
import { type TaxRow, taxesOfProperty } from './store.ts';
import type { Quote, QuoteLine, QuoteTotals, RentalMode } from './types.ts';

/** How a quote is built, the rounding rule and examples: docs/pricing.md. */

export const maxStayNights = 365;
export const maxMonths = 120;

/** The totals of lines: every total is the sum of its lines; included taxes are shown, not added. */
export function totalsOf(lines: readonly QuoteLine[]): QuoteTotals {
  const totals: QuoteTotals = { accommodation: 0, fees: 0, discounts: 0, taxes: 0, includedTaxes: 0, deposit: 0, total: 0 };
  for (const line of lines) {
    if (line.included) {
      totals.includedTaxes += line.amount;
      continue;
    }
    if (line.kind === 'night' || line.kind === 'month') totals.accommodation += line.amount;
    else if (line.kind === 'fee') totals.fees += line.amount;
    else if (line.kind === 'discount') totals.discounts += line.amount;
    else if (line.kind === 'tax') totals.taxes += line.amount;
    else totals.deposit += line.amount;
    totals.total += line.amount;
  }
  return totals;
}

function stayDate(text: string, field: string): PlainDate {
  try {
    return parseDate(text);
  } catch {
    throw pricingErrors.raise('invalid_stay', `${field} is a date, YYYY-MM-DD`);
  }
}

function wholeNumber(value: number, field: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw pricingErrors.raise('invalid_stay', `${field} is a whole number from ${min} to ${max}`);
  }
}

const percent = (bps: number) => `${bps / 100}%`;

/**
 * The tax lines of a quote. A percentage tax is charged on the nights (after discounts) and, when it
 * applies to fees, on the fees, as two lines each rounded once; an inclusive one is the part the
 * prices already contain, shown as `included` and not added. A fixed tax is per night, or per guest
 * per night; stays without a guest count (monthly, leases) skip per-guest taxes, and leases, which
 * bill months rather than nights, skip fixed taxes.
 */
function taxLines(
  taxes: readonly TaxRow[],
  stay: { currency: string; nightsBase: number; feesBase: number; nights: number; guests: number | null; mode: RentalMode },
): QuoteLine[] {
  const lines: QuoteLine[] = [];
  for (const tax of taxes) {
    if (tax.kind === 'percentage') {
      const bps = tax.rateBps ?? 0;
      const part = (base: number) => (tax.inclusive ? includedPercentOf : percentOf)(money(base, stay.currency), bps).amount;
      const included = tax.inclusive ? { included: true } : {};
      const onNights = part(stay.nightsBase);
      if (onNights !== 0) {
        lines.push({ kind: 'tax', code: taxOnNightsCode, description: `${tax.name} (${percent(bps)})`, amount: onNights, ...included });
      }
      const onFees = tax.appliesToFees ? part(stay.feesBase) : 0;
      if (onFees !== 0) {
        lines.push({ kind: 'tax', code: taxOnFeesCode, description: `${tax.name} (${percent(bps)}) on fees`, amount: onFees, ...included });
      }
      continue;
    }
    if (stay.mode === 'lease') continue;
    const quantity = tax.kind === 'per_night' ? stay.nights : stay.guests === null ? 0 : stay.guests * stay.nights;
    if (quantity === 0 || !tax.amount) continue;
    if (tax.currency !== stay.currency) {
      throw pricingErrors.raise('currency_mismatch', `The tax ${tax.name} is in ${tax.currency ?? '?'}, the stay in ${stay.currency}`);
    }
    const description = tax.kind === 'per_night' ? `${tax.name} (per night)` : `${tax.name} (per guest per night)`;
    lines.push({ kind: 'tax', code: taxOnNightsCode, description, quantity, unitAmount: tax.amount, amount: quantity * tax.amount });
  }
  return lines;
}

function quoteOf(head: Omit<Quote, 'lines' | 'totals'>, lines: QuoteLine[]): Quote {
  return { ...head, lines, totals: totalsOf(lines) };
}

const sumOf = (lines: readonly QuoteLine[]) => lines.reduce((total, line) => total + line.amount, 0);

/**
 * A daily stay: one line per night at its price, the length-of-stay discount on the nights, the
 * extra-guest fee, the cleaning fee, the service fee and the taxes. Refuses stays that break the
 * nights' restrictions (422 `pricing.stay_restricted`, each broken rule in `errors`) or the unit
 * type's capacity (422 `pricing.over_capacity`).
 */
export async function quoteDailyStay(
  db: Queryable,
  input: { unitTypeId: string; ratePlanId?: string; checkIn: string; checkOut: string; adults: number; children: number },
): Promise<Quote> {
  const checkIn = stayDate(input.checkIn, 'checkIn');
  const checkOut = stayDate(input.checkOut, 'checkOut');
  const nights = nightsBetween(checkIn, checkOut);
  if (nights < 1) throw pricingErrors.raise('invalid_stay', 'checkOut is after checkIn');
  if (nights > maxStayNights) throw pricingErrors.raise('invalid_stay', `A stay has at most ${maxStayNights} nights`);
  wholeNumber(input.adults, 'adults', 1, 100);
  wholeNumber(input.children, 'children', 0, 100);

  const unitType = await unitTypeFacts(db, input.unitTypeId);
  if (!unitType) throw pricingErrors.raise('unit_type_not_found');
  const guests = input.adults + input.children;
  if (guests > unitType.maxOccupancy || input.adults > unitType.maxAdults) {
    throw pricingErrors.raise(
      'over_capacity',
      `${unitType.name} takes at most ${unitType.maxOccupancy} guests, of whom ${unitType.maxAdults} adults; asked for ${input.adults} adults and ${input.children} children`,
    );
  }
  const plan = await planOf(db, unitType.id, input.ratePlanId);
  if (!plan) throw pricingErrors.raise('no_rate_plan');

  // The check-out date's row too: it may be closed to departure.
  const calendar = await nightsOfPlan(db, plan, checkIn, checkOut.add({ days: 1 }));
  const stayNights = calendar.slice(0, nights);
  const arrival = calendar[0]!;
  const departure = calendar[nights]!;
  const broken: FieldError[] = [];
  for (const night of stayNights) {
    if (night.stopSell)
      broken.push({ path: `nights.${night.night}`, code: 'stop_sell', message: `The night of ${night.night} is not for sale` });
  }
  if (arrival.minStay !== null && nights < arrival.minStay) {
    broken.push({
      path: 'checkIn',
      code: 'min_stay',
      message: `Stays arriving on ${arrival.night} are at least ${arrival.minStay} nights`,
    });
  }
  if (arrival.maxStay !== null && nights > arrival.maxStay) {
    broken.push({ path: 'checkIn', code: 'max_stay', message: `Stays arriving on ${arrival.night} are at most ${arrival.maxStay} nights` });
  }
  if (arrival.closedToArrival) broken.push({ path: 'checkIn', code: 'closed_to_arrival', message: `No arrivals on ${arrival.night}` });
  if (departure.closedToDeparture) {
    broken.push({ path: 'checkOut', code: 'closed_to_departure', message: `No departures on ${departure.night}` });
  }
  if (broken.length > 0) {
    throw pricingErrors.raise('stay_restricted', broken.map((rule) => rule.message).join('; '), { errors: broken });
  }

  const currency = plan.currency;
  const lines: QuoteLine[] = stayNights.map((night) => ({
    kind: 'night',
    code: 'night',
    description: `Night of ${night.night}`,
    date: night.night,
    amount: night.price,
  }));
  const accommodation = sumOf(lines);
  // The monthly discount replaces the weekly one; a plan without one falls back to the weekly discount.
  const discount =
    nights >= 28 && plan.monthlyDiscountBps > 0
      ? { code: 'monthly_discount', label: 'Monthly discount', bps: plan.monthlyDiscountBps }
      : nights >= 7 && plan.weeklyDiscountBps > 0
        ? { code: 'weekly_discount', label: 'Weekly discount', bps: plan.weeklyDiscountBps }
        : undefined;
  if (discount) {
    const amount = -percentOf(money(accommodation, currency), discount.bps).amount;
    if (amount !== 0)
      lines.push({ kind: 'discount', code: discount.code, description: `${discount.label} (${percent(discount.bps)})`, amount });
  }
  const extraGuests = Math.max(0, guests - plan.guestsIncluded);
  if (extraGuests > 0 && plan.extraGuestFee > 0) {
    lines.push({
      kind: 'fee',
      code: 'extra_guests',
      description: `Extra guests (${extraGuests} beyond ${plan.guestsIncluded}, per night)`,
      quantity: extraGuests * nights,
      unitAmount: plan.extraGuestFee,
      amount: extraGuests * nights * plan.extraGuestFee,
    });
  }
  if (plan.cleaningFee > 0) lines.push({ kind: 'fee', code: 'cleaning', description: 'Cleaning fee', amount: plan.cleaningFee });
  // The service fee is charged on everything the stay costs before taxes: the nights after the discount and the fees.
  const serviceBase = sumOf(lines);
  const serviceFee = percentOf(money(serviceBase, currency), plan.serviceFeeBps).amount;
  if (serviceFee !== 0)
    lines.push({ kind: 'fee', code: 'service', description: `Service fee (${percent(plan.serviceFeeBps)})`, amount: serviceFee });

  const taxes = await taxesOfProperty(db, plan.propertyId, { rentalMode: 'daily' });
  const nightsBase = sumOf(lines.filter((line) => line.kind === 'night' || line.kind === 'discount'));
  const feesBase = sumOf(lines.filter((line) => line.kind === 'fee'));
  lines.push(...taxLines(taxes, { currency, nightsBase, feesBase, nights, guests, mode: 'daily' }));

  return quoteOf(
    { rentalMode: 'daily', currency, checkIn: checkIn.toString(), checkOut: checkOut.toString(), nights, ratePlanId: plan.id },
    lines,
  );
}

/**
 * The rent of the calendar month that `start` falls in, from `start` to the month's end: the whole
 * price from the 1st, else the price × the days left (the start day included) / the month's days,
 * rounded once.
 */
export function firstMonthLine(start: PlainDate, price: number, currency: string): QuoteLine {
  const month = start.toPlainYearMonth().toString();
  if (start.day === 1) {
    return {
      kind: 'month',
      code: 'month',
      description: `Rent for ${month}`,
      date: start.toString(),
      quantity: 1,
      unitAmount: price,
      amount: price,
    };
  }
  const days = start.daysInMonth - start.day + 1;
  return {
    kind: 'month',
    code: 'month_prorated',
    description: `Rent for ${start.toString()} to the end of ${month} (${days} of ${start.daysInMonth} days)`,
    date: start.toString(),
    quantity: days,
    amount: multiplyByFraction(money(price, currency), days, start.daysInMonth).amount,
  };
}

function checkTerms(
  input: { start: string; months: number; price: number; securityDeposit: number; currency: string },
  fields: { months: string; price: string },
) {
  const start = stayDate(input.start, 'start');
  wholeNumber(input.months, fields.months, 1, maxMonths);
  wholeNumber(input.price, fields.price, 0);
  wholeNumber(input.securityDeposit, 'securityDeposit', 0);
  if (!isCurrency(input.currency)) throw pricingErrors.raise('invalid_stay', `${input.currency} is not an ISO 4217 currency`);
  return start;
}

async function propertyIn(db: Queryable, propertyId: string, currency: string) {
  const property = await propertyFacts(db, propertyId);
  if (!property) throw pricingErrors.raise('property_not_found');
  if (property.currency !== currency) {
    throw pricingErrors.raise('currency_mismatch', `The property's currency is ${property.currency}, not ${currency}`);
  }
  return property;
}

function depositLine(amount: number): QuoteLine[] {
  return amount > 0 ? [{ kind: 'deposit', code: 'security_deposit', description: 'Security deposit (refundable)', amount }] : [];
}

/**
 * A monthly stay, billed by calendar month: a start that is not the 1st pays its month prorated
 * (see `firstMonthLine`), then `months` whole calendar months follow; from the 1st, `months` whole
 * months. checkOut is the first day after the last billed month. Plus the deposit and the taxes.
 */
export async function quoteMonthlyStay(
  db: Queryable,
  input: { propertyId: string; start: string; months: number; monthlyPrice: number; securityDeposit: number; currency: string },
): Promise<Quote> {
  const start = checkTerms({ ...input, price: input.monthlyPrice }, { months: 'months', price: 'monthlyPrice' });
  await propertyIn(db, input.propertyId, input.currency);
  const { currency, monthlyPrice } = input;
  const lines: QuoteLine[] = [];
  let month = start;
  if (start.day !== 1) {
    lines.push(firstMonthLine(start, monthlyPrice, currency));
    month = firstOfNextMonth(start);
  }
  for (let index = 0; index < input.months; index++, month = firstOfNextMonth(month))
    lines.push(firstMonthLine(month, monthlyPrice, currency));
  const checkOut = month;
  const nights = nightsBetween(start, checkOut);
  const taxes = await taxesOfProperty(db, input.propertyId, { rentalMode: 'monthly' });
  lines.push(...taxLines(taxes, { currency, nightsBase: sumOf(lines), feesBase: 0, nights, guests: null, mode: 'monthly' }));
  lines.push(...depositLine(input.securityDeposit));
  return quoteOf(
    { rentalMode: 'monthly', currency, checkIn: start.toString(), checkOut: checkOut.toString(), nights, months: input.months },
    lines,
  );
}

/**
 * A lease: what is due at signing, the deposit and the first month's rent (prorated as for monthly
 * stays when the lease starts mid-month), with the percentage taxes on that rent. checkOut is the
 * start plus the term (clamped to the month's last day: January 31 + 1 month = February 28 or 29).
 */
export async function quoteLease(
  db: Queryable,
  input: { propertyId: string; start: string; termMonths: number; leaseRate: number; securityDeposit: number; currency: string },
): Promise<Quote> {
  const start = checkTerms({ ...input, months: input.termMonths, price: input.leaseRate }, { months: 'termMonths', price: 'leaseRate' });
  await propertyIn(db, input.propertyId, input.currency);
  const { currency } = input;
  const lines: QuoteLine[] = [firstMonthLine(start, input.leaseRate, currency)];
  const checkOut = addMonths(start, input.termMonths);
  const taxes = await taxesOfProperty(db, input.propertyId, { rentalMode: 'lease' });
  lines.push(...taxLines(taxes, { currency, nightsBase: sumOf(lines), feesBase: 0, nights: 0, guests: null, mode: 'lease' }));
  lines.push(...depositLine(input.securityDeposit));
  return quoteOf(
    {
      rentalMode: 'lease',
      currency,
      checkIn: start.toString(),
      checkOut: checkOut.toString(),
      nights: nightsBetween(start, checkOut),
      months: input.termMonths,
    },
    lines,
  );
}

/** The instant of check-in on a date: the property's check-in time in its time zone (cancellation windows count from it). */
export async function checkInInstant(db: Queryable, propertyId: string, date: string): Promise<Date> {
  const property = await propertyFacts(db, propertyId);
  if (!property) throw pricingErrors.raise('property_not_found');
  return instantAt(stayDate(date, 'checkIn'), property.checkInTime, property.timeZone);
}
