import type { Queryable } from '../../platform/db/database.ts';
import { customerIdsOfUser } from '../customers/index.ts';
import { ownerIdOfUser } from '../inventory/index.ts';
import type { Access } from '../organizations/index.ts';
import { paymentErrors } from './errors.ts';
import type { PaymentMethod } from './providers/port.ts';
import type { PaymentFilter, PaymentRow } from './store.ts';

/**
 * Whom a caller acts for in money: staff (`all` scope) for anyone of the organization; an `owner`
 * member for their own owner record; a `customer` member as their own customer record.
 */

/** The payments (or payouts) a caller's scope reaches: all for staff, an owner's as payee, a customer's as payer. */
export async function paymentScopeOf(db: Queryable, access: Access, resource: 'payments' | 'payouts' = 'payments'): Promise<PaymentFilter> {
  if (access.scope === 'all') return {};
  if (access.role === 'owner') {
    const ownerId = await ownerIdOfUser(db, access.userId);
    return { payeeOwnerIds: ownerId ? [ownerId] : [] };
  }
  if (resource === 'payouts') return { payeeOwnerIds: [] };
  return { payerCustomerIds: await customerIdsOfUser(db, access.userId) };
}

export function inPaymentScope(row: Pick<PaymentRow, 'payerCustomerId' | 'payeeOwnerId'>, scope: PaymentFilter): boolean {
  return (
    (scope.payerCustomerIds === undefined || (row.payerCustomerId !== null && scope.payerCustomerIds.includes(row.payerCustomerId))) &&
    (scope.payeeOwnerIds === undefined || (row.payeeOwnerId !== null && scope.payeeOwnerIds.includes(row.payeeOwnerId)))
  );
}

/** Who pays: whom staff name; a customer member only as themself, and never in cash or by cheque (staff record those). */
export async function payerFor(
  db: Queryable,
  access: Access,
  request: { method: PaymentMethod; payerCustomerId?: string | undefined },
): Promise<string | undefined> {
  if (access.scope === 'all') return request.payerCustomerId;
  if (request.method === 'cash' || request.method === 'cheque') throw paymentErrors.raise('staff_only', 'Staff record cash and cheques');
  const own = await customerIdsOfUser(db, access.userId);
  const payer = request.payerCustomerId ?? own[0];
  if (!payer || !own.includes(payer)) throw paymentErrors.raise('payer_not_found', 'You pay as yourself');
  return payer;
}

/**
 * The owner whose balance is read or paid out: whom staff name (or, when `staffOwnOtherwise`, a
 * staff member's own owner record); an owner member only their own.
 */
export async function ownerFor(
  db: Queryable,
  access: Access,
  ownerId: string | undefined,
  options: { staffOwnOtherwise: boolean; notOwn: string },
): Promise<string> {
  if (access.scope === 'all') {
    const chosen = ownerId ?? (options.staffOwnOtherwise ? await ownerIdOfUser(db, access.userId) : undefined);
    if (!chosen) throw paymentErrors.raise('owner_required', 'Name the owner (ownerId)');
    return chosen;
  }
  const own = await ownerIdOfUser(db, access.userId);
  if (!own || (ownerId && ownerId !== own)) throw paymentErrors.raise('payee_not_found', options.notOwn);
  return own;
}
