import { type Caller, recordChange } from '../../platform/audit/change.ts';
import type { AuditAction } from '../../platform/audit/audit-log.ts';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import { type DataKey, fingerprintOf, fingerprintsOf, openText, sealText } from '../../platform/encryption.ts';
import { uuidv7 } from '../../platform/ids.ts';
import { customerFacts, customerIdsOfUser } from '../customers/index.ts';
import { ownerFacts, ownerIdOfUser } from '../inventory/index.ts';
import type { Scope } from '../organizations/index.ts';
import { bankAccountErrors } from './bank-account-errors.ts';
import {
  activeAccountsOf,
  actingOrganization,
  bankAccountById,
  type BankAccountReach,
  type BankAccountRow,
  type Holder,
  type HolderType,
  holderTypes,
  insertBankAccount,
  lockHolder,
  searchBankAccounts,
  updateBankAccount,
} from './bank-account-store.ts';
import { checkBankIdentifiers } from './routing-numbers.ts';

/**
 * Bank accounts of owners (payouts go to them), customers (payments come from them) and the
 * organization itself. The number is sealed under DATA_ENCRYPTION_KEYS and only its last four
 * characters are ever shown, audited or published; `bankAccountForUse` opens it for a provider call.
 * Each holder with active accounts has exactly one primary (the database checks it at commit).
 */

export { type BankAccountReach, type HolderType, holderTypes } from './bank-account-store.ts';

export type AccountType = 'checking' | 'savings';

export interface NewBankAccount {
  holderType: HolderType;
  /** The owner or customer; none for the organization's own accounts. */
  holderId?: string | null | undefined;
  holderName: string;
  bankName?: string | null | undefined;
  country: string;
  currency: string;
  accountType: AccountType;
  routingNumber?: string | null | undefined;
  accountNumber: string;
  /** Make it the holder's primary account (the first active account always is). */
  makePrimary?: boolean | undefined;
}

/** What anyone is shown of an account: never the number, only its last four characters. */
// A type, not an interface: audited as a plain record.
export type BankAccountView = {
  id: string;
  holderType: HolderType;
  holderId: string | null;
  holderName: string;
  bankName: string | null;
  country: string;
  currency: string;
  accountType: AccountType;
  /** The bank's public identifier (ABA routing number, sort code, bank code or BIC). */
  routingNumber: string | null;
  accountNumberLast4: string;
  isPrimary: boolean;
  active: boolean;
  deactivatedAt: string | null;
  createdAt: string;
  updatedAt: string;
};

/** An account opened for a payment or payout: the numbers in clear, for the provider call only. */
export type BankAccountForUse = Omit<BankAccountView, 'active' | 'deactivatedAt' | 'createdAt' | 'updatedAt'> & { accountNumber: string };

/**
 * Who asks, and the scope of each holder type they may act on (from the permission matrix): `all`
 * of the type, or `own` (an owner member's owner record, a customer member's customer records).
 */
export interface BankAccountAuthority {
  userId: string;
  scopes: Partial<Record<HolderType, Scope>>;
}

const source = 'payments';

