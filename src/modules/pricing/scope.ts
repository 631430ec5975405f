import { z } from 'zod';
import type { Queryable } from '../../platform/db/database.ts';
import { type PropertyFacts, propertyFacts, propertyIdsOwnedBy, type UnitTypeFacts, unitTypeFacts } from '../inventory/index.ts';
import type { Access } from '../organizations/index.ts';
import { pricingErrors } from './errors.ts';
import { type PolicyRow, policyById, type RatePlanRow, ratePlanById, type SeasonRow, seasonById, type TaxRow, taxById } from './store.ts';

/**
 * The granted scope applied to pricing's rows. Plans, seasons, nights and taxes belong to a
 * property: `all` reaches every one of the organization (row-level security keeps the others
 * out), `own` only those of the properties the caller owns, `assigned` none. Cancellation
 * policies are the organization's terms for every property, readable by anyone who may read rates.
 * Whatever is out of reach answers 404, like another organization's.
 */
export async function propertyInScope(db: Queryable, access: Pick<Access, 'scope' | 'userId'>, propertyId: string): Promise<boolean> {
  if (access.scope === 'all') return true;
  if (access.scope === 'own') return (await propertyIdsOwnedBy(db, access.userId)).includes(propertyId);
  return false;
}

const isUuid = (value: string) => z.uuid().safeParse(value).success;

export async function propertyOf(db: Queryable, access: Access, propertyId: string): Promise<PropertyFacts> {
  const property = isUuid(propertyId) ? await propertyFacts(db, propertyId) : undefined;
  if (!property || !(await propertyInScope(db, access, property.id))) throw pricingErrors.raise('property_not_found');
  return property;
}

export async function unitTypeOf(db: Queryable, access: Access, unitTypeId: string): Promise<UnitTypeFacts> {
  const unitType = isUuid(unitTypeId) ? await unitTypeFacts(db, unitTypeId) : undefined;
  if (!unitType || !(await propertyInScope(db, access, unitType.propertyId))) throw pricingErrors.raise('unit_type_not_found');
  return unitType;
}

export async function ratePlanOf(
  db: Queryable,
  access: Access,
  ratePlanId: string,
  options: { forUpdate?: boolean } = {},
): Promise<RatePlanRow> {
  const plan = isUuid(ratePlanId) ? await ratePlanById(db, ratePlanId, options) : undefined;
  if (!plan || !(await propertyInScope(db, access, plan.propertyId))) throw pricingErrors.raise('rate_plan_not_found');
  return plan;
}

export async function seasonOf(db: Queryable, access: Access, seasonId: string): Promise<{ season: SeasonRow; plan: RatePlanRow }> {
  const season = isUuid(seasonId) ? await seasonById(db, seasonId) : undefined;
  const plan = season && (await ratePlanById(db, season.ratePlanId));
  if (!season || !plan || !(await propertyInScope(db, access, plan.propertyId))) throw pricingErrors.raise('season_not_found');
  return { season, plan };
}

export async function taxOf(db: Queryable, access: Access, taxId: string, options: { forUpdate?: boolean } = {}): Promise<TaxRow> {
  const tax = isUuid(taxId) ? await taxById(db, taxId, options) : undefined;
  if (!tax || !(await propertyInScope(db, access, tax.propertyId))) throw pricingErrors.raise('tax_not_found');
  return tax;
}

export async function policyOf(db: Queryable, policyId: string, options: { forUpdate?: boolean } = {}): Promise<PolicyRow> {
  const policy = isUuid(policyId) ? await policyById(db, policyId, options) : undefined;
  if (!policy) throw pricingErrors.raise('policy_not_found');
  return policy;
}
