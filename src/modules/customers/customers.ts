import type { Queryable, Tx } from '../../platform/db/database.ts';
import type { AuditAction } from '../../platform/audit/audit-log.ts';
import { type Caller, recordChange } from '../../platform/audit/change.ts';
import { uuidv7 } from '../../platform/ids.ts';
import { offsetOf } from '../../platform/http/pagination.ts';
import { customerErrors } from './errors.ts';
import {
  CreateCustomerBody,
  type CreatedCustomerReply,
  type CustomerListQuery,
  type CustomerReply,
  type MergeBody,
  type UpdateCustomerBody,
} from './schemas.ts';
import {
  actingOrganization,
  customerRow,
  type CustomerRow,
  customersOfUser,
  insertCustomer,
  insertCustomerOfUser,
  liveCustomerIdsWithEmail,
  lockCustomers,
  type RowScope,
  searchCustomers,
  updateCustomer,
} from './store.ts';

export interface CustomerFacts {
  id: string;
  userId: string | null;
  firstName: string;
  lastName: string;
  email: string | null;
  phone: string | null;
  blacklisted: boolean;
  mergedIntoId: string | null;
}

export interface NewCustomer {
  firstName: string;
  lastName: string;
  email?: string | null;
  phone?: string | null;
  dateOfBirth?: string | null;
  nationality?: string | null;
  notes?: string | null;
}

const source = 'customers';

function factsOf(row: CustomerRow): CustomerFacts {
  const { id, userId, firstName, lastName, email, phone, blacklisted, mergedIntoId } = row;
  return { id, userId, firstName, lastName, email, phone, blacklisted, mergedIntoId };
}

const iso = (value: Date | null) => (value === null ? null : value.toISOString());

export function replyOf(row: CustomerRow): CustomerReply {
  return {
    id: row.id,
    userId: row.userId,
    firstName: row.firstName,
    lastName: row.lastName,
    email: row.email,
    phone: row.phone,
    dateOfBirth: row.dateOfBirth,
    nationality: row.nationality,
    notes: row.notes,
    kycStatus: row.kycStatus as CustomerReply['kycStatus'],
    blacklisted: row.blacklisted,
    blacklistReason: row.blacklistReason,
    blacklistedAt: iso(row.blacklistedAt),
    mergedIntoId: row.mergedIntoId,
    mergedAt: iso(row.mergedAt),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** A customer of the acting organization, merged or not; undefined when none. */
export async function customerFacts(db: Queryable, customerId: string): Promise<CustomerFacts | undefined> {
  const row = await customerRow(db, customerId);
  return row && factsOf(row);
}

/** The customer ids whose login is this user, in the acting organization: the `own` scope of a customer member. */
export async function customerIdsOfUser(db: Queryable, userId: string): Promise<string[]> {
  return (await customersOfUser(db, userId)).map((row) => row.id);
}

async function insertNew(tx: Tx, input: CreateCustomerBody, actor: Caller): Promise<CustomerRow> {
  const orgId = await actingOrganization(tx);
  const row = await insertCustomer(tx, {
    id: uuidv7(),
    orgId,
    userId: null,
    firstName: input.firstName,
    lastName: input.lastName,
    email: input.email ?? null,
    phone: input.phone ?? null,
    dateOfBirth: input.dateOfBirth ?? null,
    nationality: input.nationality ?? null,
    notes: input.notes ?? null,
    blacklistReason: null,
    blacklistedAt: null,
    mergedIntoId: null,
    mergedAt: null,
  });
  await recordChange(tx, actor, {
    orgId,
    action: 'CREATE',
    entityType: 'customer',
    entityId: row.id,
    after: replyOf(row),
    event: { type: 'customer.created', source, data: { customerId: row.id } },
  });
  return row;
}

/**
 * Creates a customer in the acting organization inside the caller's transaction (audit CREATE,
 * event customer.created). The input is normalised and checked as the HTTP route's body is.
 */
export async function createCustomer(tx: Tx, input: NewCustomer, actor: Caller): Promise<CustomerFacts> {
  const parsed = CreateCustomerBody.safeParse(input);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message, code: issue.code }));
    throw customerErrors.raise('invalid_contact', errors.map((error) => `${error.path}: ${error.message}`).join('; '), { errors });
  }
  return factsOf(await insertNew(tx, parsed.data, actor));
}

