import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import { parseDate } from '../../platform/dates.ts';
import {
  achReturnCodes,
  addBankingDays,
  federalReserveHolidays,
  isAchReturnCode,
  isBankingDay,
  mayRetry,
  nextBankingDay,
  returnWindowEnds,
  sandboxProcessingSeconds,
  settlementOf,
} from './bank-rails.ts';

/** A wall-clock moment in New York, `YYYY-MM-DDTHH:MM`. */
const et = (text: string) => new Date(Temporal.PlainDateTime.from(text).toZonedDateTime('America/New_York').epochMilliseconds);
const utc = (text: string) => new Date(`${text}Z`);
const banking = (text: string) => isBankingDay(parseDate(text));

describe('banking days', () => {
  it('are weekdays', () => {
    expect(['2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06'].map(banking)).toEqual([true, true, true, true, true]);
    expect(['2026-03-07', '2026-03-08'].map(banking)).toEqual([false, false]);
  });

  it('leave out each Federal Reserve holiday of 2026', () => {
    const closed = [
      '2026-01-01', // New Year's Day, Thursday
      '2026-01-19', // Martin Luther King, Jr., third Monday of January
      '2026-02-16', // Washington's Birthday, third Monday of February
      '2026-05-25', // Memorial Day, last Monday of May
      '2026-06-19', // Juneteenth, Friday
      '2026-09-07', // Labor Day, first Monday of September
      '2026-10-12', // Columbus Day, second Monday of October
      '2026-11-11', // Veterans Day, Wednesday
      '2026-11-26', // Thanksgiving, fourth Thursday of November
      '2026-12-25', // Christmas Day, Friday
    ];
    for (const day of closed) expect(banking(day), day).toBe(false);
    // Independence Day 2026 is a Saturday: not moved, so Friday the 3rd is a banking day.
    expect(banking('2026-07-03')).toBe(true);
    // The days around them are open.
    for (const day of ['2026-01-02', '2026-01-20', '2026-05-26', '2026-06-18', '2026-11-27', '2026-12-24'])
      expect(banking(day), day).toBe(true);
  });

  it('leave out each Federal Reserve holiday of 2027, a Sunday one observed on the Monday, a Saturday one not at all', () => {
    const closed = [
      '2027-01-01', // New Year's Day, Friday
      '2027-01-18',
      '2027-02-15',
      '2027-05-31',
      '2027-07-05', // Independence Day is a Sunday: observed Monday
      '2027-09-06',
      '2027-10-11',
      '2027-11-11',
      '2027-11-25',
    ];
    for (const day of closed) expect(banking(day), day).toBe(false);
    // Juneteenth and Christmas 2027 and New Year's Day 2028 fall on Saturdays: the Fridays before stay open.
    for (const day of ['2027-06-18', '2027-12-24', '2027-12-31', '2027-07-06']) expect(banking(day), day).toBe(true);
    expect(federalReserveHolidays(2027).find((holiday) => holiday.name === 'Christmas Day')).toMatchObject({ observed: null });
    // Christmas 2022 and New Year's Day 2023 were Sundays.
    expect(['2022-12-26', '2023-01-02'].map(banking)).toEqual([false, false]);
  });

  it('of a moment are read on its Eastern Time date', () => {
    // Saturday 01:00 UTC is still Friday evening in New York.
    expect(isBankingDay(utc('2026-03-07T01:00'))).toBe(true);
    expect(isBankingDay(utc('2026-03-07T05:00'))).toBe(false);
  });

  it('are counted over weekends and holidays', () => {
    expect(nextBankingDay(parseDate('2026-01-16')).toString()).toBe('2026-01-20');
    expect(nextBankingDay(parseDate('2026-12-24')).toString()).toBe('2026-12-28');
    expect(addBankingDays(parseDate('2026-11-25'), 2).toString()).toBe('2026-11-30');
    expect(addBankingDays(parseDate('2027-07-02'), 1).toString()).toBe('2027-07-06');
  });
});

