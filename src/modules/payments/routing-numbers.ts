/**
 * What a bank account's identifiers must look like before we store them: ABA routing numbers
 * (checksum and Federal Reserve prefix), UK sort codes, other countries' bank or branch codes,
 * IBANs (ISO 13616, mod 97), and account numbers per country. Spaces and hyphens are dropped and
 * letters upper-cased first, so `12-34-56` and `gb29 nwbk …` are accepted as written on paper.
 */

export interface BankIdentifiers {
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
  routingNumber?: string | null | undefined;
  accountNumber: string;
}

export type BankIdentifiersCheck =
  | { ok: true; routingNumber: string | null; accountNumber: string; iban: boolean }
  | { ok: false; field: 'routingNumber' | 'accountNumber'; problem: string };

/** The identifier without the spaces, hyphens and dots people write in it, in upper case. */
export function normalizeBankIdentifier(value: string): string {
  return value.replace(/[\s.-]/g, '').toUpperCase();
}

/** Federal Reserve routing symbol prefixes: 00–12 (00 the US government), 21–32 (thrifts), 61–72 (electronic), 80 (traveler's cheques). */
function isFederalReservePrefix(prefix: number): boolean {
  return (prefix >= 0 && prefix <= 12) || (prefix >= 21 && prefix <= 32) || (prefix >= 61 && prefix <= 72) || prefix === 80;
}

/** An ABA routing transit number: 9 digits, a valid prefix, and 3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10). */
export function isAbaRoutingNumber(value: string): boolean {
  if (!/^[0-9]{9}$/.test(value)) return false;
  if (!isFederalReservePrefix(Number(value.slice(0, 2)))) return false;
  const weights = [3, 7, 1, 3, 7, 1, 3, 7, 1];
  const total = weights.reduce((sum, weight, index) => sum + weight * Number(value[index]), 0);
  return total % 10 === 0;
}

/** IBAN lengths of the countries that use one (the SWIFT IBAN registry), as country code and length. */
const ibanLengths = new Map(
  (
    'AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 DK18 DO28 EE20 EG29 ' +
    'ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 ' +
    'LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 MT31 MU30 NL18 NO15 PK24 PL28 PS29 PT25 QA29 RO24 ' +
    'RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20'
  )
    .split(' ')
    .map((entry) => [entry.slice(0, 2), Number(entry.slice(2))] as const),
);

export function usesIban(country: string): boolean {
  return ibanLengths.has(country);
}

/** Whether the (normalised) value is written as an IBAN: two letters, two check digits, then the account. */
export function looksLikeIban(value: string): boolean {
  return /^[A-Z]{2}[0-9]{2}[0-9A-Z]+$/.test(value);
}

/** The ISO 7064 mod 97-10 check: the first four characters moved to the end, letters as 10–35, remainder 1. */
export function ibanChecksumIsValid(iban: string): boolean {
  if (!/^[0-9A-Z]+$/.test(iban)) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const character of rearranged) {
    const digits = /[A-Z]/.test(character) ? String(character.charCodeAt(0) - 55) : character;
    for (const digit of digits) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder === 1;
}

/** Why an IBAN of the country is refused, or undefined when it is valid. */
export function ibanProblem(iban: string, country: string): string | undefined {
  const length = ibanLengths.get(country);
  if (length === undefined) return `${country} does not use IBANs`;
  if (!iban.startsWith(country)) return `An IBAN of ${country} starts with ${country}`;
  if (iban.length !== length) return `An IBAN of ${country} has ${length} characters, not ${iban.length}`;
  if (!ibanChecksumIsValid(iban)) return 'The IBAN’s check digits do not match: a character is mistyped';
  return undefined;
}

function routingProblem(country: string, routingNumber: string): string | undefined {
  if (country === 'US') {
    if (!/^[0-9]{9}$/.test(routingNumber)) return 'An ABA routing number has 9 digits';
    if (!isFederalReservePrefix(Number(routingNumber.slice(0, 2)))) {
      return `No ABA routing number starts with ${routingNumber.slice(0, 2)} (Federal Reserve prefixes are 00–12, 21–32, 61–72 and 80)`;
    }
    if (!isAbaRoutingNumber(routingNumber)) return 'The routing number’s check digit does not match: a digit is mistyped';
    return undefined;
  }
  if (country === 'GB') return /^[0-9]{6}$/.test(routingNumber) ? undefined : 'A UK sort code has 6 digits';
  // The bank (and branch) code of other countries, or a BIC: 6 to 11 letters and digits, as the table allows.
  return /^[0-9A-Z]{6,11}$/.test(routingNumber) ? undefined : 'A bank code has 6 to 11 letters and digits';
}

function accountProblem(country: string, accountNumber: string): string | undefined {
  if (country === 'US') return /^[0-9]{4,17}$/.test(accountNumber) ? undefined : 'A US account number has 4 to 17 digits';
  if (country === 'GB') return /^[0-9]{8}$/.test(accountNumber) ? undefined : 'A UK account number has 8 digits, or give the IBAN';
  return /^[0-9A-Z]{4,34}$/.test(accountNumber) ? undefined : 'An account number has 4 to 34 letters and digits';
}

/**
 * Checks and normalises a bank account's identifiers for its country. An IBAN country's account
 * number may be the IBAN, which then needs no bank code (it holds one); otherwise the bank code is
 * required: the ABA routing number in the US, the sort code in the UK.
 */
export function checkBankIdentifiers(input: BankIdentifiers): BankIdentifiersCheck {
  const country = input.country.toUpperCase();
  const accountNumber = normalizeBankIdentifier(input.accountNumber);
  const given = input.routingNumber == null ? '' : normalizeBankIdentifier(input.routingNumber);
  const routingNumber = given === '' ? null : given;

  const iban = usesIban(country) && looksLikeIban(accountNumber);
  if (iban) {
    const problem = ibanProblem(accountNumber, country);
    if (problem) return { ok: false, field: 'accountNumber', problem };
  } else {
    const problem = accountProblem(country, accountNumber);
    if (problem) return { ok: false, field: 'accountNumber', problem };
  }

  if (routingNumber === null) {
    if (iban) return { ok: true, routingNumber, accountNumber, iban };
    const name = country === 'US' ? 'An ABA routing number' : country === 'GB' ? 'A sort code' : 'A bank code';
    return { ok: false, field: 'routingNumber', problem: `${name} is required with this account number` };
  }
  // With an IBAN the bank code is optional and may be the BIC, whatever the country.
  const problem = iban ? routingProblem('', routingNumber) : routingProblem(country, routingNumber);
  if (problem) return { ok: false, field: 'routingNumber', problem };
  return { ok: true, routingNumber, accountNumber, iban };
}