/** POST /v1/customers: a duplicate e-mail address is allowed, and named in the reply. */
export async function registerCustomer(tx: Tx, body: CreateCustomerBody, actor: Caller): Promise<CreatedCustomerReply> {
  const row = await insertNew(tx, body, actor);
  const possibleDuplicates = row.email === null ? [] : await liveCustomerIdsWithEmail(tx, row.email, row.id);
  return { ...replyOf(row), possibleDuplicates };
}

/**
 * The signed-in user's own customer record in the acting organization, created from their account
 * when missing. A record merged away leads to the one it was merged into.
 */
export async function customerForUser(
  tx: Tx,
  user: { userId: string; email: string; firstName: string; lastName: string },
  actor: Caller,
): Promise<CustomerFacts> {
  const existing = await customersOfUser(tx, user.userId);
  const found = existing[0] && (await followMerges(tx, existing[0]));
  if (found) return factsOf(found);
  const orgId = await actingOrganization(tx);
  const email = user.email.trim().toLowerCase();
  const inserted = await insertCustomerOfUser(tx, {
    id: uuidv7(),
    orgId,
    userId: user.userId,
    firstName: (user.firstName.trim() || email.split('@')[0] || 'Guest').slice(0, 100),
    lastName: (user.lastName.trim() || '-').slice(0, 100),
    email,
  });
  if (!inserted) {
    // Another transaction made it first; it is visible once that one committed.
    const [made] = await customersOfUser(tx, user.userId);
    if (!made) throw new Error(`The customer record of user ${user.userId} was made concurrently but cannot be read`);
    return factsOf(made);
  }
  await recordChange(tx, actor, {
    orgId,
    action: 'CREATE',
    entityType: 'customer',
    entityId: inserted.id,
    after: replyOf(inserted),
    event: { type: 'customer.created', source, data: { customerId: inserted.id, userId: user.userId } },
  });
  return factsOf(inserted);
}

async function followMerges(db: Queryable, row: CustomerRow): Promise<CustomerRow | undefined> {
  let current: CustomerRow | undefined = row;
  for (let hops = 0; current?.mergedIntoId && hops < 20; hops++) current = await customerRow(db, current.mergedIntoId);
  return current;
}

function notFound(customerId: string) {
  return customerErrors.raise('not_found', `No customer ${customerId} here`);
}

function refuseMerged(row: CustomerRow) {
  if (row.mergedIntoId !== null) throw customerErrors.raise('merged', `Customer ${row.id} was merged into ${row.mergedIntoId}`);
}

/** The customer within the scope, locked for a change; 404 when not found, 409 when merged away. */
async function lockedLiveCustomer(tx: Tx, customerId: string, scope: RowScope): Promise<CustomerRow> {
  const row = await customerRow(tx, customerId, scope, { forUpdate: true });
  if (!row) throw notFound(customerId);
  refuseMerged(row);
  return row;
}

export async function getCustomer(db: Queryable, customerId: string, scope: RowScope): Promise<CustomerReply> {
  const row = await customerRow(db, customerId, scope);
  if (!row) throw notFound(customerId);
  return replyOf(row);
}

export async function listCustomers(db: Queryable, query: CustomerListQuery, scope: RowScope) {
  const { rows, total } = await searchCustomers(db, { ...query, ...offsetOf(query) }, scope);
  return { data: rows.map(replyOf), total };
}

const staffOnly: (keyof UpdateCustomerBody)[] = ['notes'];

export async function updateCustomerRecord(
  tx: Tx,
  options: { customerId: string; body: UpdateCustomerBody; scope: RowScope; actor: Caller },
): Promise<CustomerReply> {
  const { customerId, body, scope, actor } = options;
  const before = await lockedLiveCustomer(tx, customerId, scope);
  if (scope.userId !== undefined) {
    const refused = staffOnly.filter((field) => body[field] !== undefined);
    if (refused.length > 0) throw customerErrors.raise('staff_only_field', `Only staff may change ${refused.join(', ')}`);
  }
  const changes = Object.fromEntries(
    Object.entries(body).filter(([field, value]) => before[field as keyof CustomerRow] !== value),
  ) as Partial<CustomerRow>;
  if (Object.keys(changes).length === 0) return replyOf(before);
  return changeCustomer(tx, actor, customerId, before, changes, {
    action: 'UPDATE',
    event: 'customer.updated',
    data: { customerId, changed: Object.keys(changes) },
  });
}

/**
 * Changes the customer's row, audits it before and after, publishes the event that goes with it,
 * and answers the record as it now is.
 */
