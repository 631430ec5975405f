import { type Config, dataEncryptionKeys, type SigningKeySecret } from '../../platform/config.ts';
import { type PaymentProviders, paymentProviders } from './providers/registry.ts';

/** What the payments use cases need beyond their transaction: the providers and the money rules. */
export interface PaymentsContext {
  providers: PaymentProviders;
  /** The organization's commission on booking revenue, in basis points. */
  commissionBps: number;
  /** How long after check-in a booking payment stays in escrow. */
  escrowGraceHours: number;
  /** Decrypt bank account numbers for the provider call that needs them. */
  dataKeys: readonly SigningKeySecret[];
}

export function paymentsContext(config: Config): PaymentsContext {
  return {
    providers: paymentProviders(config),
    commissionBps: config.PAYMENTS_COMMISSION_BPS,
    escrowGraceHours: config.ESCROW_RELEASE_GRACE_HOURS,
    dataKeys: dataEncryptionKeys(config),
  };
}