describe('same-day ACH', () => {
  it('settles in the window whose deadline the submission meets, the deadline minute included', () => {
    const cases = [
      ['2026-03-04T08:00', '2026-03-04T10:30', '2026-03-04T13:00', 'same_day_ach_1'],
      ['2026-03-04T10:30', '2026-03-04T10:30', '2026-03-04T13:00', 'same_day_ach_1'],
      ['2026-03-04T10:31', '2026-03-04T14:45', '2026-03-04T17:00', 'same_day_ach_2'],
      ['2026-03-04T14:45', '2026-03-04T14:45', '2026-03-04T17:00', 'same_day_ach_2'],
      ['2026-03-04T14:46', '2026-03-04T16:45', '2026-03-04T18:00', 'same_day_ach_3'],
      ['2026-03-04T16:45', '2026-03-04T16:45', '2026-03-04T18:00', 'same_day_ach_3'],
      ['2026-03-04T16:46', '2026-03-05T10:30', '2026-03-05T13:00', 'same_day_ach_1'],
      // Friday evening, a weekend and a holiday Monday (Presidents Day) go to Tuesday's first window.
      ['2026-02-13T16:46', '2026-02-17T10:30', '2026-02-17T13:00', 'same_day_ach_1'],
      ['2026-02-14T09:00', '2026-02-17T10:30', '2026-02-17T13:00', 'same_day_ach_1'],
      ['2026-02-16T09:00', '2026-02-17T10:30', '2026-02-17T13:00', 'same_day_ach_1'],
    ] as const;
    for (const [submitted, cutOff, settles, window] of cases) {
      expect(settlementOf('SAME_DAY_ACH', et(submitted)), submitted).toEqual({ cutOff: et(cutOff), settlesAt: et(settles), window });
    }
  });

  it('keeps Eastern Time across the changes of daylight saving time', () => {
    // Friday 6 March 2026 is EST (UTC−5); Monday 9 March is EDT (UTC−4).
    expect(settlementOf('SAME_DAY_ACH', utc('2026-03-06T15:30'))).toMatchObject({ settlesAt: utc('2026-03-06T18:00') });
    expect(settlementOf('SAME_DAY_ACH', utc('2026-03-06T21:46'))).toEqual({
      cutOff: utc('2026-03-09T14:30'),
      settlesAt: utc('2026-03-09T17:00'),
      window: 'same_day_ach_1',
    });
    expect(settlementOf('SAME_DAY_ACH', utc('2026-03-09T14:31'))).toMatchObject({
      window: 'same_day_ach_2',
      settlesAt: utc('2026-03-09T21:00'),
    });
  });
});

describe('standard ACH', () => {
  it('settles at 08:30 the next banking day; after 16:45 or on a closed day, counted from the next banking day', () => {
    const cases = [
      ['2026-03-04T16:45', '2026-03-04T16:45', '2026-03-05T08:30'],
      ['2026-03-04T16:46', '2026-03-05T16:45', '2026-03-06T08:30'],
      ['2026-03-06T12:00', '2026-03-06T16:45', '2026-03-09T08:30'],
      ['2026-03-06T16:46', '2026-03-09T16:45', '2026-03-10T08:30'],
      ['2026-03-07T12:00', '2026-03-09T16:45', '2026-03-10T08:30'],
      // Thanksgiving Wednesday evening: counted from Friday, settled Monday.
      ['2026-11-25T17:00', '2026-11-27T16:45', '2026-11-30T08:30'],
      ['2026-12-24T10:00', '2026-12-24T16:45', '2026-12-28T08:30'],
      // Christmas 2027 on a Saturday leaves Friday 24th open.
      ['2027-12-23T10:00', '2027-12-23T16:45', '2027-12-24T08:30'],
      ['2027-12-24T10:00', '2027-12-24T16:45', '2027-12-27T08:30'],
      ['2027-12-31T10:00', '2027-12-31T16:45', '2028-01-03T08:30'],
      // Juneteenth 2027 on a Saturday; Independence Day 2027 observed on Monday 5 July.
      ['2027-06-18T10:00', '2027-06-18T16:45', '2027-06-21T08:30'],
      ['2027-07-02T10:00', '2027-07-02T16:45', '2027-07-06T08:30'],
    ] as const;
    for (const [submitted, cutOff, settles] of cases) {
      expect(settlementOf('STANDARD_ACH', et(submitted)), submitted).toEqual({
        cutOff: et(cutOff),
        settlesAt: et(settles),
        window: 'standard_ach',
      });
    }
  });

  it('settles at 08:30 Eastern whichever offset the day has', () => {
    expect(settlementOf('STANDARD_ACH', utc('2026-03-06T17:00')).settlesAt).toEqual(utc('2026-03-09T12:30'));
    expect(settlementOf('STANDARD_ACH', utc('2026-10-30T16:00')).settlesAt).toEqual(utc('2026-11-02T13:30'));
    // A submission late on Saturday 31 October (EDT) waits for Monday, now EST.
    expect(settlementOf('STANDARD_ACH', utc('2026-11-01T03:30'))).toEqual({
      cutOff: utc('2026-11-02T21:45'),
      settlesAt: utc('2026-11-03T13:30'),
      window: 'standard_ach',
    });
  });
});

