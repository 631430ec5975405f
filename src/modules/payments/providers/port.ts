/**
 * The port every payment provider sits behind (DESIGN.md, "External providers"). The payments
 * module speaks only these shapes; each adapter translates them to its provider's protocol, and a
 * local fake server speaking that protocol tests it.
 */

export const providerNames = ['sandbox', 'stripe', 'mpesa', 'manual'] as const;
export type ProviderName = (typeof providerNames)[number];

export const paymentMethods = ['card', 'mobile_money', 'bank_transfer', 'cash', 'cheque', 'wallet'] as const;
export type PaymentMethod = (typeof paymentMethods)[number];

export const bankRails = ['INSTANT', 'SAME_DAY_ACH', 'STANDARD_ACH', 'WIRE'] as const;
export type BankRail = (typeof bankRails)[number];

/** A payment's status as a provider reports it; `returned` is a bank debit sent back after it settled. */
export type ProviderPaymentStatus = 'pending' | 'requires_action' | 'processing' | 'succeeded' | 'failed' | 'cancelled' | 'returned';
export type ProviderTransferStatus = 'pending' | 'processing' | 'succeeded' | 'failed' | 'cancelled';

export interface ProviderFailure {
  /** The provider's own code: `card_declined`, `1032`, `R01`, … */
  code: string;
  reason: string;
}

export interface ChargeRequest {
  /** Our payment id: the provider-side idempotency key, so a repeated call never charges twice. */
  paymentId: string;
  orgId: string;
  /** Minor units of `currency`. */
  amount: number;
  currency: string;
  method: PaymentMethod;
  rail?: BankRail | undefined;
  description: string;
  /** Shown on statements and STK prompts (M-Pesa allows 12 characters). */
  reference: string;
  payer: {
    name?: string | undefined;
    email?: string | undefined;
    /** E.164, for mobile money. */
    phone?: string | undefined;
    /** Decrypted only for the call, for bank debits. */
    bankAccount?: { routingNumber: string | null; accountNumber: string; accountType: 'checking' | 'savings' } | undefined;
  };
  /** 1 for the first submission; a bank debit returned for insufficient funds is submitted again. */
  attempt?: number | undefined;
  /** A card payment method already collected by the client (Stripe `pm_…`), to confirm at once. */
  paymentMethodToken?: string | undefined;
  metadata: Record<string, string>;
}

export interface ChargeOutcome {
  providerReference: string;
  status: ProviderPaymentStatus;
  /** What the client needs to finish (a Stripe client secret, an STK prompt message), if anything. */
  clientAction?: Record<string, unknown> | null;
  failure?: ProviderFailure | null;
}

export interface RefundRequest {
  refundId: string;
  paymentReference: string;
  amount: number;
  currency: string;
  reason: string;
}

export interface PayoutRequest {
  payoutId: string;
  amount: number;
  currency: string;
  /** The owner's bank account (decrypted for the call) or M-Pesa phone number. */
  destination:
    | {
        type: 'bank_account';
        holderName: string;
        routingNumber: string | null;
        accountNumber: string;
        accountType: 'checking' | 'savings';
        rail: BankRail;
      }
    | { type: 'mpesa'; phone: string };
  remarks: string;
}

export interface TransferOutcome {
  providerReference: string;
  status: ProviderTransferStatus;
  failure?: ProviderFailure | null;
}

/** One thing a provider tells us, normalised: about a payment, a refund or a payout we made with it. */
export interface ProviderNotification {
  /** Unique per provider: the replay store keeps it, so a redelivery is acknowledged and ignored. */
  eventId: string;
  /** The provider's own name for what happened (`payment_intent.succeeded`, `stk_callback`, …). */
  eventType: string;
  occurredAt: Date;
  object: 'payment' | 'refund' | 'payout';
  providerReference: string;
  status: ProviderPaymentStatus;
  amount?: number | undefined;
  currency?: string | undefined;
  /** An M-Pesa receipt number (applied once), a bank trace number. */
  receiptNumber?: string | undefined;
  failure?: ProviderFailure | null | undefined;
}

export interface WebhookDelivery {
  headers: Record<string, string | string[] | undefined>;
  /** The query string of the URL it was posted to (M-Pesa's callback URLs carry a secret token). */
  searchParams: URLSearchParams;
  /** The exact bytes received: signatures are computed over them. */
  rawBody: Buffer;
  now: Date;
}

/** Thrown when a delivery's signature, timestamp or shape is wrong: answered 400, nothing is read from it. */
export class WebhookRejected extends Error {
  override readonly name = 'WebhookRejected';
  constructor(
    readonly code: 'signature_missing' | 'signature_invalid' | 'timestamp_out_of_tolerance' | 'payload_invalid',
    message: string,
  ) {
    super(message);
  }
}

/** Thrown when a provider cannot be reached or answers with an error we cannot read as an outcome. */
export class ProviderUnavailable extends Error {
  override readonly name = 'ProviderUnavailable';
  constructor(
    readonly provider: ProviderName,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface PaymentProvider {
  readonly name: ProviderName;
  charge(request: ChargeRequest): Promise<ChargeOutcome>;
  refund(request: RefundRequest): Promise<TransferOutcome>;
  /** Providers that can send money out. */
  payout?(request: PayoutRequest): Promise<TransferOutcome>;
  /**
   * Verifies a webhook delivery (signature and timestamp) before reading anything from it, then
   * reads what it reports. Throws `WebhookRejected`.
   */
  verifyWebhook(delivery: WebhookDelivery): ProviderNotification[];
  /**
   * For providers whose deliveries are not signed (M-Pesa): asks the provider itself what became of
   * the object, and that answer is applied instead of the delivery's claims.
   */
  confirm?(notification: ProviderNotification): Promise<ProviderNotification>;
  /**
   * Cancels a payment the customer has not completed, so that it cannot succeed later: false when
   * it is past cancelling (it succeeded or is processing; its report will say so).
   */
  cancel?(providerReference: string): Promise<boolean>;
  /** What the provider says of a payment now (reconciling one that heard nothing). */
  retrieve?(providerReference: string): Promise<ProviderNotification | null>;
}
