import { z } from 'zod';
import type { Queryable } from '../../platform/db/database.ts';
import { eachNight, nightsBetween, parseDate, type PlainDate, todayIn, weekdayOf } from '../../platform/dates.ts';
import { propertyFacts } from '../inventory/index.ts';
import { pricingErrors } from './errors.ts';
import {
  defaultRatePlan,
  lowestSeasonPrice,
  type RateDayRow,
  type RatePlanRow,
  rateDaysOf,
  ratePlanById,
  type SeasonRow,
  seasonsOfPlan,
} from './store.ts';
import type { RateNight } from './types.ts';

/** The longest range of nights read or changed at once: two years and a day. */
export const maxRangeNights = 731;

/**
 * The price of one night, by precedence: the night's own price, the season's price for its
 * weekday, the season's price, the plan's price for its weekday, the base price.
 */
export function priceOfNight(plan: RatePlanRow, season: SeasonRow | undefined, day: RateDayRow | undefined, night: PlainDate): number {
  const weekday = weekdayOf(night);
  if (day?.price != null) return day.price;
  if (season) return season.weekdayPrices[weekday] ?? season.price;
  return plan.weekdayPrices[weekday] ?? plan.basePrice;
}

/** The nights [from, to) of a plan, priced and with their restrictions: two queries, whatever the range. */
export async function nightsOfPlan(db: Queryable, plan: RatePlanRow, from: PlainDate, to: PlainDate): Promise<RateNight[]> {
  const range = { from: from.toString(), to: to.toString() };
  const seasons = await seasonsOfPlan(db, plan.id, range);
  const days = await rateDaysOf(db, plan.id, range);
  const dayOf = new Map(days.map((day) => [day.night, day]));
  const nights: RateNight[] = [];
  let seasonIndex = 0;
  for (const night of eachNight(from, to)) {
    const date = night.toString();
    // Seasons of a plan never overlap and come in start order: walk them along with the nights.
    while (seasonIndex < seasons.length && seasons[seasonIndex]!.to <= date) seasonIndex++;
    const candidate = seasons[seasonIndex];
    const season = candidate && candidate.from <= date ? candidate : undefined;
    const day = dayOf.get(date);
    nights.push({
      night: date,
      price: priceOfNight(plan, season, day, night),
      currency: plan.currency,
      minStay: day?.minStay ?? null,
      maxStay: day?.maxStay ?? null,
      closedToArrival: day?.closedToArrival ?? false,
      closedToDeparture: day?.closedToDeparture ?? false,
      stopSell: day?.stopSell ?? false,
    });
  }
  return nights;
}

/**
 * The plan that prices the unit type: the named one (404 when it is not one of the unit type's
 * plans, or not visible), else the default; undefined when the unit type has none.
 */
export async function planOf(db: Queryable, unitTypeId: string, ratePlanId?: string): Promise<RatePlanRow | undefined> {
  if (ratePlanId === undefined) return z.uuid().safeParse(unitTypeId).success ? defaultRatePlan(db, unitTypeId) : undefined;
  const plan = z.uuid().safeParse(ratePlanId).success ? await ratePlanById(db, ratePlanId) : undefined;
  if (!plan || plan.unitTypeId !== unitTypeId) throw pricingErrors.raise('rate_plan_not_found');
  return plan;
}

/** A valid range [from, to) of at most `maxRangeNights` nights, or 422 `pricing.invalid_range`. */
export function rangeOf(from: string, to: string, maxNights = maxRangeNights): { from: PlainDate; to: PlainDate; nights: number } {
  let start: PlainDate;
  let end: PlainDate;
  try {
    start = parseDate(from);
    end = parseDate(to);
  } catch {
    throw pricingErrors.raise('invalid_range', 'from and to are dates, YYYY-MM-DD');
  }
  const nights = nightsBetween(start, end);
  if (nights < 1) throw pricingErrors.raise('invalid_range', '`to` is after `from` (it is the day after the last night)');
  if (nights > maxNights) throw pricingErrors.raise('invalid_range', `A range has at most ${maxNights} nights`);
  return { from: start, to: end, nights };
}

/**
 * The nights [from, to) of the unit type's plan (the default plan unless one is named), at most
 * 731 of them. A unit type without a default plan has no priced nights: the list is empty.
 */
export async function rateNights(
  db: Queryable,
  input: { unitTypeId: string; ratePlanId?: string; from: string; to: string },
): Promise<RateNight[]> {
  const range = rangeOf(input.from, input.to);
  const plan = await planOf(db, input.unitTypeId, input.ratePlanId);
  if (!plan) return [];
  return nightsOfPlan(db, plan, range.from, range.to);
}

/**
 * The lowest base or season price of the unit type's default plan, for "from" prices. Seasons
 * already over (in the property's time zone) no longer count.
 */
export async function fromPrice(db: Queryable, unitTypeId: string): Promise<{ amount: number; currency: string } | undefined> {
  const plan = await planOf(db, unitTypeId);
  if (!plan) return undefined;
  const property = await propertyFacts(db, plan.propertyId);
  const today = todayIn(property?.timeZone ?? 'UTC').toString();
  const season = await lowestSeasonPrice(db, plan.id, today);
  return { amount: season === undefined ? plan.basePrice : Math.min(plan.basePrice, season), currency: plan.currency };
}
