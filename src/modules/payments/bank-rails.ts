import { Temporal } from 'temporal-polyfill';
import { instantAt, type PlainDate } from '../../platform/dates.ts';
import type { BankRail } from './providers/port.ts';

/**
 * The US bank rails' calendar (/work/shared/reference/payments.md, "US bank rails"): banking days,
 * when a transfer submitted at a moment settles on each rail, ACH return codes and their windows.
 * Pure functions: the clock is an argument. Every wall-clock time here is Eastern Time.
 */

export const bankingTimeZone = 'America/New_York';

// --- banking days ---------------------------------------------------------------------------------

export interface FederalReserveHoliday {
  name: string;
  date: PlainDate;
  /** The day banks close for it: the Monday after one on a Sunday; none for one on a Saturday. */
  observed: PlainDate | null;
}

const monday = 1;
const thursday = 4;

/** The n-th given weekday (1 = Monday) of a month. */
function nthWeekday(year: number, month: number, weekday: number, n: number): PlainDate {
  const first = Temporal.PlainDate.from({ year, month, day: 1 });
  return first.add({ days: ((weekday - first.dayOfWeek + 7) % 7) + 7 * (n - 1) });
}

function lastWeekday(year: number, month: number, weekday: number): PlainDate {
  const last = Temporal.PlainDate.from({ year, month, day: 1 }).add({ months: 1 }).subtract({ days: 1 });
  return last.subtract({ days: (last.dayOfWeek - weekday + 7) % 7 });
}

/**
 * The Federal Reserve's holidays of a year. One on a Sunday is observed the Monday after; one on a
 * Saturday is not moved: the Reserve Banks are open the Friday before.
 */
export function federalReserveHolidays(year: number): FederalReserveHoliday[] {
  const fixed = (month: number, day: number) => Temporal.PlainDate.from({ year, month, day });
  const holidays: [string, PlainDate][] = [
    ["New Year's Day", fixed(1, 1)],
    ['Birthday of Martin Luther King, Jr.', nthWeekday(year, 1, monday, 3)],
    ["Washington's Birthday", nthWeekday(year, 2, monday, 3)],
    ['Memorial Day', lastWeekday(year, 5, monday)],
    ['Juneteenth National Independence Day', fixed(6, 19)],
    ['Independence Day', fixed(7, 4)],
    ['Labor Day', nthWeekday(year, 9, monday, 1)],
    ['Columbus Day', nthWeekday(year, 10, monday, 2)],
    ['Veterans Day', fixed(11, 11)],
    ['Thanksgiving Day', nthWeekday(year, 11, thursday, 4)],
    ['Christmas Day', fixed(12, 25)],
  ];
  return holidays.map(([name, date]) => ({
    name,
    date,
    observed: date.dayOfWeek === 7 ? date.add({ days: 1 }) : date.dayOfWeek === 6 ? null : date,
  }));
}

const closedDays = new Map<number, Set<string>>();

function closedDaysOf(year: number): Set<string> {
  let days = closedDays.get(year);
  if (!days) {
    days = new Set(federalReserveHolidays(year).flatMap((holiday) => (holiday.observed ? [holiday.observed.toString()] : [])));
    closedDays.set(year, days);
  }
  return days;
}

/** The Eastern Time calendar date of a moment. */
export function bankingDateOf(moment: Date): PlainDate {
  return Temporal.Instant.fromEpochMilliseconds(moment.getTime()).toZonedDateTimeISO(bankingTimeZone).toPlainDate();
}

/** A weekday on which the Federal Reserve is open; a moment is taken on its Eastern Time date. */
export function isBankingDay(date: PlainDate | Date): boolean {
  const day = date instanceof Date ? bankingDateOf(date) : date;
  return day.dayOfWeek <= 5 && !closedDaysOf(day.year).has(day.toString());
}

/** The first banking day after the date. */
export function nextBankingDay(date: PlainDate): PlainDate {
  let day = date.add({ days: 1 });
  while (!isBankingDay(day)) day = day.add({ days: 1 });
  return day;
}

/** The n-th banking day after the date (n ≥ 1). */
export function addBankingDays(date: PlainDate, count: number): PlainDate {
  let day = date;
  for (let step = 0; step < count; step++) day = nextBankingDay(day);
  return day;
}

// --- settlement -----------------------------------------------------------------------------------

export type SettlementWindow =
  'same_day_ach_1' | 'same_day_ach_2' | 'same_day_ach_3' | 'standard_ach' | 'wire_same_day' | 'wire_next_banking_day' | 'instant';

export interface Settlement {
  /** The submission deadline of the window the transfer goes in; none for instant payments. */
  cutOff: Date | null;
  settlesAt: Date;
  window: SettlementWindow;
}

