import type { Caller } from '../../platform/audit/change.ts';
import type { Tx } from '../../platform/db/database.ts';
import { chargeRequestOf } from './charge-request.ts';
import type { PaymentsContext } from './context.ts';
import { paymentErrors } from './errors.ts';
import { recordPaymentChange } from './history.ts';
import { applyPaymentReport } from './outcomes.ts';
import { MpesaAmountNotWhole } from './providers/mpesa.ts';
import { type ChargeOutcome, ProviderUnavailable } from './providers/port.ts';
import { type PaymentRow, rememberProviderReference } from './store.ts';

/**
 * Hands a new payment to its provider under the payment's id (the provider's idempotency key) and
 * applies the answer. A provider that cannot be reached fails the whole request (503): nothing is
 * recorded, and a retry with the same idempotency key reaches the provider under the same id.
 */
export async function submitCharge(
  tx: Tx,
  caller: Caller,
  payment: PaymentRow,
  context: PaymentsContext,
  options: { paymentMethodToken?: string | undefined } = {},
): Promise<PaymentRow> {
  const provider = context.providers.get(payment.provider, tx);
  let outcome: ChargeOutcome;
  try {
    outcome = await provider.charge(await chargeRequestOf(tx, payment, context, options));
  } catch (error) {
    if (error instanceof ProviderUnavailable) throw paymentErrors.raise('provider_unavailable', error.message);
    if (error instanceof MpesaAmountNotWhole) throw paymentErrors.raise('amount_not_whole', error.message);
    throw error;
  }
  await rememberProviderReference(tx, {
    provider: payment.provider,
    reference: outcome.providerReference,
    orgId: payment.orgId,
    objectType: 'payment',
    objectId: payment.id,
  });
  const referenced = await recordPaymentChange(
    tx,
    caller,
    payment,
    { providerReference: outcome.providerReference },
    { type: 'submitted', provider: payment.provider, data: { providerReference: outcome.providerReference } },
  );
  const { payment: applied } = await applyPaymentReport(
    tx,
    caller,
    referenced,
    { status: outcome.status, failure: outcome.failure, clientAction: outcome.clientAction, provider: payment.provider },
    context,
  );
  return applied;
}
