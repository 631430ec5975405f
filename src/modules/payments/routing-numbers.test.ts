import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkBankIdentifiers, ibanChecksumIsValid, ibanProblem, isAbaRoutingNumber, normalizeBankIdentifier } from './routing-numbers.ts';

describe('ABA routing numbers', () => {
  it('accepts real routing numbers of each Federal Reserve range', () => {
    for (const number of ['021000021', '011000015', '111000025', '322271627', '026009593', '800000006', '000000000']) {
      expect(isAbaRoutingNumber(number), number).toBe(true);
    }
  });

  it('refuses a wrong check digit, a prefix outside the ranges, and anything but 9 digits', () => {
    for (const number of ['021000022', '130000006', '500000005', '730000001', '02100002', '0210000210', '02100002A', '']) {
      expect(isAbaRoutingNumber(number), number).toBe(false);
    }
  });

  it('catches every single mistyped digit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 1, max: 9 }), (position, shift) => {
        const digits = '322271627'.split('');
        digits[position] = String((Number(digits[position]) + shift) % 10);
        expect(isAbaRoutingNumber(digits.join(''))).toBe(false);
      }),
    );
  });
});

describe('IBANs', () => {
  it('accepts valid IBANs of their country, written with spaces or in lower case', () => {
    for (const [iban, country] of [
      ['GB82WEST12345698765432', 'GB'],
      ['DE89370400440532013000', 'DE'],
      ['FR1420041010050500013M02606', 'FR'],
      ['NL91ABNA0417164300', 'NL'],
      ['BE68539007547034', 'BE'],
      ['NO9386011117947', 'NO'],
    ] as const) {
      expect(ibanProblem(iban, country), iban).toBeUndefined();
    }
    expect(normalizeBankIdentifier('gb82 west 1234 5698 7654 32')).toBe('GB82WEST12345698765432');
  });

  it('refuses wrong check digits, lengths and countries', () => {
    expect(ibanChecksumIsValid('GB82WEST12345698765431')).toBe(false);
    expect(ibanProblem('GB82WEST12345698765431', 'GB')).toMatch(/check digits/);
    expect(ibanProblem('GB82WEST1234569876543', 'GB')).toMatch(/22 characters/);
    expect(ibanProblem('DE89370400440532013000', 'FR')).toMatch(/starts with FR/);
    expect(ibanProblem('US12345', 'US')).toMatch(/does not use IBANs/);
  });
});

describe('bank identifiers per country', () => {
  it('US: a valid routing number and 4 to 17 digits', () => {
    expect(checkBankIdentifiers({ country: 'US', routingNumber: '021-000-021', accountNumber: '0001 2345 6789' })).toEqual({
      ok: true,
      routingNumber: '021000021',
      accountNumber: '000123456789',
      iban: false,
    });
    expect(checkBankIdentifiers({ country: 'US', routingNumber: '021000021', accountNumber: '1234' }).ok).toBe(true);
    expect(checkBankIdentifiers({ country: 'US', routingNumber: '021000021', accountNumber: '12345678901234567' }).ok).toBe(true);
    for (const accountNumber of ['123', '123456789012345678', '12345A']) {
      expect(checkBankIdentifiers({ country: 'US', routingNumber: '021000021', accountNumber })).toMatchObject({
        ok: false,
        field: 'accountNumber',
      });
    }
    expect(checkBankIdentifiers({ country: 'US', routingNumber: '021000022', accountNumber: '12345678' })).toMatchObject({
      ok: false,
      field: 'routingNumber',
      problem: expect.stringMatching(/check digit/) as unknown,
    });
    expect(checkBankIdentifiers({ country: 'US', routingNumber: '500000005', accountNumber: '12345678' })).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/Federal Reserve prefixes/) as unknown,
    });
    expect(checkBankIdentifiers({ country: 'US', routingNumber: null, accountNumber: '12345678' })).toMatchObject({
      ok: false,
      field: 'routingNumber',
    });
  });

  it('UK: a 6-digit sort code and an 8-digit account number, or the IBAN alone', () => {
    expect(checkBankIdentifiers({ country: 'GB', routingNumber: '12-34-56', accountNumber: '12345678' })).toMatchObject({
      ok: true,
      routingNumber: '123456',
    });
    expect(checkBankIdentifiers({ country: 'GB', routingNumber: '12345', accountNumber: '12345678' })).toMatchObject({
      ok: false,
      field: 'routingNumber',
    });
    expect(checkBankIdentifiers({ country: 'GB', routingNumber: '123456', accountNumber: '1234567' })).toMatchObject({
      ok: false,
      field: 'accountNumber',
    });
    expect(checkBankIdentifiers({ country: 'GB', accountNumber: 'GB82 WEST 1234 5698 7654 32' })).toEqual({
      ok: true,
      routingNumber: null,
      accountNumber: 'GB82WEST12345698765432',
      iban: true,
    });
    expect(checkBankIdentifiers({ country: 'GB', accountNumber: 'GB82WEST12345698765431' })).toMatchObject({
      ok: false,
      field: 'accountNumber',
    });
  });

  it('other countries: an IBAN where they use one (a BIC may come with it), else a bank code and 4 to 34 letters and digits', () => {
    expect(checkBankIdentifiers({ country: 'DE', routingNumber: 'COBADEFFXXX', accountNumber: 'DE89370400440532013000' }).ok).toBe(true);
    expect(checkBankIdentifiers({ country: 'DE', accountNumber: 'DE89370400440532013001' }).ok).toBe(false);
    expect(checkBankIdentifiers({ country: 'KE', routingNumber: '01169', accountNumber: '1234567890' })).toMatchObject({
      ok: false,
      field: 'routingNumber',
    });
    expect(checkBankIdentifiers({ country: 'KE', routingNumber: '011690', accountNumber: '1234567890' }).ok).toBe(true);
    expect(checkBankIdentifiers({ country: 'KE', accountNumber: '1234567890' }).ok).toBe(false);
    expect(checkBankIdentifiers({ country: 'KE', routingNumber: '011690', accountNumber: '123' }).ok).toBe(false);
  });
});
