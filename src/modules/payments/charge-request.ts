import type { Tx } from '../../platform/db/database.ts';
import { customerFacts } from '../customers/index.ts';
import { bankAccountForUse } from './bank-accounts.ts';
import type { PaymentsContext } from './context.ts';
import type { ChargeRequest } from './providers/port.ts';
import type { PaymentRow } from './store.ts';

/** The provider's view of a payment: amount, method, and the payer's details its method needs. */
export async function chargeRequestOf(
  tx: Tx,
  payment: PaymentRow,
  context: Pick<PaymentsContext, 'dataKeys'>,
  options: { attempt?: number; paymentMethodToken?: string | undefined } = {},
): Promise<ChargeRequest> {
  const payer = payment.payerCustomerId ? await customerFacts(tx, payment.payerCustomerId) : undefined;
  const bankAccount = payment.payerBankAccountId ? await bankAccountForUse(tx, payment.payerBankAccountId, context.dataKeys) : undefined;
  return {
    paymentId: payment.id,
    orgId: payment.orgId,
    amount: payment.amount,
    currency: payment.currency,
    method: payment.method,
    rail: payment.rail ?? undefined,
    description: payment.description ?? `Payment ${payment.id}`,
    reference: (payment.bookingId ?? payment.invoiceId ?? payment.id).replaceAll('-', '').slice(0, 12).toUpperCase(),
    payer: {
      name: payer ? `${payer.firstName} ${payer.lastName}` : undefined,
      email: payer?.email ?? undefined,
      phone: payment.payerPhone ?? payer?.phone ?? undefined,
      bankAccount: bankAccount
        ? { routingNumber: bankAccount.routingNumber, accountNumber: bankAccount.accountNumber, accountType: bankAccount.accountType }
        : undefined,
    },
    attempt: options.attempt,
    paymentMethodToken: options.paymentMethodToken,
    metadata: {
      paymentId: payment.id,
      orgId: payment.orgId,
      purpose: payment.purpose,
      ...(payment.bookingId ? { bookingId: payment.bookingId } : {}),
      ...(payment.invoiceId ? { invoiceId: payment.invoiceId } : {}),
    },
  };
}
