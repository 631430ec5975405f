/**
 * Text for PDF's standard fonts: WinAnsiEncoding (Windows-1252) bytes, and the glyph widths of
 * Helvetica and Helvetica-Bold (from Adobe's AFM files, in 1/1000 of the font size) to measure it.
 */

/** The code points Windows-1252 puts at 0x80–0x9F (the rest of 0xA0–0xFF is Latin-1). */
const high: Record<number, number> = {
  0x20ac: 0x80,
  0x201a: 0x82,
  0x0192: 0x83,
  0x201e: 0x84,
  0x2026: 0x85,
  0x2020: 0x86,
  0x2021: 0x87,
  0x02c6: 0x88,
  0x2030: 0x89,
  0x0160: 0x8a,
  0x2039: 0x8b,
  0x0152: 0x8c,
  0x017d: 0x8e,
  0x2018: 0x91,
  0x2019: 0x92,
  0x201c: 0x93,
  0x201d: 0x94,
  0x2022: 0x95,
  0x2013: 0x96,
  0x2014: 0x97,
  0x02dc: 0x98,
  0x2122: 0x99,
  0x0161: 0x9a,
  0x203a: 0x9b,
  0x0153: 0x9c,
  0x017e: 0x9e,
  0x0178: 0x9f,
};

const replacement = 0x3f; // '?'

/** The WinAnsi byte of one character; characters outside it become '?', white space a space. */
export function winAnsiByte(character: string): number {
  const code = character.codePointAt(0) ?? replacement;
  if (code >= 0x20 && code <= 0x7e) return code;
  if (code >= 0xa0 && code <= 0xff) return code;
  if (code === 0x09 || code === 0x0a || code === 0x0d) return 0x20;
  return high[code] ?? replacement;
}

/** The text as WinAnsi bytes, composed first so that "e" + combining acute is é. */
export function winAnsiBytes(text: string): number[] {
  return Array.from(text.normalize('NFC'), winAnsiByte);
}

/**
 * A PDF literal string of the text: `(`, `)` and `\` escaped, and every byte outside printable
 * ASCII written as an octal escape, so content streams stay 7-bit text.
 */
export function pdfString(text: string): string {
  let out = '(';
  for (const byte of winAnsiBytes(text)) {
    if (byte === 0x28 || byte === 0x29 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else if (byte >= 0x20 && byte <= 0x7e) out += String.fromCharCode(byte);
    else out += `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return `${out})`;
}

export type FontName = 'Helvetica' | 'Helvetica-Bold';

// Widths of the printable ASCII characters, 0x20 (space) to 0x7E (~).
const helvetica = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278,
  278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722,
  667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556,
  556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];
const helveticaBold = [
  278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333,
  333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722,
  667, 944, 667, 667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611,
  611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];
const widths: Record<FontName, number[]> = { Helvetica: helvetica, 'Helvetica-Bold': helveticaBold };

/** A character's width: an accented letter as wide as its base letter, anything else outside ASCII as a digit. */
function characterWidth(character: string, table: number[]): number {
  const base = character.normalize('NFD').codePointAt(0) ?? 0x3f;
  const code = winAnsiByte(character) === replacement ? replacement : base;
  return code >= 0x20 && code <= 0x7e ? table[code - 0x20]! : 556;
}

/** The width of the text in points at this size. */
export function textWidth(text: string, font: FontName, size: number): number {
  const table = widths[font];
  let units = 0;
  for (const character of text.normalize('NFC')) units += characterWidth(character, table);
  return (units * size) / 1000;
}

/** Splits text into lines no wider than `maxWidth`, at spaces where it can and inside words where it must. */
export function wrapText(text: string, font: FontName, size: number, maxWidth: number): string[] {
  const lines: string[] = [];
  let current = '';
  const fits = (candidate: string) => textWidth(candidate, font, size) <= maxWidth;
  for (const word of text.replace(/\s+/g, ' ').trim().split(' ')) {
    const candidate = current === '' ? word : `${current} ${word}`;
    if (fits(candidate)) {
      current = candidate;
      continue;
    }
    if (current !== '') lines.push(current);
    current = '';
    for (const character of word) {
      if (current !== '' && !fits(current + character)) {
        lines.push(current);
        current = '';
      }
      current += character;
    }
  }
  if (current !== '' || lines.length === 0) lines.push(current);
  return lines;
}
