import { recordChange } from '../../platform/audit/change.ts';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import { parseDate, todayIn, weekdayKeys, weekdayOf } from '../../platform/dates.ts';
import { propertyFacts } from '../inventory/index.ts';
import type { Access } from '../organizations/index.ts';
import { pricingErrors } from './errors.ts';
import { nightsOfPlan, rangeOf } from './nights.ts';
import { type Acting, planUpdated } from './plans.ts';
import { nightFields, type NightsQuery, type NightsReply, type UpdateNightsBody } from './schemas.ts';
import { ratePlanOf } from './scope.ts';
import { constraintError, type RateDayChange, rateDaysOf, upsertRateDays } from './store.ts';

const defaultNights = 31;

/** The plan's nights [from, to), priced and with their restrictions. */
export async function planNights(db: Queryable, access: Access, input: { ratePlanId: string; query: NightsQuery }): Promise<NightsReply> {
  const plan = await ratePlanOf(db, access, input.ratePlanId);
  const from = input.query.from ?? todayIn((await propertyFacts(db, plan.propertyId))?.timeZone ?? 'UTC').toString();
  const range = rangeOf(from, input.query.to ?? parseDate(from).add({ days: defaultNights }).toString());
  return { ratePlanId: plan.id, data: await nightsOfPlan(db, plan, range.from, range.to) };
}

/**
 * Sets prices and restrictions on the nights [from, to) — only those on the given weekdays, when
 * given — in one statement. An omitted field is left as it is on each night; `null` clears it.
 * Answers the whole range as it now is.
 */
export async function updateNights(
  tx: Tx,
  { access, caller }: Acting,
  input: { ratePlanId: string; body: UpdateNightsBody },
): Promise<NightsReply> {
  const plan = await ratePlanOf(tx, access, input.ratePlanId);
  const { body } = input;
  const range = rangeOf(body.from, body.to);
  const weekdays = body.weekdays ?? [...weekdayKeys];
  const change: RateDayChange = Object.fromEntries(
    nightFields.filter((field) => body[field] !== undefined).map((field) => [field, body[field]]),
  );
  const target = { from: range.from.toString(), to: range.to.toString() };
  const touched = <T extends { night: string }>(rows: T[]) => rows.filter((row) => weekdays.includes(weekdayOf(parseDate(row.night))));

  const before = touched(await rateDaysOf(tx, plan.id, target));
  await upsertRateDays(
    tx,
    { ...target, orgId: plan.orgId, ratePlanId: plan.id, isoWeekdays: weekdays.map((day) => weekdayKeys.indexOf(day) + 1) },
    change,
  ).catch((error: unknown) => {
    if (constraintError(error)?.code === '23514') {
      throw pricingErrors.raise('invalid_restrictions', 'The change would leave a night with a minimum stay above its maximum stay');
    }
    throw error;
  });
  const after = touched(await rateDaysOf(tx, plan.id, target));
  const scope = { ...target, weekdays };
  await recordChange(tx, caller, {
    orgId: plan.orgId,
    action: 'RATE_UPDATE',
    entityType: 'rate_plan',
    entityId: plan.id,
    before: { ...scope, nights: before },
    after: { ...scope, change, nights: after },
    event: planUpdated(plan),
  });
  return { ratePlanId: plan.id, data: await nightsOfPlan(tx, plan, range.from, range.to) };
}
