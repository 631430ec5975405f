import { describe, expect, it } from 'vitest';
import { addMonths, eachNight, firstOfNextMonth, instantAt, nightsBetween, parseDate, parseMonth, todayIn, weekdayOf } from './dates.ts';

describe('dates', () => {
  it('refuses dates that do not exist rather than clamping them', () => {
    expect(() => parseDate('2026-02-30')).toThrow(RangeError);
    expect(() => parseDate('2027-02-29')).toThrow(RangeError);
    expect(parseDate('2028-02-29').toString()).toBe('2028-02-29');
    expect(() => parseDate('2026-2-3')).toThrow(RangeError);
    expect(parseMonth('2026-02').toString()).toBe('2026-02-01');
  });

  it('counts nights half-open and names weekdays', () => {
    expect(nightsBetween(parseDate('2026-01-31'), parseDate('2026-03-01'))).toBe(29);
    expect([...eachNight(parseDate('2028-02-28'), parseDate('2028-03-01'))].map(String)).toEqual(['2028-02-28', '2028-02-29']);
    expect(weekdayOf(parseDate('2026-03-08'))).toBe('sun');
  });

  it('adds months clamped to the month’s last day, and finds the next month’s first day', () => {
    expect(addMonths(parseDate('2026-01-31'), 1).toString()).toBe('2026-02-28');
    expect(addMonths(parseDate('2028-01-31'), 1).toString()).toBe('2028-02-29');
    expect(addMonths(parseDate('2026-03-31'), 11).toString()).toBe('2027-02-28');
    expect(firstOfNextMonth(parseDate('2026-12-15')).toString()).toBe('2027-01-01');
  });

  it('places a wall-clock time in a zone: forward across a gap, the earlier of an overlap', () => {
    expect(instantAt(parseDate('2026-03-08'), '15:00', 'America/New_York').toISOString()).toBe('2026-03-08T19:00:00.000Z');
    expect(instantAt(parseDate('2026-03-08'), '02:30', 'America/New_York').toISOString()).toBe('2026-03-08T07:30:00.000Z');
    expect(instantAt(parseDate('2026-11-01'), '01:30', 'America/New_York').toISOString()).toBe('2026-11-01T05:30:00.000Z');
    expect(instantAt(parseDate('2026-10-25'), '15:00', 'Europe/London').toISOString()).toBe('2026-10-25T15:00:00.000Z');
  });

  it('knows today’s date in a zone', () => {
    const now = new Date('2026-01-01T03:00:00Z');
    expect(todayIn('America/Los_Angeles', now).toString()).toBe('2025-12-31');
    expect(todayIn('Asia/Tokyo', now).toString()).toBe('2026-01-01');
  });
});
