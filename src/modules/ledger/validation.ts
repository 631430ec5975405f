import { uuidPattern } from '../../platform/ids.ts';
import { isCurrency } from '../../platform/money.ts';
import { type AccountCode, isAccountCode, type Party, partyProblem } from './chart.ts';
import { ledgerErrors } from './errors.ts';

/**
 * The rules of an entry, checked before anything is written; the database checks the balance
 * again at commit, and its column checks the rest.
 */

export interface AccountKey {
  code: AccountCode;
  currency: string;
  party?: Party | null;
}

export interface EntrySource {
  /** What the entry records: `payment`, `refund`, `payout`, `manual`, `reversal`, … */
  type: string;
  /** Its id (a UUID). */
  id: string;
  /** The step of it that this entry records: `succeeded`, `released`, `posted`, … */
  event: string;
}

/** An account key checked against the chart, in the shape of its row. */
export interface CheckedKey {
  code: AccountCode;
  currency: string;
  partyType: Party['type'] | null;
  partyId: string | null;
}

export function checkAccountKey(key: AccountKey): CheckedKey {
  const code = key.code as string;
  if (!isAccountCode(code)) throw ledgerErrors.raise('invalid_account', `${JSON.stringify(code)} is not an account of the chart`);
  if (typeof key.currency !== 'string' || !isCurrency(key.currency))
    throw ledgerErrors.raise('invalid_account', `${JSON.stringify(key.currency)} is not an ISO 4217 currency`);
  const party = key.party ?? null;
  const problem = partyProblem(code, party);
  if (problem) throw ledgerErrors.raise('invalid_account', problem);
  return { code, currency: key.currency, partyType: party?.type ?? null, partyId: party?.id ?? null };
}

const sourceType = /^[a-z][a-z_]{1,39}$/;
const sourceEvent = /^[a-z][a-z0-9_.]{0,59}$/;

export function checkSource(source: EntrySource): EntrySource {
  if (!sourceType.test(source.type))
    throw ledgerErrors.raise('invalid_entry', `A source type is 2 to 40 lower-case letters or _, not ${JSON.stringify(source.type)}`);
  if (!uuidPattern.test(source.id)) throw ledgerErrors.raise('invalid_entry', `A source id is a UUID, not ${JSON.stringify(source.id)}`);
  if (!sourceEvent.test(source.event))
    throw ledgerErrors.raise(
      'invalid_entry',
      `A source event is 1 to 60 lower-case letters, digits, _ or ., not ${JSON.stringify(source.event)}`,
    );
  return { type: source.type, id: source.id.toLowerCase(), event: source.event };
}

export function checkDescription(description: string): string {
  if (typeof description !== 'string' || description.trim().length === 0 || description.length > 500)
    throw ledgerErrors.raise('invalid_entry', 'A description is 1 to 500 characters');
  return description;
}

export function checkAmount(amount: number): number {
  if (!Number.isSafeInteger(amount) || amount === 0)
    throw ledgerErrors.raise('invalid_amount', `A posting amount is a whole, non-zero number of minor units, not ${amount}`);
  return amount;
}

/** Metadata from callers in plain JavaScript too: an object, or nothing. */
export function checkMetadata(metadata: unknown): Record<string, unknown> {
  if (metadata === undefined) return {};
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata))
    throw ledgerErrors.raise('invalid_entry', 'Metadata is a JSON object');
  return metadata as Record<string, unknown>;
}

export function checkEffectiveAt(effectiveAt: Date | undefined): Date {
  if (effectiveAt === undefined) return new Date();
  if (!(effectiveAt instanceof Date) || Number.isNaN(effectiveAt.getTime()))
    throw ledgerErrors.raise('invalid_entry', 'effectiveAt is not a valid date');
  return effectiveAt;
}

/**
 * Two postings or more, summing to zero in each currency. Sums are exact (BigInt), whatever the
 * amounts.
 */
export function checkBalanced(postings: { currency: string; amount: number }[]): void {
  if (postings.length < 2) throw ledgerErrors.raise('unbalanced', `A journal entry needs at least two postings, not ${postings.length}`);
  const totals = new Map<string, bigint>();
  for (const { currency, amount } of postings) totals.set(currency, (totals.get(currency) ?? 0n) + BigInt(amount));
  const off = [...totals].filter(([, total]) => total !== 0n);
  if (off.length > 0)
    throw ledgerErrors.raise(
      'unbalanced',
      `The postings sum to ${off.map(([currency, total]) => `${total} ${currency}`).join(', ')} instead of zero in each currency`,
    );
}
