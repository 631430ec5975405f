import { allocate, includedPercentOf, money, multiplyByFraction, percentOf } from '../../platform/money.ts';
import type { Quote, QuoteLine } from '../pricing/index.ts';
import type { InvoiceLineKind } from './schemas.ts';

/**
 * What an invoice's lines and totals are, computed once when it is issued and stored: amounts are
 * rounded once each (src/platform/money.ts, half away from zero), and every total is the sum of
 * rounded lines. `subtotal` is every line that is not a tax, `taxTotal` the taxes added to it,
 * `total` = subtotal + taxTotal; an inclusive tax is shown as a line marked `included` and counted
 * in `includedTax` only.
 */

export interface DraftLine {
  kind: InvoiceLineKind;
  description: string;
  /** Thousandths of a unit: the quantity column is numeric(12, 3). */
  quantityThousandths: number;
  unitAmount: number;
  amount: number;
  included: boolean;
}

export interface DraftInvoice {
  lines: DraftLine[];
  subtotal: number;
  taxTotal: number;
  includedTax: number;
  total: number;
}

export const maxQuantity = 1_000_000;
const maxDescription = 500;

/** The quantity in thousandths when it has at most 3 decimal places; undefined otherwise. */
export function thousandthsOf(quantity: number): number | undefined {
  if (!Number.isFinite(quantity) || quantity <= 0 || quantity > maxQuantity) return undefined;
  const match = /^(\d+)(?:\.(\d{1,3}))?$/.exec(String(quantity));
  if (!match) return undefined;
  return Number(match[1]) * 1000 + Number((match[2] ?? '').padEnd(3, '0'));
}

/** Thousandths as the numeric column's text: 1500 → "1.500". */
export function quantityText(thousandths: number): string {
  return `${Math.floor(thousandths / 1000)}.${String(thousandths % 1000).padStart(3, '0')}`;
}

/** A percentage in basis points as people write it: 2000 → "20%", 1750 → "17.5%". */
export function percentText(basisPoints: number): string {
  return `${(basisPoints / 100).toFixed(2).replace(/\.?0+$/, '')}%`;
}

function totalsOf(lines: DraftLine[]): DraftInvoice {
  let subtotal = 0;
  let taxTotal = 0;
  let includedTax = 0;
  for (const line of lines) {
    if (line.kind !== 'tax') subtotal += line.amount;
    else if (line.included) includedTax += line.amount;
    else taxTotal += line.amount;
  }
  return { lines, subtotal, taxTotal, includedTax, total: subtotal + taxTotal };
}

export interface ChargeLineInput {
  description: string;
  quantity: number;
  unitAmount: number;
  kind: 'charge' | 'fee';
}

export interface TaxInput {
  rateBps: number;
  inclusive: boolean;
}

/**
 * A charge invoice: each line is quantity × unit amount rounded once; the tax is computed once on
 * the subtotal (exclusive: added; inclusive: the part the subtotal already contains).
 */
export function draftCharges(currency: string, input: ChargeLineInput[], tax: TaxInput | undefined): DraftInvoice {
  const lines: DraftLine[] = input.map((line) => {
    const quantityThousandths = thousandthsOf(line.quantity);
    if (quantityThousandths === undefined) throw new RangeError(`A quantity has at most 3 decimal places, not ${line.quantity}`);
    return {
      kind: line.kind,
      description: line.description.slice(0, maxDescription),
      quantityThousandths,
      unitAmount: line.unitAmount,
      amount: multiplyByFraction(money(line.unitAmount, currency), quantityThousandths, 1000).amount,
      included: false,
    };
  });
  if (tax && tax.rateBps > 0) {
    const subtotal = money(
      lines.reduce((total, line) => total + line.amount, 0),
      currency,
    );
    const amount = (tax.inclusive ? includedPercentOf(subtotal, tax.rateBps) : percentOf(subtotal, tax.rateBps)).amount;
    lines.push({
      kind: 'tax',
      description: tax.inclusive ? `Tax included (${percentText(tax.rateBps)})` : `Tax (${percentText(tax.rateBps)})`,
      quantityThousandths: 1000,
      unitAmount: amount,
      amount,
      included: tax.inclusive,
    });
  }
  return totalsOf(lines);
}

/**
 * What a charge invoice credits, net of tax: rental income (its `charge` lines), fee income (its
 * `fee` lines) and the tax owed. An inclusive tax comes out of the lines it is in, split between
 * the two incomes in proportion to them (the parts add up to the tax exactly).
 */
export function chargeIncome(draft: DraftInvoice, currency: string): { rental: number; fees: number; tax: number } {
  const sumOf = (kind: InvoiceLineKind) => draft.lines.filter((line) => line.kind === kind).reduce((total, line) => total + line.amount, 0);
  const rental = sumOf('charge');
  const fees = sumOf('fee');
  if (draft.includedTax === 0 || rental + fees === 0) return { rental, fees, tax: draft.taxTotal };
  const [fromRental, fromFees] = allocate(money(draft.includedTax, currency), [rental, fees]).map((part) => part.amount);
  return { rental: rental - (fromRental ?? 0), fees: fees - (fromFees ?? 0), tax: draft.includedTax };
}

function nightDate(line: QuoteLine): string | undefined {
  return line.kind === 'night' && line.quantity === undefined && line.date !== undefined ? line.date : undefined;
}

function nextDay(date: string): string {
  const next = new Date(`${date}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return next.toISOString().slice(0, 10);
}

function nightsDescription(first: string, last: string, count: number): string {
  return count === 1 ? `Night of ${first}` : `${count} nights, ${first} to ${last}`;
}

/** A quoted line as an invoice line: its quantity and unit price when they make its amount, else 1 × the amount. */
function lineOfQuote(line: QuoteLine): DraftLine {
  const thousandths = line.quantity === undefined ? undefined : thousandthsOf(line.quantity);
  const priced = thousandths !== undefined && line.unitAmount !== undefined && line.quantity! * line.unitAmount === line.amount;
  return {
    kind: line.kind,
    description: line.description.slice(0, maxDescription),
    quantityThousandths: priced ? thousandths : 1000,
    unitAmount: priced ? line.unitAmount! : line.amount,
    amount: line.amount,
    included: line.included ?? false,
  };
}

/**
 * A booking's invoice lines, from the quote it was priced with, in the quote's order: consecutive
 * nights at one price become one line (3 nights × 100.00), every other line is copied.
 */
export function draftBooking(quote: Quote): DraftInvoice {
  const lines: DraftLine[] = [];
  let run: { first: string; last: string; count: number; price: number; line: DraftLine } | undefined;
  for (const quoted of quote.lines) {
    const date = nightDate(quoted);
    if (date !== undefined && run && run.price === quoted.amount && nextDay(run.last) === date) {
      run.last = date;
      run.count += 1;
      run.line.quantityThousandths = run.count * 1000;
      run.line.amount = run.count * run.price;
      run.line.description = nightsDescription(run.first, run.last, run.count);
      continue;
    }
    const line = lineOfQuote(quoted);
    lines.push(line);
    run = date === undefined ? undefined : { first: date, last: date, count: 1, price: quoted.amount, line };
  }
  return totalsOf(lines);
}
