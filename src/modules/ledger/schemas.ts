import { z } from 'zod';
import { PageQuery, pageOf } from '../../platform/http/pagination.ts';
import { accountCodes, accountTypes, partyTypes } from './chart.ts';

/** Request and reply schemas; each schema and its inferred type share one name. */

const CurrencyCode = z.string().regex(/^[A-Z]{3}$/, 'Must be an ISO 4217 currency code, such as EUR');
const Instant = z.iso.datetime({ offset: true });
const InstantReply = z.iso.datetime();
const Money = z.object({ amount: z.number().int(), currency: z.string() });
const AccountCodeSchema = z.enum(accountCodes);
const PartySchema = z.object({ type: z.enum(partyTypes), id: z.string() });
const Side = z.enum(['debit', 'credit']);
const Source = z.object({ type: z.string(), id: z.uuid(), event: z.string() });

export const AccountParams = z.object({ accountId: z.uuid() });
export type AccountParams = z.infer<typeof AccountParams>;

export const EntryParams = z.object({ entryId: z.uuid() });
export type EntryParams = z.infer<typeof EntryParams>;

export const AccountListQuery = PageQuery.extend({
  code: AccountCodeSchema.optional(),
  type: z.enum(accountTypes).optional(),
  currency: CurrencyCode.optional(),
  partyType: z.enum(partyTypes).optional(),
  partyId: z.string().min(1).max(100).optional(),
});
export type AccountListQuery = z.infer<typeof AccountListQuery>;

export const AccountReply = z.object({
  id: z.uuid(),
  code: AccountCodeSchema,
  name: z.string(),
  type: z.enum(accountTypes),
  /** The side the account grows on: debit for assets and expenses, credit for the others. */
  normalSide: Side,
  currency: z.string(),
  party: PartySchema.nullable(),
  /** On the account's normal side: debits − credits for assets and expenses, credits − debits for the others. */
  balance: Money,
  debits: Money,
  credits: Money,
  postingCount: z.number().int(),
  createdAt: InstantReply,
  updatedAt: InstantReply,
});
export type AccountReply = z.infer<typeof AccountReply>;

export const AccountPage = pageOf(AccountReply);

export const StatementQuery = PageQuery;
export type StatementQuery = z.infer<typeof StatementQuery>;

export const StatementLineReply = z.object({
  id: z.uuid(),
  entryId: z.uuid(),
  /** Signed: a debit positive, a credit negative. */
  amount: Money,
  side: Side,
  /** The account's balance just after this posting, on its normal side. */
  balanceAfter: Money,
  description: z.string(),
  source: Source,
  reversesEntryId: z.uuid().nullable(),
  effectiveAt: InstantReply,
  createdAt: InstantReply,
});
export type StatementLineReply = z.infer<typeof StatementLineReply>;

export const StatementPage = pageOf(StatementLineReply);

export const EntryListQuery = PageQuery.extend({
  sourceType: z.string().min(1).max(40).optional(),
  sourceId: z.uuid().optional(),
  /** Entries effective at or after this instant. */
  from: Instant.optional(),
  /** Entries effective before this instant. */
  to: Instant.optional(),
});
export type EntryListQuery = z.infer<typeof EntryListQuery>;

export const EntryPostingReply = z.object({
  id: z.uuid(),
  accountId: z.uuid(),
  accountCode: AccountCodeSchema,
  accountName: z.string(),
  party: PartySchema.nullable(),
  /** Signed: a debit positive, a credit negative. */
  amount: Money,
  side: Side,
  /** The account's balance just after this posting, on its normal side. */
  balanceAfter: Money,
});

export const EntryReply = z.object({
  id: z.uuid(),
  description: z.string(),
  source: Source,
  effectiveAt: InstantReply,
  createdAt: InstantReply,
  createdBy: z.uuid().nullable(),
  reversesEntryId: z.uuid().nullable(),
  reversedByEntryId: z.uuid().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  postings: z.array(EntryPostingReply),
});
export type EntryReply = z.infer<typeof EntryReply>;

export const EntryPage = pageOf(EntryReply);

export const ManualEntryBody = z.strictObject({
  description: z.string().trim().min(1).max(500),
  /** When the money moved; now unless given. */
  effectiveAt: Instant.optional(),
  postings: z
    .array(
      z.strictObject({
        accountCode: AccountCodeSchema,
        currency: CurrencyCode,
        party: z.strictObject({ type: z.enum(partyTypes), id: z.string().trim().min(1).max(100) }).nullish(),
        /** Minor units, signed: a debit positive, a credit negative. */
        amount: z.number().int(),
      }),
    )
    .max(100),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
export type ManualEntryBody = z.infer<typeof ManualEntryBody>;

export const ReverseBody = z.strictObject({ reason: z.string().trim().min(1).max(1000) });
export type ReverseBody = z.infer<typeof ReverseBody>;

export const TrialBalanceQuery = z.object({
  currency: CurrencyCode.optional(),
  /** Entries effective at or before this instant; every entry unless given. */
  asOf: Instant.optional(),
});
export type TrialBalanceQuery = z.infer<typeof TrialBalanceQuery>;

export const TrialBalanceReply = z.object({
  asOf: InstantReply.nullable(),
  accounts: z.array(
    z.object({
      id: z.uuid(),
      code: AccountCodeSchema,
      name: z.string(),
      type: z.enum(accountTypes),
      currency: z.string(),
      party: PartySchema.nullable(),
      debits: Money,
      credits: Money,
      /** On the account's normal side. */
      balance: Money,
    }),
  ),
  /** Per currency: the debits of every account and their credits, which must be equal. */
  totals: z.array(z.object({ currency: z.string(), debits: Money, credits: Money, balanced: z.boolean() })),
  balanced: z.boolean(),
});
export type TrialBalanceReply = z.infer<typeof TrialBalanceReply>;

export const BalanceCheckQuery = PageQuery;
export type BalanceCheckQuery = z.infer<typeof BalanceCheckQuery>;

export const BalanceCheckReply = z.object({
  id: z.uuid(),
  checkedAt: InstantReply,
  accountsChecked: z.number().int(),
  /** Whether every account's kept balance and posting count matched its postings. */
  ok: z.boolean(),
  mismatches: z.array(
    z.object({
      accountId: z.uuid(),
      code: z.string(),
      currency: z.string(),
      kept: z.number().int(),
      keptCount: z.number().int(),
      posted: z.number().int(),
      postedCount: z.number().int(),
    }),
  ),
});
export type BalanceCheckReply = z.infer<typeof BalanceCheckReply>;

export const BalanceCheckPage = pageOf(BalanceCheckReply);
