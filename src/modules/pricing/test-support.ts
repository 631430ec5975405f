import type { z } from 'zod';
import { systemCaller } from '../../platform/audit/change.ts';
import type { Database } from '../../platform/db/database.ts';
import { transactionAsTenant } from '../../platform/db/tenant.ts';
import { uuidv7 } from '../../platform/ids.ts';
import type { Access } from '../organizations/index.ts';
import { updateNights } from './calendar.ts';
import { createRatePlan } from './plans.ts';
import { createPolicy } from './policies.ts';
import { CreatePolicyBody, CreateRatePlanBody, CreateSeasonBody, CreateTaxBody, UpdateNightsBody } from './schemas.ts';
import { createSeason } from './seasons.ts';
import { createTax } from './taxes.ts';

export interface RatePlanFixture {
  ratePlanId: string;
  seasonIds: string[];
  taxIds: string[];
}

type Input<Schema extends z.ZodType> = Partial<z.input<Schema>>;

function actingAsSystem(orgId: string) {
  const access: Access = { userId: '00000000-0000-7000-8000-000000000000', orgId, role: 'admin', scope: 'all', inPlatform: false };
  return { access, caller: systemCaller(orgId, { correlationId: uuidv7() }) };
}

/**
 * For tests, here and in other modules: a rate plan of the unit type (EUR, 100.00 a night unless
 * overridden), its seasons, per-night changes and the property's taxes, made by the module's own use
 * cases in one transaction, audited as the system.
 */
export async function createRatePlanFixture(
  db: Database,
  orgId: string,
  options: {
    unitTypeId: string;
    propertyId?: string;
    plan?: Input<typeof CreateRatePlanBody>;
    seasons?: Input<typeof CreateSeasonBody>[];
    nights?: Input<typeof UpdateNightsBody>[];
    taxes?: Input<typeof CreateTaxBody>[];
  },
): Promise<RatePlanFixture> {
  const acting = actingAsSystem(orgId);
  return transactionAsTenant(db, orgId, async (tx) => {
    const plan = await createRatePlan(tx, acting, {
      unitTypeId: options.unitTypeId,
      body: CreateRatePlanBody.parse({ name: 'Best available rate', code: 'BAR', currency: 'EUR', basePrice: 10_000, ...options.plan }),
    });
    const seasonIds: string[] = [];
    for (const season of options.seasons ?? []) {
      seasonIds.push((await createSeason(tx, acting, { ratePlanId: plan.id, body: CreateSeasonBody.parse(season) })).id);
    }
    for (const nights of options.nights ?? [])
      await updateNights(tx, acting, { ratePlanId: plan.id, body: UpdateNightsBody.parse(nights) });
    const taxIds: string[] = [];
    for (const tax of options.taxes ?? []) {
      taxIds.push((await createTax(tx, acting, { propertyId: options.propertyId ?? plan.propertyId, body: CreateTaxBody.parse(tax) })).id);
    }
    return { ratePlanId: plan.id, seasonIds, taxIds };
  });
}

/** For tests: taxes of a property, made by the module's own use case. */
export async function createTaxFixture(db: Database, orgId: string, propertyId: string, tax: Input<typeof CreateTaxBody>): Promise<string> {
  const acting = actingAsSystem(orgId);
  return transactionAsTenant(db, orgId, async (tx) => (await createTax(tx, acting, { propertyId, body: CreateTaxBody.parse(tax) })).id);
}

/** For tests: one of the organization's own cancellation policies. */
export async function createPolicyFixture(db: Database, orgId: string, policy: Input<typeof CreatePolicyBody>): Promise<string> {
  const acting = actingAsSystem(orgId);
  return transactionAsTenant(db, orgId, async (tx) => (await createPolicy(tx, acting, CreatePolicyBody.parse(policy))).id);
}
