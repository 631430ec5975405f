import { uuidPattern } from '../../platform/ids.ts';

/**
 * The chart of accounts every organization posts to. An account is opened on first use for one
 * code, currency and party (a sub-ledger account of a customer, an owner or a provider), so the
 * chart names what may exist, not what does.
 */

export const accountTypes = ['asset', 'liability', 'equity', 'income', 'expense'] as const;
export type AccountType = (typeof accountTypes)[number];

export const partyTypes = ['customer', 'owner', 'provider'] as const;
export type PartyType = (typeof partyTypes)[number];

export interface Party {
  type: PartyType;
  id: string;
}

/** The providers whose money passes through a clearing account (1100) before it reaches the bank. */
export const clearingProviders = ['sandbox', 'stripe', 'mpesa'] as const;

export const accountCodes = [
  '1000',
  '1010',
  '1100',
  '1200',
  '2000',
  '2100',
  '2200',
  '2300',
  '2400',
  '2600',
  '3000',
  '4000',
  '4100',
  '4200',
  '5000',
  '5100',
] as const;
export type AccountCode = (typeof accountCodes)[number];

export interface AccountDefinition {
  code: AccountCode;
  name: string;
  type: AccountType;
  /** The party types an account of this code belongs to; empty when it belongs to none. */
  parties: readonly PartyType[];
  /** Whether an account of this code must name a party (else it may also be the organization's own). */
  partyRequired: boolean;
}

function account(code: AccountCode, name: string, type: AccountType, party: { types?: PartyType[]; required?: boolean } = {}) {
  const parties = party.types ?? [];
  return { code, name, type, parties, partyRequired: party.required ?? parties.length > 0 } satisfies AccountDefinition;
}

export const chart: Readonly<Record<AccountCode, AccountDefinition>> = {
  '1000': account('1000', 'Cash on hand', 'asset'),
  '1010': account('1010', 'Bank', 'asset'),
  '1100': account('1100', 'Provider clearing', 'asset', { types: ['provider'] }),
  '1200': account('1200', 'Accounts receivable', 'asset', { types: ['customer'] }),
  // Without an owner: escrow for the organization's own property.
  '2000': account('2000', 'Escrow held for stays', 'liability', { types: ['owner'], required: false }),
  '2100': account('2100', 'Security deposits held', 'liability', { types: ['customer'] }),
  '2200': account('2200', 'Owner payables', 'liability', { types: ['owner'] }),
  '2300': account('2300', 'Payouts in transit', 'liability', { types: ['owner'] }),
  '2400': account('2400', 'Refunds payable', 'liability', { types: ['customer'] }),
  '2600': account('2600', 'Taxes payable', 'liability'),
  '3000': account('3000', 'Opening balances', 'equity'),
  '4000': account('4000', 'Rental income', 'income'),
  '4100': account('4100', 'Commission income', 'income'),
  '4200': account('4200', 'Fee income', 'income'),
  '5000': account('5000', 'Refunds and goodwill', 'expense'),
  '5100': account('5100', 'Payment processing fees', 'expense'),
};

export function isAccountCode(code: string): code is AccountCode {
  return (accountCodes as readonly string[]).includes(code);
}

/**
 * The side on which an account of this type grows: assets and expenses on the debit side, the
 * others on the credit side. Postings are signed debit positive, so an account's balance on its
 * normal side is `balance × normalSign`.
 */
export function normalSide(type: AccountType): 'debit' | 'credit' {
  return type === 'asset' || type === 'expense' ? 'debit' : 'credit';
}

export function normalSign(type: AccountType): 1 | -1 {
  return normalSide(type) === 'debit' ? 1 : -1;
}

/** Debits minus credits shown on the account type's normal side (never -0). */
export function onNormalSide(type: AccountType, debitsMinusCredits: number): number {
  return normalSign(type) * debitsMinusCredits || 0;
}

/** Why a party does not fit the code, or undefined when it does. */
export function partyProblem(code: AccountCode, party: Party | null | undefined): string | undefined {
  const definition = chart[code];
  if (!party)
    return definition.partyRequired ? `Account ${code} (${definition.name}) needs a ${definition.parties.join(' or ')} party` : undefined;
  if (!definition.parties.includes(party.type)) {
    return definition.parties.length === 0
      ? `Account ${code} (${definition.name}) belongs to no party`
      : `Account ${code} (${definition.name}) belongs to a ${definition.parties.join(' or ')}, not a ${party.type}`;
  }
  if (party.type === 'provider') {
    if (!(clearingProviders as readonly string[]).includes(party.id))
      return `A provider party is one of ${clearingProviders.join(', ')}, not ${JSON.stringify(party.id)}`;
  } else if (!uuidPattern.test(party.id)) {
    return `A ${party.type} party is named by its id (a UUID), not ${JSON.stringify(party.id)}`;
  }
  return undefined;
}