/** Same-day ACH: submitted by each deadline, settled at its time, on a banking day. */
const sameDayWindows = [
  { window: 'same_day_ach_1', cutOff: '10:30', settles: '13:00' },
  { window: 'same_day_ach_2', cutOff: '14:45', settles: '17:00' },
  { window: 'same_day_ach_3', cutOff: '16:45', settles: '18:00' },
] as const;
const standardAchCutOff = '16:45';
const standardAchSettles = '08:30';
/** The Fedwire funds service closes at 18:00 ET; a wire after it goes out when it opens for business. */
const wireCutOff = '18:00';
const wireNextDaySettles = '09:00';

const at = (date: PlainDate, time: string) => instantAt(date, time, bankingTimeZone);

/**
 * When a transfer submitted at a moment settles on a rail. A deadline is met by a submission at
 * that very minute (10:30:00 is in the 10:30 window), except the wire's, which needs one before 18:00.
 */
export function settlementOf(rail: BankRail, submittedAt: Date): Settlement {
  const day = bankingDateOf(submittedAt);
  const open = isBankingDay(day);
  switch (rail) {
    case 'INSTANT':
      return { cutOff: null, settlesAt: new Date(submittedAt.getTime()), window: 'instant' };
    case 'SAME_DAY_ACH': {
      if (open) {
        for (const window of sameDayWindows) {
          const cutOff = at(day, window.cutOff);
          if (submittedAt <= cutOff) return { cutOff, settlesAt: at(day, window.settles), window: window.window };
        }
      }
      const next = nextBankingDay(day);
      const [first] = sameDayWindows;
      return { cutOff: at(next, first.cutOff), settlesAt: at(next, first.settles), window: first.window };
    }
    case 'STANDARD_ACH': {
      const submitted = open && submittedAt <= at(day, standardAchCutOff) ? day : nextBankingDay(day);
      return {
        cutOff: at(submitted, standardAchCutOff),
        settlesAt: at(nextBankingDay(submitted), standardAchSettles),
        window: 'standard_ach',
      };
    }
    case 'WIRE': {
      if (open && submittedAt < at(day, wireCutOff)) {
        return { cutOff: at(day, wireCutOff), settlesAt: new Date(submittedAt.getTime()), window: 'wire_same_day' };
      }
      const next = nextBankingDay(day);
      return { cutOff: at(next, wireCutOff), settlesAt: at(next, wireNextDaySettles), window: 'wire_next_banking_day' };
    }
  }
}

/** Seconds the sandbox provider takes to report a transfer on each rail (times SANDBOX_TIME_SCALE). */
export function sandboxProcessingSeconds(rail: BankRail): number {
  const seconds: Record<BankRail, number> = { INSTANT: 2, WIRE: 30, SAME_DAY_ACH: 60, STANDARD_ACH: 180 };
  return seconds[rail];
}

// --- ACH returns ----------------------------------------------------------------------------------

export interface AchReturnReason {
  description: string;
  /** Unauthorized-debit returns come back up to 60 calendar days after settlement; others within 2 banking days. */
  unauthorized: boolean;
}

export const achReturnCodes = {
  R01: { description: 'Insufficient funds', unauthorized: false },
  R02: { description: 'Account closed', unauthorized: false },
  R03: { description: 'No account, or unable to locate the account', unauthorized: false },
  R04: { description: 'Invalid account number structure', unauthorized: false },
  R05: { description: 'Unauthorized debit to a consumer account using a corporate entry class code', unauthorized: true },
  R07: { description: 'Authorization revoked by the customer', unauthorized: true },
  R08: { description: 'Payment stopped', unauthorized: false },
  R09: { description: 'Uncollected funds', unauthorized: false },
  R10: { description: 'Customer advises not authorized, improper, ineligible, or part of an incomplete transaction', unauthorized: true },
  R11: { description: 'Customer advises entry not in accordance with the terms of the authorization', unauthorized: true },
  R16: { description: 'Account frozen, or entry returned per OFAC instruction', unauthorized: false },
} as const satisfies Record<string, AchReturnReason>;

export type AchReturnCode = keyof typeof achReturnCodes;

export function isAchReturnCode(code: string): code is AchReturnCode {
  return Object.hasOwn(achReturnCodes, code);
}

/** Retries after a return of R01 or R09 (funds lacking): at most this many, three attempts in all. */
export const maxAchRetries = 2;
const retriableCodes: readonly string[] = ['R01', 'R09'] satisfies AchReturnCode[];

/**
 * When a return of this code can no longer arrive for an entry settled at a moment: the end (Eastern
 * Time midnight) of the second banking day after the settlement date, or of the 60th calendar day
 * for unauthorized-debit returns. A return at or after this moment is late.
 */
export function returnWindowEnds(code: AchReturnCode, settledAt: Date): Date {
  const settled = bankingDateOf(settledAt);
  const lastDay = achReturnCodes[code].unauthorized ? settled.add({ days: 60 }) : addBankingDays(settled, 2);
  return at(lastDay.add({ days: 1 }), '00:00');
}

/** Whether a debit returned with this code may be presented again after `retryCount` retries. */
export function mayRetry(code: string, retryCount: number): boolean {
  return retriableCodes.includes(code) && retryCount < maxAchRetries;
}
