import { recordChange } from '../../platform/audit/change.ts';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import { offsetOf, type PageQuery } from '../../platform/http/pagination.ts';
import { uuidv7 } from '../../platform/ids.ts';
import type { Access } from '../organizations/index.ts';
import { pricingErrors } from './errors.ts';
import { rangeOf } from './nights.ts';
import { type Acting, planUpdated } from './plans.ts';
import type { CreateSeasonBody, SeasonReply } from './schemas.ts';
import { ratePlanOf, seasonOf } from './scope.ts';
import { constraintError, countSeasons, deleteSeason as deleteSeasonRow, insertSeason, type SeasonRow, seasonsOfPlan } from './store.ts';

export function toSeasonReply(row: SeasonRow): SeasonReply {
  return {
    id: row.id,
    ratePlanId: row.ratePlanId,
    name: row.name,
    from: row.from,
    to: row.to,
    price: row.price,
    weekdayPrices: row.weekdayPrices,
    createdAt: row.createdAt.toISOString(),
  };
}

function auditState(row: SeasonRow): Record<string, unknown> {
  const { createdAt: _createdAt, ...state } = toSeasonReply(row);
  return state;
}

/** Adds a season to a plan; one overlapping another season of the plan is refused (409 `pricing.season_overlap`). */
export async function createSeason(
  tx: Tx,
  { access, caller }: Acting,
  input: { ratePlanId: string; body: CreateSeasonBody },
): Promise<SeasonReply> {
  const plan = await ratePlanOf(tx, access, input.ratePlanId);
  const { body } = input;
  rangeOf(body.from, body.to);
  const season = await insertSeason(tx, { ...body, id: uuidv7(), orgId: plan.orgId, ratePlanId: plan.id }).catch((error: unknown) => {
    // The exclusion constraint, not a prior read, decides: two concurrent overlapping seasons cannot both commit.
    if (constraintError(error)?.code === '23P01') {
      throw pricingErrors.raise('season_overlap', `Another season of the plan has nights between ${body.from} and ${body.to}`);
    }
    throw error;
  });
  await recordChange(tx, caller, {
    orgId: plan.orgId,
    action: 'CREATE',
    entityType: 'rate_season',
    entityId: season.id,
    after: auditState(season),
    event: planUpdated(plan),
  });
  return toSeasonReply(season);
}

export async function listSeasons(db: Queryable, access: Access, input: { ratePlanId: string; query: PageQuery }) {
  const plan = await ratePlanOf(db, access, input.ratePlanId);
  const rows = await seasonsOfPlan(db, plan.id, offsetOf(input.query));
  return { data: rows.map(toSeasonReply), total: await countSeasons(db, plan.id) };
}

export async function deleteSeason(tx: Tx, { access, caller }: Acting, seasonId: string): Promise<void> {
  const { season, plan } = await seasonOf(tx, access, seasonId);
  await deleteSeasonRow(tx, season.id);
  await recordChange(tx, caller, {
    orgId: plan.orgId,
    action: 'DELETE',
    entityType: 'rate_season',
    entityId: season.id,
    before: auditState(season),
    event: planUpdated(plan),
  });
}
