/** The pricing module's public shapes: quotes, the nights of a plan, cancellation rules. */

export const rentalModes = ['daily', 'monthly', 'lease'] as const;
export type RentalMode = (typeof rentalModes)[number];

export type QuoteLineKind = 'night' | 'month' | 'deposit' | 'fee' | 'discount' | 'tax';

export interface QuoteLine {
  kind: QuoteLineKind;
  code: string;
  description: string;
  date?: string;
  quantity?: number;
  unitAmount?: number;
  /** Minor units of the quote's currency; negative for a discount. */
  amount: number;
  /** An inclusive tax: already inside the prices, shown and not added. */
  included?: boolean;
}

export interface QuoteTotals {
  accommodation: number;
  fees: number;
  /** Negative or 0. */
  discounts: number;
  /** The exclusive taxes, added to the total. */
  taxes: number;
  includedTaxes: number;
  deposit: number;
  total: number;
}

export interface Quote {
  rentalMode: RentalMode;
  currency: string;
  checkIn: string;
  checkOut: string;
  nights?: number;
  months?: number;
  ratePlanId?: string;
  lines: QuoteLine[];
  totals: QuoteTotals;
}

export interface RateNight {
  night: string;
  price: number;
  currency: string;
  minStay: number | null;
  maxStay: number | null;
  closedToArrival: boolean;
  closedToDeparture: boolean;
  stopSell: boolean;
}

export const cancellationPresetNames = ['flexible', 'moderate', 'firm', 'strict', 'non_refundable'] as const;
export type CancellationPresetName = (typeof cancellationPresetNames)[number];

/** "Cancelled at least `beforeCheckInHours` hours before check-in refunds these shares" (basis points). */
export interface CancellationWindow {
  beforeCheckInHours: number;
  refundNightsBps: number;
  refundFeesBps: number;
}

/** Per rental mode, the refund windows, largest threshold first. */
export type CancellationRules = Record<RentalMode, CancellationWindow[]>;

export interface CancellationPolicySnapshot {
  source: { preset: CancellationPresetName } | { policyId: string; name: string };
  rules: CancellationRules;
}

export interface CancellationRefund {
  /** What goes back to the customer: the sum of `lines`. */
  refund: number;
  /** What is kept: the quote's total less the refund. */
  penalty: number;
  currency: string;
  window: CancellationWindow | null;
  lines: QuoteLine[];
}