describe('wires', () => {
  it('settle at once before 18:00 on a banking day, otherwise at 09:00 the next banking day', () => {
    expect(settlementOf('WIRE', et('2026-03-04T17:59'))).toEqual({
      cutOff: et('2026-03-04T18:00'),
      settlesAt: et('2026-03-04T17:59'),
      window: 'wire_same_day',
    });
    for (const submitted of ['2026-03-04T18:00', '2026-03-04T18:01', '2026-03-04T23:30']) {
      expect(settlementOf('WIRE', et(submitted)), submitted).toEqual({
        cutOff: et('2026-03-05T18:00'),
        settlesAt: et('2026-03-05T09:00'),
        window: 'wire_next_banking_day',
      });
    }
    expect(settlementOf('WIRE', et('2026-03-06T18:30')).settlesAt).toEqual(et('2026-03-09T09:00'));
    expect(settlementOf('WIRE', et('2026-03-07T10:00')).settlesAt).toEqual(et('2026-03-09T09:00'));
    expect(settlementOf('WIRE', et('2026-11-11T10:00')).settlesAt).toEqual(et('2026-11-12T09:00'));
    expect(settlementOf('WIRE', et('2026-11-26T10:00')).settlesAt).toEqual(et('2026-11-27T09:00'));
    expect(settlementOf('WIRE', et('2027-12-31T17:00')).window).toBe('wire_same_day');
  });
});

describe('instant payments', () => {
  it('settle at once, at any hour of any day', () => {
    for (const submitted of ['2026-03-07T03:00', '2026-12-25T23:59', '2026-03-08T02:30']) {
      const moment = et(submitted);
      expect(settlementOf('INSTANT', moment)).toEqual({ cutOff: null, settlesAt: moment, window: 'instant' });
    }
  });

  it('and the sandbox reports each rail after its own seed time', () => {
    expect((['INSTANT', 'WIRE', 'SAME_DAY_ACH', 'STANDARD_ACH'] as const).map(sandboxProcessingSeconds)).toEqual([2, 30, 60, 180]);
  });
});

describe('ACH returns', () => {
  it('knows each code', () => {
    expect(Object.keys(achReturnCodes)).toEqual(['R01', 'R02', 'R03', 'R04', 'R05', 'R07', 'R08', 'R09', 'R10', 'R11', 'R16']);
    expect(achReturnCodes.R01.description).toBe('Insufficient funds');
    expect(isAchReturnCode('R09')).toBe(true);
    expect(isAchReturnCode('R06')).toBe(false);
    expect(isAchReturnCode('toString')).toBe(false);
  });

  it('come back within 2 banking days, or 60 calendar days for unauthorized debits', () => {
    // Settled Friday 13 February 2026: Presidents Day Monday, so the window ends with Wednesday 18th.
    const settled = et('2026-02-13T08:30');
    for (const code of ['R01', 'R02', 'R03', 'R04', 'R08', 'R09', 'R16'] as const) {
      expect(returnWindowEnds(code, settled), code).toEqual(et('2026-02-19T00:00'));
    }
    for (const code of ['R05', 'R07', 'R10', 'R11'] as const) {
      expect(returnWindowEnds(code, settled), code).toEqual(et('2026-04-15T00:00'));
    }
    expect(returnWindowEnds('R01', et('2027-12-23T08:30'))).toEqual(et('2027-12-28T00:00'));
  });

  it('may be retried for R01 and R09 only, twice at most', () => {
    expect([0, 1, 2].map((count) => mayRetry('R01', count))).toEqual([true, true, false]);
    expect([0, 1, 2].map((count) => mayRetry('R09', count))).toEqual([true, true, false]);
    for (const code of ['R02', 'R03', 'R04', 'R05', 'R07', 'R08', 'R10', 'R11', 'R16', 'X99']) expect(mayRetry(code, 0), code).toBe(false);
  });
});
