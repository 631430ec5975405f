import { z } from 'zod';
import type { Queryable } from '../../platform/db/database.ts';
import { money, percentOf } from '../../platform/money.ts';
import { pricingErrors } from './errors.ts';
import { policyById } from './store.ts';
import {
  type CancellationPolicySnapshot,
  type CancellationPresetName,
  type CancellationRefund,
  type CancellationRules,
  type CancellationWindow,
  type Quote,
  type QuoteLine,
} from './types.ts';

const hours = (days: number) => days * 24;
const full = 10_000;
const half = 5_000;

/**
 * The presets (docs/pricing.md lists them). Each window reads "cancelled at least this many hours
 * before check-in refunds these shares"; outside every window nothing is refunded. A window that
 * applies refunds the fees in full: the cleaning and service of a stay that never happens are not
 * owed, whatever part of the nights is kept.
 */
export const cancellationPresets: Record<CancellationPresetName, { description: string; rules: CancellationRules }> = {
  flexible: {
    description: 'Daily: full refund until 24 hours before check-in. Monthly: until 7 days before. Lease: until 14 days before.',
    rules: {
      daily: [{ beforeCheckInHours: 24, refundNightsBps: full, refundFeesBps: full }],
      monthly: [{ beforeCheckInHours: hours(7), refundNightsBps: full, refundFeesBps: full }],
      lease: [{ beforeCheckInHours: hours(14), refundNightsBps: full, refundFeesBps: full }],
    },
  },
  moderate: {
    description: 'Daily: full refund until 5 days before check-in. Monthly: until 14 days before. Lease: until 30 days before.',
    rules: {
      daily: [{ beforeCheckInHours: hours(5), refundNightsBps: full, refundFeesBps: full }],
      monthly: [{ beforeCheckInHours: hours(14), refundNightsBps: full, refundFeesBps: full }],
      lease: [{ beforeCheckInHours: hours(30), refundNightsBps: full, refundFeesBps: full }],
    },
  },
  firm: {
    description:
      'Daily: full refund until 30 days before check-in, 50% of the nights until 7 days before. Monthly: full until 30 days, 50% until 14 days. Lease: full until 60 days, 50% until 30 days.',
    rules: {
      daily: [
        { beforeCheckInHours: hours(30), refundNightsBps: full, refundFeesBps: full },
        { beforeCheckInHours: hours(7), refundNightsBps: half, refundFeesBps: full },
      ],
      monthly: [
        { beforeCheckInHours: hours(30), refundNightsBps: full, refundFeesBps: full },
        { beforeCheckInHours: hours(14), refundNightsBps: half, refundFeesBps: full },
      ],
      lease: [
        { beforeCheckInHours: hours(60), refundNightsBps: full, refundFeesBps: full },
        { beforeCheckInHours: hours(30), refundNightsBps: half, refundFeesBps: full },
      ],
    },
  },
  strict: {
    description:
      'Never a full refund of the nights: 50% until 7 days before check-in (daily), 30 days before (monthly), 60 days before (lease); nothing after.',
    rules: {
      daily: [{ beforeCheckInHours: hours(7), refundNightsBps: half, refundFeesBps: full }],
      monthly: [{ beforeCheckInHours: hours(30), refundNightsBps: half, refundFeesBps: full }],
      lease: [{ beforeCheckInHours: hours(60), refundNightsBps: half, refundFeesBps: full }],
    },
  },
  non_refundable: {
    description: 'No refund, whenever it is cancelled (the deposit is always returned).',
    rules: { daily: [], monthly: [], lease: [] },
  },
};

const Bps = z.int().min(0).max(10_000);

export const CancellationWindowSchema = z.strictObject({
  /** Hours before check-in (the property's check-in time in its time zone); at most two years. */
  beforeCheckInHours: z.int().min(0).max(17_520),
  refundNightsBps: Bps,
  refundFeesBps: Bps,
});

const WindowList = z
  .array(CancellationWindowSchema)
  .max(10)
  .refine((windows) => new Set(windows.map((window) => window.beforeCheckInHours)).size === windows.length, {
    message: 'The windows of a rental mode have distinct beforeCheckInHours',
  })
  .transform((windows) => sortWindows(windows));

/** A policy's rules as a client writes them: every rental mode, windows in any order (stored largest threshold first). */
export const CancellationRulesSchema = z.strictObject({ daily: WindowList, monthly: WindowList, lease: WindowList });

function sortWindows(windows: CancellationWindow[]): CancellationWindow[] {
  return [...windows].sort((a, b) => b.beforeCheckInHours - a.beforeCheckInHours);
}

