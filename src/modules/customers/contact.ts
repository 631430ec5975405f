/** How customers' contact details are normalised before they are stored or searched. */

export const e164 = /^\+[1-9][0-9]{6,14}$/;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** `+44 (0)20 7946-0958` style punctuation goes; a leading international `00` becomes `+`. */
export function normalizePhone(phone: string): string {
  const compact = phone.replace(/\(0\)/g, '').replace(/[\s().-]/g, '');
  return compact.startsWith('00') ? `+${compact.slice(2)}` : compact;
}

const regions = new Intl.DisplayNames(['en'], { type: 'region' });

/** Codes ICU names that are not countries or territories of ISO 3166-1. */
const notCountries = new Set(['EU', 'EZ', 'QO', 'UN', 'XA', 'XB', 'ZZ']);

/** An ISO 3166-1 alpha-2 code that names a country or territory (ICU knows its name). */
export function isCountryCode(code: string): boolean {
  if (!/^[A-Z]{2}$/.test(code) || notCountries.has(code)) return false;
  try {
    return regions.of(code) !== code;
  } catch {
    return false;
  }
}
