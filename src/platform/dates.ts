import { Temporal } from 'temporal-polyfill';

/**
 * Stay dates are calendar dates in the property's time zone (`Temporal.PlainDate`, `YYYY-MM-DD`);
 * moments are instants. A stay's nights are half-open: from check-in up to, not including,
 * check-out, the same shape as the occupancy table's date ranges.
 */
export type PlainDate = Temporal.PlainDate;
export const PlainDate = Temporal.PlainDate;

export const weekdayKeys = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type WeekdayKey = (typeof weekdayKeys)[number];

const datePattern = /^\d{4}-\d{2}-\d{2}$/;
const monthPattern = /^\d{4}-\d{2}$/;

/** Parses `YYYY-MM-DD`, refusing dates that do not exist (2026-02-30) rather than clamping them. */
export function parseDate(text: string): PlainDate {
  if (!datePattern.test(text)) throw new RangeError(`A date is YYYY-MM-DD, not ${JSON.stringify(text)}`);
  return Temporal.PlainDate.from(text, { overflow: 'reject' });
}

export function isDate(text: string): boolean {
  try {
    parseDate(text);
    return true;
  } catch {
    return false;
  }
}

/** The first day of a `YYYY-MM` month. */
export function parseMonth(text: string): PlainDate {
  if (!monthPattern.test(text)) throw new RangeError(`A month is YYYY-MM, not ${JSON.stringify(text)}`);
  return Temporal.PlainYearMonth.from(text, { overflow: 'reject' }).toPlainDate({ day: 1 });
}

export function nightsBetween(checkIn: PlainDate, checkOut: PlainDate): number {
  return checkIn.until(checkOut, { largestUnit: 'days' }).days;
}

/** Each night of [from, to), in order. */
export function* eachNight(from: PlainDate, to: PlainDate): Generator<PlainDate> {
  for (let night = from; Temporal.PlainDate.compare(night, to) < 0; night = night.add({ days: 1 })) yield night;
}

export function weekdayOf(date: PlainDate): WeekdayKey {
  return weekdayKeys[date.dayOfWeek - 1]!;
}

export function isBefore(a: PlainDate, b: PlainDate): boolean {
  return Temporal.PlainDate.compare(a, b) < 0;
}

/** Adds months, clamping to the month's last day (January 31 + 1 month = February 28 or 29). */
export function addMonths(date: PlainDate, months: number): PlainDate {
  return date.add({ months }, { overflow: 'constrain' });
}

export function firstOfNextMonth(date: PlainDate): PlainDate {
  return date.toPlainYearMonth().add({ months: 1 }).toPlainDate({ day: 1 });
}

export function isValidTimeZone(zone: string): boolean {
  try {
    Temporal.Now.zonedDateTimeISO(zone);
    return true;
  } catch {
    return false;
  }
}

/** Today's date in a time zone. */
export function todayIn(timeZone: string, now: Date = new Date()): PlainDate {
  return Temporal.Instant.fromEpochMilliseconds(now.getTime()).toZonedDateTimeISO(timeZone).toPlainDate();
}

/**
 * The instant a wall-clock time happens on a date in a time zone. On a daylight-saving gap the
 * time moves forward (02:30 that does not exist is 03:30); on an overlap the earlier one is taken.
 */
export function instantAt(date: PlainDate, time: string, timeZone: string): Date {
  const zoned = date.toZonedDateTime({ timeZone, plainTime: Temporal.PlainTime.from(time) });
  return new Date(zoned.epochMilliseconds);
}