export function viewOf(row: BankAccountRow): BankAccountView {
  return {
    id: row.id,
    holderType: row.holderType as HolderType,
    holderId: row.holderId,
    holderName: row.holderName,
    bankName: row.bankName,
    country: row.country,
    currency: row.currency,
    accountType: row.accountType as AccountType,
    routingNumber: row.routingNumber,
    accountNumberLast4: row.accountNumberLast4,
    isPrimary: row.isPrimary,
    active: row.active,
    deactivatedAt: row.deactivatedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The additional authenticated data of an account's number: sealed for this row only. */
const sealedFor = (bankAccountId: string) => `bank_account:${bankAccountId}`;

/** What makes two accounts the same: an IBAN alone (it names the bank), otherwise the country, bank code and number. */
function sameAccountKey(country: string, routingNumber: string | null, accountNumber: string, iban: boolean): string {
  return iban ? `iban:${accountNumber}` : `${country}:${routingNumber ?? ''}:${accountNumber}`;
}

/** The holders the authority reaches, resolved in the transaction's organization. */
export async function reachOf(db: Queryable, authority: BankAccountAuthority): Promise<BankAccountReach> {
  const reach: BankAccountReach = {};
  for (const type of holderTypes) {
    const scope = authority.scopes[type];
    if (scope === undefined) continue;
    if (scope === 'all') reach[type] = 'all';
    else if (scope === 'own' && type === 'owner') {
      const ownerId = await ownerIdOfUser(db, authority.userId);
      reach[type] = ownerId === null ? [] : [ownerId];
    } else if (scope === 'own' && type === 'customer') reach[type] = await customerIdsOfUser(db, authority.userId);
    else reach[type] = [];
  }
  return reach;
}

function reaches(reach: BankAccountReach, holder: Holder): boolean {
  const holders = reach[holder.type];
  return holders === 'all' || (holders !== undefined && holder.id !== null && holders.includes(holder.id));
}

const holderOf = (row: BankAccountRow): Holder => ({ type: row.holderType as HolderType, id: row.holderId });

function notFound(bankAccountId: string) {
  return bankAccountErrors.raise('not_found', `No bank account ${bankAccountId} here`);
}

async function checkedHolder(tx: Tx, input: NewBankAccount, reach: BankAccountReach): Promise<Holder> {
  const { holderType } = input;
  const holderId = input.holderId ?? null;
  if (holderType === 'organization') {
    if (holderId !== null) throw bankAccountErrors.raise('holder_not_found', 'The organization’s own accounts name no holderId');
    if (!reaches(reach, { type: holderType, id: null })) throw bankAccountErrors.raise('holder_not_found', 'No such holder here');
    return { type: holderType, id: null };
  }
  const missing = () => bankAccountErrors.raise('holder_not_found', `No ${holderType} ${holderId ?? '(none given)'} here`);
  if (holderId === null || !reaches(reach, { type: holderType, id: holderId })) throw missing();
  if (holderType === 'owner') {
    if (!(await ownerFacts(tx, holderId))) throw missing();
  } else {
    const customer = await customerFacts(tx, holderId);
    if (!customer) throw missing();
    if (customer.mergedIntoId !== null) {
      throw bankAccountErrors.raise('holder_not_found', `Customer ${holderId} was merged into ${customer.mergedIntoId}: add it there`);
    }
  }
  return { type: holderType, id: holderId };
}

async function record(
  tx: Tx,
  actor: Caller,
  change: {
    action: AuditAction;
    before: BankAccountRow | null;
    after: BankAccountRow;
    event?: { type: string; data: Record<string, unknown> };
  },
): Promise<void> {
  const { after, event } = change;
  await recordChange(tx, actor, {
    orgId: after.orgId,
    action: change.action,
    entityType: 'bank_account',
    entityId: after.id,
    before: change.before && viewOf(change.before),
    after: viewOf(after),
    ...(event ? { event: { type: event.type, source, data: event.data } } : {}),
  });
}

/**
 * Moves a holder's primary to an account: the current primary (if still primary) is unset first, so
 * the holder never has two. `previousId` is the account that was primary, for the event.
 */
async function movePrimary(
  tx: Tx,
  actor: Caller,
  move: { from?: BankAccountRow | undefined; previousId: string | null; to: BankAccountRow },
): Promise<BankAccountRow> {
  const { from, to } = move;
  if (from) await record(tx, actor, { action: 'UPDATE', before: from, after: await updateBankAccount(tx, from.id, { isPrimary: false }) });
  const primary = await updateBankAccount(tx, to.id, { isPrimary: true });
  await record(tx, actor, {
    action: 'UPDATE',
    before: to,
    after: primary,
    event: {
      type: 'bank_account.primary_changed',
      data: { bankAccountId: to.id, previousBankAccountId: move.previousId, holderType: to.holderType, holderId: to.holderId },
    },
  });
  return primary;
}

/**
 * Adds a holder's bank account (POST /v1/bank-accounts). The holder's first active account becomes
 * primary; `makePrimary` takes primacy from the current one. The same account active twice for a
 * holder is refused (409), found by fingerprint under every listed key.
 */
export async function addBankAccount(
  tx: Tx,
  options: { input: NewBankAccount; reach: BankAccountReach; keys: readonly DataKey[]; actor: Caller },
): Promise<BankAccountView> {
  const { input, reach, keys, actor } = options;
  const country = input.country.toUpperCase();
  const checked = checkBankIdentifiers({ country, routingNumber: input.routingNumber, accountNumber: input.accountNumber });
  if (!checked.ok) {
    throw bankAccountErrors.raise(checked.field === 'routingNumber' ? 'invalid_routing_number' : 'invalid_account_number', checked.problem);
  }
  const { routingNumber, accountNumber } = checked;
  const orgId = await actingOrganization(tx);
  const holder = await checkedHolder(tx, input, reach);
  await lockHolder(tx, orgId, holder);

  const active = await activeAccountsOf(tx, holder);
  const sameKey = sameAccountKey(country, routingNumber, accountNumber, checked.iban);
  const fingerprints = new Set(fingerprintsOf(keys, sameKey));
  const same = active.find((account) => fingerprints.has(account.accountNumberFingerprint));
  if (same) throw bankAccountErrors.raise('duplicate', `The ${holder.type} already has this account, bank account ${same.id}`);

  const previous = active.find((account) => account.isPrimary);
  const id = uuidv7();
  const sealed = sealText(keys, accountNumber, sealedFor(id));
  const row = await insertBankAccount(tx, {
    id,
    orgId,
    holderType: holder.type,
    holderId: holder.id,
    holderName: input.holderName,
    bankName: input.bankName ?? null,
    country,
    currency: input.currency.toUpperCase(),
    accountType: input.accountType,
    routingNumber,
    accountNumberEncrypted: sealed.ciphertext,
    accountNumberKeyId: sealed.keyId,
    accountNumberLast4: accountNumber.slice(-4),
    accountNumberFingerprint: fingerprintOf(keys, sameKey),
    isPrimary: previous === undefined,
    createdBy: actor.userId,
  });
  const becomesPrimary = previous === undefined || input.makePrimary === true;
  await record(tx, actor, {
    action: 'CREATE',
    before: null,
    after: row,
    event: {
      type: 'bank_account.added',
      data: {
        bankAccountId: id,
        holderType: holder.type,
        holderId: holder.id,
        accountNumberLast4: row.accountNumberLast4,
        country,
        currency: row.currency,
        isPrimary: becomesPrimary,
      },
    },
  });
  if (!previous || !becomesPrimary) return viewOf(row);
  return viewOf(await movePrimary(tx, actor, { from: previous, previousId: previous.id, to: row }));
}

/** The account within reach, locked with its holder's accounts for a change; 404 otherwise. */
async function lockedAccount(tx: Tx, bankAccountId: string, reach: BankAccountReach): Promise<BankAccountRow> {
  const found = await bankAccountById(tx, bankAccountId);
  if (!found || !reaches(reach, holderOf(found))) throw notFound(bankAccountId);
  await lockHolder(tx, found.orgId, holderOf(found));
  const row = await bankAccountById(tx, bankAccountId, { forUpdate: true });
  if (!row) throw notFound(bankAccountId);
  return row;
}

function refuseInactive(row: BankAccountRow): void {
  if (!row.active) {
    throw bankAccountErrors.raise('inactive', `Bank account ${row.id} was deactivated on ${row.deactivatedAt?.toISOString() ?? '?'}`);
  }
}

/** Makes an active account its holder's primary one; already primary, nothing changes. */
export async function setPrimaryBankAccount(
  tx: Tx,
  options: { bankAccountId: string; reach: BankAccountReach; actor: Caller },
): Promise<BankAccountView> {
  const row = await lockedAccount(tx, options.bankAccountId, options.reach);
  refuseInactive(row);
  if (row.isPrimary) return viewOf(row);
  const current = (await activeAccountsOf(tx, holderOf(row))).find((account) => account.isPrimary);
  return viewOf(await movePrimary(tx, options.actor, { from: current, previousId: current?.id ?? null, to: row }));
}

/**
 * Deactivates an account for good (it stays on record for the payments that used it). A primary
 * one hands primacy to the holder's newest other active account, if there is one.
 */
export async function deactivateBankAccount(
  tx: Tx,
  options: { bankAccountId: string; reach: BankAccountReach; actor: Caller },
): Promise<BankAccountView> {
  const { actor } = options;
  const row = await lockedAccount(tx, options.bankAccountId, options.reach);
  refuseInactive(row);
  const deactivated = await updateBankAccount(tx, row.id, { isPrimary: false, active: false, deactivatedAt: new Date() });
  const successor = row.isPrimary ? (await activeAccountsOf(tx, holderOf(row)))[0] : undefined;
  await record(tx, actor, {
    action: 'STATUS_CHANGE',
    before: row,
    after: deactivated,
    event: {
      type: 'bank_account.deactivated',
      data: {
        bankAccountId: row.id,
        holderType: row.holderType,
        holderId: row.holderId,
        accountNumberLast4: row.accountNumberLast4,
        wasPrimary: row.isPrimary,
        newPrimaryBankAccountId: successor?.id ?? null,
      },
    },
  });
  if (successor) await movePrimary(tx, actor, { previousId: row.id, to: successor });
  return viewOf(deactivated);
}

export async function getBankAccount(db: Queryable, bankAccountId: string, reach: BankAccountReach): Promise<BankAccountView> {
  const row = await bankAccountById(db, bankAccountId);
  if (!row || !reaches(reach, holderOf(row))) throw notFound(bankAccountId);
  return viewOf(row);
}

export async function listBankAccounts(
  db: Queryable,
  query: {
    holderType?: HolderType | undefined;
    holderId?: string | undefined;
    active?: boolean | undefined;
    limit: number;
    offset: number;
  },
  reach: BankAccountReach,
): Promise<{ data: BankAccountView[]; total: number }> {
  const { rows, total } = await searchBankAccounts(db, query, reach);
  return { data: rows.map(viewOf), total };
}

/**
 * For payments and payouts: an active account of the acting organization with its numbers in
 * clear, for the provider call only (never to be stored, logged or returned). No caller scope is
 * applied: the calling use case applies its own. 404 when not found, 409 when deactivated.
 */
export async function bankAccountForUse(tx: Tx, bankAccountId: string, keys: readonly DataKey[]): Promise<BankAccountForUse> {
  const row = await bankAccountById(tx, bankAccountId);
  if (!row) throw notFound(bankAccountId);
  refuseInactive(row);
  const accountNumber = openText(keys, { ciphertext: row.accountNumberEncrypted, keyId: row.accountNumberKeyId }, sealedFor(row.id));
  const { active: _active, deactivatedAt: _deactivatedAt, createdAt: _createdAt, updatedAt: _updatedAt, ...view } = viewOf(row);
  return { ...view, accountNumber };
}