/** Rules as stored: read defensively, since jsonb is only checked to be an object. */
export function rulesOf(stored: unknown): CancellationRules {
  return CancellationRulesSchema.parse(stored);
}

/** A policy resolved to the data a booking keeps: a later change of the policy never affects it. */
export async function cancellationPolicySnapshot(
  db: Queryable,
  choice: { preset: CancellationPresetName } | { policyId: string },
): Promise<CancellationPolicySnapshot> {
  if ('preset' in choice) {
    const preset = cancellationPresets[choice.preset] as (typeof cancellationPresets)[CancellationPresetName] | undefined;
    if (!preset) throw pricingErrors.raise('policy_not_found', `There is no preset ${JSON.stringify(choice.preset)}`);
    return { source: { preset: choice.preset }, rules: structuredClone(preset.rules) };
  }
  const policy = z.uuid().safeParse(choice.policyId).success ? await policyById(db, choice.policyId) : undefined;
  if (!policy) throw pricingErrors.raise('policy_not_found');
  return { source: { policyId: policy.id, name: policy.name }, rules: rulesOf(policy.rules) };
}

/** The window that applies `hoursBefore` hours before check-in: the largest threshold reached. */
export function applicableWindow(windows: readonly CancellationWindow[], hoursBefore: number): CancellationWindow | null {
  let chosen: CancellationWindow | null = null;
  for (const window of windows) {
    if (hoursBefore >= window.beforeCheckInHours && (!chosen || window.beforeCheckInHours > chosen.beforeCheckInHours)) chosen = window;
  }
  return chosen;
}

const nightKinds = new Set<QuoteLine['kind']>(['night', 'month', 'discount']);

/**
 * What cancelling at `now` refunds of a quote. Hours are real elapsed hours between `now` and
 * `checkInAt` (the check-in time in the property's zone, see `checkInInstant`), so across a
 * daylight-saving change a window of 24 hours is 24 hours, not one calendar day. The nights (after
 * discounts) are refunded at the window's nights share, the fees at its fees share, each exclusive
 * tax at the share of what it was charged on, and the deposit in full; each refunded part is
 * rounded once and the refund is their sum.
 */
export function cancellationRefund(
  policy: CancellationPolicySnapshot,
  input: { quote: Quote; checkInAt: Date; now: Date },
): CancellationRefund {
  const { quote } = input;
  const currency = quote.currency;
  const hoursBefore = (input.checkInAt.getTime() - input.now.getTime()) / 3_600_000;
  const window = applicableWindow(policy.rules[quote.rentalMode], hoursBefore);
  const nightsBps = window?.refundNightsBps ?? 0;
  const feesBps = window?.refundFeesBps ?? 0;
  const share = (amount: number, bps: number) => percentOf(money(amount, currency), bps).amount;

  const lines: QuoteLine[] = [];
  const add = (line: QuoteLine) => {
    if (line.amount !== 0) lines.push(line);
  };
  const nights = quote.lines.filter((line) => nightKinds.has(line.kind)).reduce((total, line) => total + line.amount, 0);
  const fees = quote.lines.filter((line) => line.kind === 'fee').reduce((total, line) => total + line.amount, 0);
  const stayKind = quote.rentalMode === 'daily' ? 'night' : 'month';
  add({ kind: stayKind, code: 'refund_accommodation', description: 'Refund of the accommodation', amount: share(nights, nightsBps) });
  add({ kind: 'fee', code: 'refund_fees', description: 'Refund of the fees', amount: share(fees, feesBps) });
  for (const tax of quote.lines) {
    if (tax.kind !== 'tax' || tax.included) continue;
    const bps = tax.code === taxOnFeesCode ? feesBps : nightsBps;
    add({ kind: 'tax', code: 'refund_tax', description: `Refund of ${tax.description}`, amount: share(tax.amount, bps) });
  }
  const deposit = quote.lines.filter((line) => line.kind === 'deposit').reduce((total, line) => total + line.amount, 0);
  add({ kind: 'deposit', code: 'refund_deposit', description: 'Refund of the security deposit', amount: deposit });

  const refund = lines.reduce((total, line) => total + line.amount, 0);
  return { refund, penalty: quote.totals.total - refund, currency, window, lines };
}

/** The code of a tax line charged on the fees (refunded with them); other tax lines are charged on the nights. */
export const taxOnFeesCode = 'tax_fees';
export const taxOnNightsCode = 'tax_nights';
