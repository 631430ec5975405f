import { Temporal } from 'temporal-polyfill';
import { MpesaAmountNotWhole, MpesaRequestRefused } from './mpesa-errors.ts';

/** Daraja reads and writes wall-clock times in Kenya's time. */
export const darajaTimeZone = 'Africa/Nairobi';

/** `YYYYMMDDHHMMSS` in Nairobi time: the STK `Timestamp`, and the shape of a callback's `TransactionDate`. */
export function darajaTimestamp(at: Date): string {
  const time = Temporal.Instant.fromEpochMilliseconds(at.getTime()).toZonedDateTimeISO(darajaTimeZone);
  const two = (value: number) => String(value).padStart(2, '0');
  return `${String(time.year).padStart(4, '0')}${two(time.month)}${two(time.day)}${two(time.hour)}${two(time.minute)}${two(time.second)}`;
}

/** The instant of a Nairobi wall-clock time given as its parts; undefined when they name no real time. */
export function nairobiInstant(parts: {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}): Date | undefined {
  try {
    const time = Temporal.PlainDateTime.from(parts, { overflow: 'reject' }).toZonedDateTime(darajaTimeZone);
    return new Date(time.epochMilliseconds);
  } catch {
    return undefined;
  }
}

/** A callback's `TransactionDate` (20221117155745, a number or a string). */
export function parseDarajaTimestamp(value: unknown): Date | undefined {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string') return undefined;
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  return nairobiInstant({ year, month, day, hour, minute, second });
}

/** A B2C result's `TransactionCompletedDateTime` (`17.07.2017 10:54:57`). */
export function parseB2cCompletedAt(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2}):(\d{2})$/.exec(value);
  if (!match) return undefined;
  const [day, month, year, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  return nairobiInstant({ year, month, day, hour, minute, second });
}

/** The STK `Password`: base64(shortcode + passkey + timestamp). */
export function stkPassword(shortcode: string, passkey: string, timestamp: string): string {
  return Buffer.from(`${shortcode}${passkey}${timestamp}`, 'utf8').toString('base64');
}

/**
 * A Kenyan mobile number as Daraja wants it (`2547XXXXXXXX`, `2541XXXXXXXX`), from E.164
 * (`+2547…`); the local form `07…`/`01…` is accepted too.
 */
export function darajaMsisdn(phone: string | undefined): string {
  const compact = (phone ?? '').replace(/[\s-]/g, '');
  const international = /^\+?(254[17]\d{8})$/.exec(compact);
  if (international) return international[1]!;
  const local = /^0([17]\d{8})$/.exec(compact);
  if (local) return `254${local[1]!}`;
  throw new MpesaRequestRefused('phone_invalid', 'M-Pesa needs a Kenyan mobile number (+2547XXXXXXXX or +2541XXXXXXXX)');
}

/** Minor units of KES as the whole shillings Daraja takes; refuses anything else before a call is made. */
export function wholeShillings(amount: number, currency: string): number {
  if (currency !== 'KES') throw new MpesaRequestRefused('currency_unsupported', `M-Pesa moves Kenyan shillings (KES), not ${currency}`);
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new MpesaRequestRefused('amount_invalid', `An M-Pesa amount is a positive whole number of minor units, not ${amount}`);
  }
  if (amount % 100 !== 0) throw new MpesaAmountNotWhole(amount);
  return amount / 100;
}

/** Shillings as Daraja reports them (1, 1.00, "10.00") in minor units; undefined when not a number. */
export function minorUnitsOf(shillings: unknown): number | undefined {
  const value = typeof shillings === 'string' && shillings.trim() !== '' ? Number(shillings) : shillings;
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  return Math.round(value * 100);
}
