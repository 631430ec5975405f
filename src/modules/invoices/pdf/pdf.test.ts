import { describe, expect, it } from 'vitest';
import type { InvoiceDetail } from '../schemas.ts';
import { expectValidPdf } from '../test-support.ts';
import { pdfDocument } from './document.ts';
import { formatAmount, invoicePdf } from './invoice-pdf.ts';
import { pdfString, textWidth, winAnsiBytes, wrapText } from './winansi.ts';

describe('PDF strings', () => {
  it('escape parentheses and backslashes, and write WinAnsi bytes outside ASCII as octal', () => {
    expect(pdfString('a(b)c\\d')).toBe('(a\\(b\\)c\\\\d)');
    expect(pdfString('Café 10 €')).toBe('(Caf\\351 10 \\200)');
    expect(pdfString('“Zoë” – ok…')).toBe('(\\223Zo\\353\\224 \\226 ok\\205)');
    // Outside WinAnsi: replaced.
    expect(pdfString('Ωmega 東京 😀')).toBe('(?mega ?? ?)');
    // A decomposed accent is composed first.
    expect(winAnsiBytes('e\u0301')).toEqual([0xe9]);
    expect(pdfString('tab\there\nnext')).toBe('(tab here next)');
  });

  it('measure with the Helvetica widths and wrap to a width', () => {
    expect(textWidth('0123456789', 'Helvetica', 10)).toBeCloseTo(55.6);
    expect(textWidth('W', 'Helvetica-Bold', 1000)).toBe(944);
    expect(textWidth('é', 'Helvetica', 1000)).toBe(textWidth('e', 'Helvetica', 1000));
    const lines = wrapText('one two three four five six seven', 'Helvetica', 10, 60);
    expect(lines.join(' ')).toBe('one two three four five six seven');
    for (const line of lines) expect(textWidth(line, 'Helvetica', 10)).toBeLessThanOrEqual(60);
    expect(wrapText('x'.repeat(50), 'Helvetica', 10, 50).every((line) => textWidth(line, 'Helvetica', 10) <= 50)).toBe(true);
    expect(wrapText('', 'Helvetica', 10, 50)).toEqual(['']);
  });

  it('format amounts in major units with thousands separators', () => {
    expect(formatAmount(123_456_789, 'EUR')).toBe('1,234,567.89');
    expect(formatAmount(-5200, 'EUR')).toBe('-52.00');
    expect(formatAmount(5, 'EUR')).toBe('0.05');
    expect(formatAmount(1_500_000, 'JPY')).toBe('1,500,000');
    expect(formatAmount(1_234_567, 'KWD')).toBe('1,234.567');
  });
});

describe('the PDF file', () => {
  it('has a cross-reference table whose offsets point at each object', () => {
    const bytes = pdfDocument(['BT /F1 12 Tf 50 800 Td (one) Tj ET', 'BT /F1 12 Tf 50 800 Td (two \\351) Tj ET'], {
      title: 'Test (1)',
      createdAt: new Date('2026-05-01T10:20:30Z'),
    });
    const text = expectValidPdf(bytes);
    expect(text).toContain('/Count 2');
    expect(text).toContain('/Title (Test \\(1\\))');
    expect(text).toContain('/CreationDate (D:20260501102030Z)');
    expect(text).toContain('/MediaBox [0 0 595.28 841.89]');
  });

  const invoice: InvoiceDetail = {
    id: '01900000-0000-7000-8000-000000000001',
    number: 'INV-000042',
    kind: 'charge',
    status: 'void',
    bookingId: null,
    customerId: '01900000-0000-7000-8000-000000000002',
    currency: 'EUR',
    subtotal: 0,
    taxTotal: 0,
    includedTax: 0,
    total: 0,
    amountPaid: 0,
    amountDue: 0,
    issueDate: '2026-05-01',
    dueDate: '2026-05-15',
    billTo: { customerId: '01900000-0000-7000-8000-000000000002', name: 'Ana Silva', email: 'ana@example.test', phone: null },
    seller: {
      organizationId: '01900000-0000-7000-8000-000000000003',
      propertyId: null,
      name: null,
      city: null,
      region: null,
      country: null,
    },
    notes: 'A note\non two lines',
    ledgerEntryId: null,
    voidReason: 'Issued twice',
    paidAt: null,
    voidedAt: '2026-05-02T00:00:00.000Z',
    createdAt: '2026-05-01T09:00:00.000Z',
    updatedAt: '2026-05-02T00:00:00.000Z',
    lines: Array.from({ length: 90 }, (_, index) => ({
      position: index + 1,
      kind: 'charge' as const,
      description: `Item ${index + 1}: ${'a long description that wraps '.repeat(index % 3)}`,
      quantity: 1.5,
      unitAmount: 1000,
      amount: 1500,
      included: false,
    })),
  };

  it('carries a long invoice over several pages, each with its number, and marks a void one VOID', () => {
    const text = expectValidPdf(invoicePdf(invoice));
    const pages = Number(/\/Count (\d+)/.exec(text)?.[1]);
    expect(pages).toBeGreaterThan(2);
    expect(text).toContain(`(Page ${pages} of ${pages})`);
    expect(text).toContain('(INV-000042 \\(continued\\))');
    expect(text.match(/\(VOID\) Tj/g)).toHaveLength(pages);
    expect(text).toContain('(Voided: Issued twice)');
    expect(text).toContain('(on two lines)');
    expect(text).toMatch(/\(Item 90: a long description [^)]*\) Tj/);
  });
});
