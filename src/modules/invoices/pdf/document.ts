import { pdfString } from './winansi.ts';

/**
 * A PDF 1.4 file, written by hand: a catalog, a page tree of A4 pages, the standard Helvetica fonts
 * in WinAnsiEncoding, one uncompressed content stream per page, the document information, and the
 * cross-reference table with each object's byte offset.
 */

/** A4 in points (1/72 inch). */
export const a4 = { width: 595.28, height: 841.89 } as const;

export interface DocumentInfo {
  title: string;
  author?: string;
  createdAt: Date;
}

/** A number as PDF writes it: at most two decimals, no exponent. */
export function pdfNumber(value: number): string {
  const rounded = Math.round(value * 100) / 100;
  return Object.is(rounded, -0) ? '0' : String(rounded);
}

/** D:YYYYMMDDHHmmSSZ, the PDF date of an instant (in UTC). */
function pdfDate(at: Date): string {
  return `D:${at.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

/**
 * The file of the pages' content streams (7-bit text: PDF operators, with strings made by
 * `pdfString`). Objects: 1 catalog, 2 page tree, 3 Helvetica (/F1), 4 Helvetica-Bold (/F2),
 * 5 information, then a page and its content stream for each page.
 */
export function pdfDocument(pageContents: readonly string[], info: DocumentInfo): Buffer {
  if (pageContents.length === 0) throw new RangeError('A PDF has at least one page');
  const firstPage = 6;
  const pageIds = pageContents.map((_, index) => firstPage + index * 2);
  const objects: string[] = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pageIds.length} >>`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>',
    [
      `<< /Title ${pdfString(info.title)}`,
      info.author === undefined ? '' : ` /Author ${pdfString(info.author)}`,
      ` /Producer (Tenure) /CreationDate (${pdfDate(info.createdAt)}) >>`,
    ].join(''),
  ];
  for (const [index, content] of pageContents.entries()) {
    const contentId = pageIds[index]! + 1;
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${pdfNumber(a4.width)} ${pdfNumber(a4.height)}] ` +
        `/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents ${contentId} 0 R >>`,
    );
    objects.push(`<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`);
  }

  // The binary comment marks the file as binary for tools that guess (PDF 1.4, section 3.4.1).
  const chunks: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let length = chunks[0]!.length;
  const offsets: number[] = [];
  for (const [index, body] of objects.entries()) {
    offsets.push(length);
    const chunk = Buffer.from(`${index + 1} 0 obj\n${body}\nendobj\n`, 'latin1');
    chunks.push(chunk);
    length += chunk.length;
  }
  // Each cross-reference entry is exactly 20 bytes: 10-digit offset, 5-digit generation, type, then space and newline.
  const entries = offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('');
  const xref = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${entries}`;
  const trailer = `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 5 0 R >>\nstartxref\n${length}\n%%EOF\n`;
  chunks.push(Buffer.from(xref + trailer, 'latin1'));
  return Buffer.concat(chunks);
}
