import { formatMajorUnits } from '../../../platform/money.ts';
import type { InvoiceDetail } from '../schemas.ts';
import { a4, pdfDocument, pdfNumber } from './document.ts';
import { type FontName, pdfString, textWidth, wrapText } from './winansi.ts';

/**
 * The invoice as a PDF document: the seller and the invoice's number and dates at the top, the
 * customer billed, the lines in a table (carried over to further pages when they do not fit), the
 * totals, the notes, and a large PAID or VOID mark behind the text once the invoice is either.
 */

const margin = 50;
const right = a4.width - margin;
const bottom = 70;
const columns = { description: margin, descriptionWidth: 255, quantity: 360, unitAmount: 450, amount: right };

interface TextOptions {
  font?: FontName;
  size?: number;
  align?: 'left' | 'right';
  gray?: number;
}

/** One page's content stream, written as it is drawn. */
class PageContent {
  readonly operators: string[] = [];

  text(x: number, y: number, text: string, options: TextOptions = {}): void {
    const { font = 'Helvetica', size = 10, align = 'left', gray = 0 } = options;
    const startX = align === 'right' ? x - textWidth(text, font, size) : x;
    const fontKey = font === 'Helvetica' ? '/F1' : '/F2';
    this.operators.push(
      `BT ${fontKey} ${pdfNumber(size)} Tf ${pdfNumber(gray)} g ${pdfNumber(startX)} ${pdfNumber(y)} Td ${pdfString(text)} Tj ET`,
    );
  }

  rule(y: number, options: { width?: number; gray?: number; from?: number } = {}): void {
    const { width = 0.5, gray = 0.6, from = margin } = options;
    this.operators.push(
      `q ${pdfNumber(gray)} G ${pdfNumber(width)} w ${pdfNumber(from)} ${pdfNumber(y)} m ${pdfNumber(right)} ${pdfNumber(y)} l S Q`,
    );
  }

  /** A large word across the page, at an angle, in a light colour. */
  stamp(word: string, rgb: [number, number, number]): void {
    const size = 120;
    const angle = (35 * Math.PI) / 180;
    const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
    const width = textWidth(word, 'Helvetica-Bold', size);
    const height = size * 0.718; // Helvetica-Bold's cap height
    const x = a4.width / 2 - (cos * width) / 2 + (sin * height) / 2;
    const y = a4.height / 2 - (sin * width) / 2 - (cos * height) / 2;
    const matrix = [cos, sin, -sin, cos, x, y].map(pdfNumber).join(' ');
    this.operators.push(`q BT /F2 ${size} Tf ${rgb.map(pdfNumber).join(' ')} rg ${matrix} Tm ${pdfString(word)} Tj ET Q`);
  }
}

