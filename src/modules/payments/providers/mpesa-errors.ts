/**
 * What the M-Pesa adapter refuses before calling Daraja. The payments module answers a
 * `MpesaRequestRefused` (and its subclasses) with a 422: the request cannot be made over M-Pesa as
 * it stands, so nothing was sent.
 */
export class MpesaRequestRefused extends Error {
  override name = 'MpesaRequestRefused';
  constructor(
    readonly code:
      'amount_not_whole' | 'amount_invalid' | 'currency_unsupported' | 'method_unsupported' | 'phone_invalid' | 'destination_unsupported',
    message: string,
  ) {
    super(message);
  }
}

/** Daraja takes whole shillings; an amount with cents cannot be charged or paid out as it is. */
export class MpesaAmountNotWhole extends MpesaRequestRefused {
  override name = 'MpesaAmountNotWhole';
  constructor(readonly amount: number) {
    super('amount_not_whole', `M-Pesa takes whole shillings; ${amount} minor units of KES is not a whole number of shillings`);
  }
}

/**
 * Daraja's reversal API is out of scope: an M-Pesa payment is refunded by sending the money back to
 * the payer with a B2C payout, which the payments module does when the provider throws this.
 */
export class MpesaRefundUnsupported extends Error {
  override name = 'MpesaRefundUnsupported';
  constructor() {
    super('M-Pesa payments are refunded by a B2C payout');
  }
}

/** A payout asked of an adapter built without B2C settings (MPESA_B2C_* not configured). */
export class MpesaPayoutsNotConfigured extends Error {
  override name = 'MpesaPayoutsNotConfigured';
  constructor() {
    super('M-Pesa payouts need the B2C settings (shortcode, initiator name, security credential, result and timeout URLs)');
  }
}