async function changeCustomer(
  tx: Tx,
  actor: Caller,
  customerId: string,
  before: CustomerRow,
  changes: Partial<CustomerRow>,
  record: { action: AuditAction; event: string; data: Record<string, unknown> },
): Promise<CustomerReply> {
  const after = await updateCustomer(tx, customerId, changes);
  await recordChange(tx, actor, {
    orgId: after.orgId,
    action: record.action,
    entityType: 'customer',
    entityId: customerId,
    before: replyOf(before),
    after: replyOf(after),
    event: { type: record.event, source, data: record.data },
  });
  return replyOf(after);
}

export async function blacklistCustomer(tx: Tx, options: { customerId: string; reason: string; actor: Caller }): Promise<CustomerReply> {
  const { customerId, reason, actor } = options;
  const before = await lockedLiveCustomer(tx, customerId, {});
  if (before.blacklisted)
    throw customerErrors.raise(
      'already_blacklisted',
      `Customer ${customerId} is blacklisted since ${before.blacklistedAt?.toISOString() ?? '?'}`,
    );
  return changeCustomer(
    tx,
    actor,
    customerId,
    before,
    { blacklisted: true, blacklistReason: reason, blacklistedAt: new Date() },
    { action: 'BLACKLIST', event: 'customer.blacklisted', data: { customerId, reason } },
  );
}

export async function unblacklistCustomer(tx: Tx, options: { customerId: string; actor: Caller }): Promise<CustomerReply> {
  const { customerId, actor } = options;
  const before = await lockedLiveCustomer(tx, customerId, {});
  if (!before.blacklisted) throw customerErrors.raise('not_blacklisted', `Customer ${customerId} is not blacklisted`);
  return changeCustomer(
    tx,
    actor,
    customerId,
    before,
    { blacklisted: false, blacklistReason: null, blacklistedAt: null },
    { action: 'STATUS_CHANGE', event: 'customer.unblacklisted', data: { customerId } },
  );
}

/** The fields a merge fills on the kept record when they are empty there. */
const fillable = ['userId', 'email', 'phone', 'dateOfBirth', 'nationality', 'address', 'notes'] as const;

/**
 * Merges a duplicate into the kept record: the kept one fills its empty fields from the duplicate
 * and is blacklisted if either was; the duplicate stays, pointing at the kept one, and can no
 * longer be changed, merged or booked.
 */
export async function mergeCustomers(tx: Tx, options: { customerId: string; body: MergeBody; actor: Caller }): Promise<CustomerReply> {
  const { customerId, actor } = options;
  const duplicateId = options.body.duplicateCustomerId;
  if (duplicateId === customerId) throw customerErrors.raise('merge_self');
  const rows = await lockCustomers(tx, [customerId, duplicateId]);
  const kept = rows.find((row) => row.id === customerId);
  const duplicate = rows.find((row) => row.id === duplicateId);
  if (!kept) throw notFound(customerId);
  if (!duplicate) throw notFound(duplicateId);
  refuseMerged(kept);
  refuseMerged(duplicate);

  const filled: Partial<CustomerRow> = {};
  for (const field of fillable) {
    if (kept[field] === null && duplicate[field] !== null) Object.assign(filled, { [field]: duplicate[field] });
  }
  if (kept.kycStatus === 'not_started' && duplicate.kycStatus !== 'not_started') filled.kycStatus = duplicate.kycStatus;
  if (!kept.blacklisted && duplicate.blacklisted) {
    Object.assign(filled, {
      blacklisted: true,
      blacklistReason: duplicate.blacklistReason,
      blacklistedAt: duplicate.blacklistedAt,
    } satisfies Partial<CustomerRow>);
  }
  // The duplicate is marked first: it may hand its login to the kept record, and one login has
  // one live record.
  const mergedAway = await updateCustomer(tx, duplicateId, { mergedIntoId: customerId, mergedAt: new Date() });
  const after = Object.keys(filled).length > 0 ? await updateCustomer(tx, customerId, filled) : kept;
  const before = { customer: replyOf(kept), duplicate: replyOf(duplicate) };
  await recordChange(tx, actor, {
    orgId: after.orgId,
    action: 'MERGE',
    entityType: 'customer',
    entityId: customerId,
    before,
    after: { customer: replyOf(after), duplicate: replyOf(mergedAway) },
    event: { type: 'customer.merged', source, data: { customerId: duplicateId, intoCustomerId: customerId } },
  });
  await recordChange(tx, actor, {
    orgId: after.orgId,
    action: 'MERGE',
    entityType: 'customer',
    entityId: duplicateId,
    before,
    after: { customer: replyOf(after), duplicate: replyOf(mergedAway) },
  });
  return replyOf(after);
}