/** Minor units as people read them: 123456 EUR → "1,234.56". */
export function formatAmount(amount: number, currency: string): string {
  const text = formatMajorUnits({ amount, currency });
  const [whole = '', fraction] = text.replace('-', '').split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${amount < 0 ? '-' : ''}${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
}

function quantityOf(quantity: number): string {
  return String(Number(quantity.toFixed(3)));
}

const statusLabels: Record<InvoiceDetail['status'], string> = { issued: 'Issued', paid: 'Paid', void: 'Void' };

function header(page: PageContent, invoice: InvoiceDetail): number {
  const { seller, billTo } = invoice;
  let left = a4.height - margin - 14;
  page.text(margin, left, seller.name ?? 'Invoice', { font: 'Helvetica-Bold', size: 16 });
  const place = [seller.city, seller.region, seller.country].filter((part): part is string => part !== null && part !== '').join(', ');
  if (place !== '') page.text(margin, (left -= 16), place, { size: 9, gray: 0.3 });

  let top = a4.height - margin - 16;
  page.text(right, top, 'INVOICE', { font: 'Helvetica-Bold', size: 22, align: 'right' });
  page.text(right, (top -= 20), invoice.number, { font: 'Helvetica-Bold', size: 11, align: 'right' });
  page.text(right, (top -= 15), `Issue date: ${invoice.issueDate}`, { size: 9, align: 'right' });
  page.text(right, (top -= 13), `Due date: ${invoice.dueDate}`, { size: 9, align: 'right' });
  page.text(right, (top -= 13), `Status: ${statusLabels[invoice.status]}`, { size: 9, align: 'right' });

  let y = Math.min(left, top) - 36;
  page.text(margin, y, 'BILL TO', { font: 'Helvetica-Bold', size: 8, gray: 0.4 });
  page.text(margin, (y -= 15), billTo.name, { font: 'Helvetica-Bold', size: 11 });
  for (const contact of [billTo.email, billTo.phone]) {
    if (contact !== null) page.text(margin, (y -= 13), contact, { size: 9 });
  }
  return y - 30;
}

function tableHeader(page: PageContent, y: number, currency: string): number {
  const bold = { font: 'Helvetica-Bold', size: 9 } as const;
  page.text(columns.description, y, 'Description', bold);
  page.text(columns.quantity, y, 'Qty', { ...bold, align: 'right' });
  page.text(columns.unitAmount, y, 'Unit price', { ...bold, align: 'right' });
  page.text(columns.amount, y, `Amount (${currency})`, { ...bold, align: 'right' });
  page.rule(y - 6, { width: 0.8, gray: 0.2 });
  return y - 20;
}

const rowSize = 9.5;
const rowLeading = 12;

export interface InvoicePdfOptions {
  /** Shown as the document's author. */
  author?: string;
}

/** The invoice's PDF file. */
export function invoicePdf(invoice: InvoiceDetail, options: InvoicePdfOptions = {}): Buffer {
  const { currency } = invoice;
  const pages: PageContent[] = [new PageContent()];
  const mark = invoice.status === 'paid' ? 'PAID' : invoice.status === 'void' ? 'VOID' : undefined;
  const stampOn = (page: PageContent) => {
    if (mark === 'PAID') page.stamp(mark, [0.78, 0.9, 0.78]);
    if (mark === 'VOID') page.stamp(mark, [0.95, 0.78, 0.78]);
  };
  let page = pages[0]!;
  stampOn(page);
  let y = tableHeader(page, header(page, invoice), currency);

  /** A new page when `height` more points do not fit on this one. */
  const room = (height: number, continuation: (next: PageContent) => number) => {
    if (y - height >= bottom) return;
    page = new PageContent();
    pages.push(page);
    stampOn(page);
    page.text(margin, a4.height - margin - 12, `${invoice.number} (continued)`, { font: 'Helvetica-Bold', size: 11 });
    y = continuation(page);
  };

  for (const line of invoice.lines) {
    const wrapped = wrapText(line.description, 'Helvetica', rowSize, columns.descriptionWidth);
    room(wrapped.length * rowLeading + 6, (next) => tableHeader(next, a4.height - margin - 40, currency));
    const gray = line.included ? 0.4 : 0;
    for (const [index, text] of wrapped.entries()) page.text(columns.description, y - index * rowLeading, text, { size: rowSize, gray });
    page.text(columns.quantity, y, quantityOf(line.quantity), { size: rowSize, align: 'right', gray });
    page.text(columns.unitAmount, y, formatAmount(line.unitAmount, currency), { size: rowSize, align: 'right', gray });
    const amount = formatAmount(line.amount, currency);
    page.text(columns.amount, y, line.included ? `(${amount} included)` : amount, { size: rowSize, align: 'right', gray });
    y -= wrapped.length * rowLeading + 6;
  }

  const totals: [string, number, boolean][] = [
    ['Subtotal', invoice.subtotal, false],
    ...(invoice.taxTotal !== 0 ? [['Tax', invoice.taxTotal, false] as [string, number, boolean]] : []),
    ['Total', invoice.total, true],
    ...(invoice.includedTax !== 0 ? [['Tax included in the prices', invoice.includedTax, false] as [string, number, boolean]] : []),
    ['Amount paid', invoice.amountPaid, false],
    ['Amount due', invoice.amountDue, true],
  ];
  room(totals.length * 16 + 20, () => a4.height - margin - 40);
  page.rule(y + 4, { from: columns.quantity - 40 });
  y -= 12;
  for (const [label, amount, strong] of totals) {
    const font: FontName = strong ? 'Helvetica-Bold' : 'Helvetica';
    page.text(columns.quantity - 40, y, label, { font, size: 10 });
    page.text(columns.amount, y, `${formatAmount(amount, currency)} ${currency}`, { font, size: 10, align: 'right' });
    y -= 16;
  }

  const notes = [
    ...(invoice.status === 'void' && invoice.voidReason !== null ? [`Voided: ${invoice.voidReason}`] : []),
    ...(invoice.notes === null ? [] : invoice.notes.split('\n')),
  ].flatMap((paragraph) => wrapText(paragraph, 'Helvetica', 9, right - margin));
  if (notes.length > 0) {
    y -= 14;
    room(notes.length * 12 + 16, () => a4.height - margin - 40);
    page.text(margin, y, 'NOTES', { font: 'Helvetica-Bold', size: 8, gray: 0.4 });
    for (const text of notes) {
      room(12, () => a4.height - margin - 40);
      page.text(margin, (y -= 12), text, { size: 9 });
    }
  }

  for (const [index, each] of pages.entries()) {
    each.rule(bottom - 30, { gray: 0.8 });
    each.text(margin, bottom - 44, invoice.number, { size: 8, gray: 0.4 });
    each.text(right, bottom - 44, `Page ${index + 1} of ${pages.length}`, { size: 8, gray: 0.4, align: 'right' });
  }
  return pdfDocument(
    pages.map((each) => each.operators.join('\n')),
    {
      title: `Invoice ${invoice.number}`,
      ...(options.author === undefined ? {} : { author: options.author }),
      createdAt: new Date(invoice.createdAt),
    },
  );
}
