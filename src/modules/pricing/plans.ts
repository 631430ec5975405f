import { type Caller, recordChange } from '../../platform/audit/change.ts';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import { offsetOf, type PageQuery } from '../../platform/http/pagination.ts';
import { uuidv7 } from '../../platform/ids.ts';
import { propertyFacts } from '../inventory/index.ts';
import type { Access } from '../organizations/index.ts';
import { pricingErrors } from './errors.ts';
import type { CreateRatePlanBody, RatePlanReply, UpdateRatePlanBody } from './schemas.ts';
import { ratePlanOf, unitTypeOf } from './scope.ts';
import {
  clearDefaultPlan,
  constraintError,
  countRatePlans,
  deleteRatePlan as deleteRatePlanRow,
  insertRatePlan,
  lockUnitTypePlans,
  oldestOtherPlan,
  ratePlanPriceFields,
  type RatePlanRow,
  ratePlansOfUnitType,
  updateRatePlan as updateRatePlanRow,
} from './store.ts';

export const source = 'pricing';

export interface Acting {
  access: Access;
  caller: Caller;
}

export function toRatePlanReply(row: RatePlanRow): RatePlanReply {
  return {
    id: row.id,
    propertyId: row.propertyId,
    unitTypeId: row.unitTypeId,
    name: row.name,
    code: row.code,
    isDefault: row.isDefault,
    currency: row.currency,
    basePrice: row.basePrice,
    weekdayPrices: row.weekdayPrices,
    cleaningFee: row.cleaningFee,
    extraGuestFee: row.extraGuestFee,
    guestsIncluded: row.guestsIncluded,
    serviceFeeBps: row.serviceFeeBps,
    weeklyDiscountBps: row.weeklyDiscountBps,
    monthlyDiscountBps: row.monthlyDiscountBps,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** A plan as the audit log keeps it: everything but the timestamps. */
function auditState(row: RatePlanRow): Record<string, unknown> {
  const { createdAt: _createdAt, updatedAt: _updatedAt, ...state } = toRatePlanReply(row);
  return state;
}

function codeTaken(error: unknown): never {
  if (constraintError(error)?.code === '23505' && constraintError(error)?.constraint === 'rate_plan_unit_type_id_code_key') {
    throw pricingErrors.raise('rate_plan_code_taken');
  }
  throw error;
}

/** Records a plan's change and publishes `rate_plan.<what>` for listings to refresh their "from" price. */
export async function recordPlanChange(
  tx: Tx,
  caller: Caller,
  change: {
    action: 'CREATE' | 'UPDATE' | 'DELETE' | 'RATE_UPDATE';
    event: 'created' | 'updated' | 'deleted';
    plan: RatePlanRow;
    before?: RatePlanRow;
  },
): Promise<void> {
  const { plan } = change;
  await recordChange(tx, caller, {
    orgId: plan.orgId,
    action: change.action,
    entityType: 'rate_plan',
    entityId: plan.id,
    before: change.before ? auditState(change.before) : null,
    after: change.action === 'DELETE' ? null : auditState(plan),
    event: {
      type: `rate_plan.${change.event}`,
      source,
      data: { ratePlanId: plan.id, unitTypeId: plan.unitTypeId, isDefault: change.action === 'DELETE' ? false : plan.isDefault },
    },
  });
}

/** A change of a plan's seasons or nights is a change of its prices: `rate_plan.updated` tells listings to refresh. */
export function planUpdated(plan: RatePlanRow) {
  return {
    type: 'rate_plan.updated',
    source,
    aggregate: { type: 'rate_plan', id: plan.id },
    data: { ratePlanId: plan.id, unitTypeId: plan.unitTypeId, isDefault: plan.isDefault },
  };
}

/** Takes the default away from the unit type's current default plan (recorded as its change). */
async function demoteDefault(tx: Tx, caller: Caller, unitTypeId: string): Promise<void> {
  const demoted = await clearDefaultPlan(tx, unitTypeId);
  if (demoted)
    await recordPlanChange(tx, caller, { action: 'UPDATE', event: 'updated', plan: demoted, before: { ...demoted, isDefault: true } });
}

export async function createRatePlan(
  tx: Tx,
  { access, caller }: Acting,
  input: { unitTypeId: string; body: CreateRatePlanBody },
): Promise<RatePlanReply> {
  const unitType = await unitTypeOf(tx, access, input.unitTypeId);
  const property = await propertyFacts(tx, unitType.propertyId);
  if (!property) throw pricingErrors.raise('unit_type_not_found');
  const { body } = input;
  if (body.currency !== property.currency) {
    throw pricingErrors.raise('currency_mismatch', `The property's currency is ${property.currency}, not ${body.currency}`, {
      errors: [{ path: 'body.currency', code: 'currency_mismatch', message: `Must be ${property.currency}` }],
    });
  }
  await lockUnitTypePlans(tx, unitType.id);
  const first = (await countRatePlans(tx, unitType.id)) === 0;
  const isDefault = first || body.isDefault === true;
  if (isDefault && !first) await demoteDefault(tx, caller, unitType.id);
  const { isDefault: _asked, currency, ...values } = body;
  const plan = await insertRatePlan(tx, {
    ...values,
    id: uuidv7(),
    orgId: access.orgId,
    propertyId: unitType.propertyId,
    unitTypeId: unitType.id,
    currency,
    isDefault,
  }).catch(codeTaken);
  await recordPlanChange(tx, caller, { action: 'CREATE', event: 'created', plan });
  return toRatePlanReply(plan);
}

export async function listRatePlans(db: Queryable, access: Access, input: { unitTypeId: string; query: PageQuery }) {
  const unitType = await unitTypeOf(db, access, input.unitTypeId);
  const rows = await ratePlansOfUnitType(db, unitType.id, offsetOf(input.query));
  return { data: rows.map(toRatePlanReply), total: await countRatePlans(db, unitType.id) };
}

export async function getRatePlan(db: Queryable, access: Access, ratePlanId: string): Promise<RatePlanReply> {
  return toRatePlanReply(await ratePlanOf(db, access, ratePlanId));
}

/**
 * Changes a plan. A change of its prices is a RATE_UPDATE in the audit log, any other an UPDATE;
 * both publish `rate_plan.updated`. `isDefault: true` moves the default here from the other plan.
 */
export async function updateRatePlan(
  tx: Tx,
  { access, caller }: Acting,
  input: { ratePlanId: string; body: UpdateRatePlanBody },
): Promise<RatePlanReply> {
  const current = await ratePlanOf(tx, access, input.ratePlanId);
  await lockUnitTypePlans(tx, current.unitTypeId);
  const before = await ratePlanOf(tx, access, input.ratePlanId, { forUpdate: true });
  const { isDefault, ...values } = input.body;
  if (isDefault === false && before.isDefault) {
    throw pricingErrors.raise('default_required', 'Make another plan of the unit type the default: this one then stops being it');
  }
  const becomesDefault = isDefault === true && !before.isDefault;
  if (becomesDefault) await demoteDefault(tx, caller, before.unitTypeId);
  const after = await updateRatePlanRow(tx, before.id, { ...values, ...(becomesDefault ? { isDefault: true } : {}) }).catch(codeTaken);
  const pricesChanged = ratePlanPriceFields.some((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]));
  await recordPlanChange(tx, caller, { action: pricesChanged ? 'RATE_UPDATE' : 'UPDATE', event: 'updated', plan: after, before });
  return toRatePlanReply(after);
}

/** Deletes a plan with its seasons and nights; when it was the default, the oldest remaining plan becomes the default. */
export async function deleteRatePlan(tx: Tx, { access, caller }: Acting, ratePlanId: string): Promise<void> {
  const current = await ratePlanOf(tx, access, ratePlanId);
  await lockUnitTypePlans(tx, current.unitTypeId);
  const plan = await ratePlanOf(tx, access, ratePlanId, { forUpdate: true });
  await deleteRatePlanRow(tx, plan.id);
  await recordPlanChange(tx, caller, { action: 'DELETE', event: 'deleted', plan, before: plan });
  if (!plan.isDefault) return;
  const successor = await oldestOtherPlan(tx, plan.unitTypeId, plan.id);
  if (!successor) return;
  const promoted = await updateRatePlanRow(tx, successor.id, { isDefault: true });
  await recordPlanChange(tx, caller, { action: 'UPDATE', event: 'updated', plan: promoted, before: successor });
}
