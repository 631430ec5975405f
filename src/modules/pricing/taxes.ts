import { type Caller, recordChange } from '../../platform/audit/change.ts';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import type { FieldError } from '../../platform/http/errors.ts';
import { offsetOf, type PageQuery } from '../../platform/http/pagination.ts';
import { uuidv7 } from '../../platform/ids.ts';
import type { PropertyFacts } from '../inventory/index.ts';
import type { Access } from '../organizations/index.ts';
import { pricingErrors } from './errors.ts';
import { source } from './plans.ts';
import type { CreateTaxBody, TaxReply, UpdateTaxBody } from './schemas.ts';
import { propertyOf, taxOf } from './scope.ts';
import {
  countTaxes,
  deleteTax as deleteTaxRow,
  insertTax,
  type TaxKind,
  type TaxRow,
  type TaxValues,
  taxesOfProperty,
  updateTax as updateTaxRow,
} from './store.ts';
import { type RentalMode, rentalModes } from './types.ts';

export function toTaxReply(row: TaxRow): TaxReply {
  return {
    id: row.id,
    propertyId: row.propertyId,
    name: row.name,
    kind: row.kind,
    rateBps: row.rateBps,
    amount: row.amount,
    currency: row.currency,
    inclusive: row.inclusive,
    appliesToFees: row.appliesToFees,
    rentalModes: row.rentalModes,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function auditState(row: TaxRow): Record<string, unknown> {
  const { createdAt: _createdAt, updatedAt: _updatedAt, ...state } = toTaxReply(row);
  return state;
}

/**
 * The rental modes a kind of tax can apply to: a per-guest tax needs the guest count only daily
 * stays have; a per-night tax needs nights, which leases (billed by the month) do not count.
 */
const modesOfKind: Record<TaxKind, readonly RentalMode[]> = {
  percentage: rentalModes,
  per_night: ['daily', 'monthly'],
  per_person_per_night: ['daily'],
};

type TaxFields = keyof TaxValues;

/**
 * A tax's values made consistent with its kind: a percentage has a rate and may be inclusive; a
 * fixed tax has an amount in the property's currency and is never inclusive. Fields the kind does
 * not use are cleared, unless the request itself set them (then 422 `pricing.invalid_tax`).
 */
function settle(draft: TaxValues, given: ReadonlySet<TaxFields>, property: PropertyFacts, fallbackModes: readonly RentalMode[]): TaxValues {
  const problems: FieldError[] = [];
  const problem = (field: TaxFields, message: string) => problems.push({ path: `body.${field}`, code: 'invalid', message });
  const values = { ...draft };
  if (values.kind === 'percentage') {
    if (given.has('amount') && values.amount !== null) problem('amount', 'A percentage tax has a rate, not an amount');
    if (given.has('currency') && values.currency !== null) problem('currency', 'A percentage tax has no currency');
    if (values.rateBps === null) problem('rateBps', 'A percentage tax needs rateBps');
    values.amount = null;
    values.currency = null;
  } else {
    if (given.has('rateBps') && values.rateBps !== null) problem('rateBps', `A ${values.kind} tax has an amount, not a rate`);
    if (given.has('inclusive') && values.inclusive) problem('inclusive', 'Only percentage taxes can be inclusive');
    if (values.amount === null) problem('amount', `A ${values.kind} tax needs an amount`);
    values.rateBps = null;
    values.inclusive = false;
    values.currency = values.currency ?? property.currency;
    if (values.currency !== property.currency) {
      throw pricingErrors.raise('currency_mismatch', `The property's currency is ${property.currency}, not ${values.currency}`, {
        errors: [{ path: 'body.currency', code: 'currency_mismatch', message: `Must be ${property.currency}` }],
      });
    }
  }
  const allowed = modesOfKind[values.kind];
  if (given.has('rentalModes')) {
    values.rentalModes = [...new Set(values.rentalModes)];
    for (const mode of values.rentalModes)
      if (!allowed.includes(mode)) problem('rentalModes', `A ${values.kind} tax cannot apply to ${mode}`);
  } else {
    const kept = fallbackModes.filter((mode) => allowed.includes(mode));
    values.rentalModes = kept.length > 0 ? kept : [...allowed];
  }
  if (problems.length > 0) throw pricingErrors.raise('invalid_tax', problems.map((item) => item.message).join('; '), { errors: problems });
  return values;
}

function givenFields(body: object): Set<TaxFields> {
  return new Set(Object.entries(body).flatMap(([key, value]) => (value === undefined ? [] : [key as TaxFields])));
}

async function recordTaxChange(
  tx: Tx,
  caller: Caller,
  change: { action: 'CREATE' | 'UPDATE' | 'DELETE'; tax: TaxRow; before?: TaxRow },
): Promise<void> {
  const { tax } = change;
  const what = { CREATE: 'created', UPDATE: 'updated', DELETE: 'deleted' }[change.action];
  await recordChange(tx, caller, {
    orgId: tax.orgId,
    action: change.action,
    entityType: 'tax',
    entityId: tax.id,
    before: change.before ? auditState(change.before) : null,
    after: change.action === 'DELETE' ? null : auditState(tax),
    event: { type: `tax.${what}`, source, data: { taxId: tax.id, propertyId: tax.propertyId } },
  });
}

export async function createTax(
  tx: Tx,
  { access, caller }: { access: Access; caller: Caller },
  input: { propertyId: string; body: CreateTaxBody },
): Promise<TaxReply> {
  const property = await propertyOf(tx, access, input.propertyId);
  const { body } = input;
  const draft: TaxValues = {
    name: body.name,
    kind: body.kind,
    rateBps: body.rateBps ?? null,
    amount: body.amount ?? null,
    currency: body.currency ?? null,
    inclusive: body.inclusive ?? false,
    appliesToFees: body.appliesToFees ?? true,
    rentalModes: body.rentalModes ?? [],
  };
  const values = settle(draft, givenFields(body), property, modesOfKind[body.kind]);
  const tax = await insertTax(tx, { ...values, id: uuidv7(), orgId: access.orgId, propertyId: property.id });
  await recordTaxChange(tx, caller, { action: 'CREATE', tax });
  return toTaxReply(tax);
}

export async function listTaxes(db: Queryable, access: Access, input: { propertyId: string; query: PageQuery }) {
  const property = await propertyOf(db, access, input.propertyId);
  const rows = await taxesOfProperty(db, property.id, offsetOf(input.query));
  return { data: rows.map(toTaxReply), total: await countTaxes(db, property.id) };
}

export async function getTax(db: Queryable, access: Access, taxId: string): Promise<TaxReply> {
  return toTaxReply(await taxOf(db, access, taxId));
}

export async function updateTax(
  tx: Tx,
  { access, caller }: { access: Access; caller: Caller },
  input: { taxId: string; body: UpdateTaxBody },
): Promise<TaxReply> {
  const before = await taxOf(tx, access, input.taxId, { forUpdate: true });
  const property = await propertyOf(tx, access, before.propertyId);
  const { body } = input;
  const draft: TaxValues = {
    name: body.name ?? before.name,
    kind: body.kind ?? before.kind,
    rateBps: body.rateBps === undefined ? before.rateBps : body.rateBps,
    amount: body.amount === undefined ? before.amount : body.amount,
    currency: body.currency === undefined ? before.currency : body.currency,
    inclusive: body.inclusive ?? before.inclusive,
    appliesToFees: body.appliesToFees ?? before.appliesToFees,
    rentalModes: body.rentalModes ?? before.rentalModes,
  };
  const values = settle(draft, givenFields(body), property, before.rentalModes);
  const after = await updateTaxRow(tx, before.id, values);
  await recordTaxChange(tx, caller, { action: 'UPDATE', tax: after, before });
  return toTaxReply(after);
}

export async function deleteTax(tx: Tx, { access, caller }: { access: Access; caller: Caller }, taxId: string): Promise<void> {
  const tax = await taxOf(tx, access, taxId, { forUpdate: true });
  await deleteTaxRow(tx, tax.id);
  await recordTaxChange(tx, caller, { action: 'DELETE', tax, before: tax });
}
