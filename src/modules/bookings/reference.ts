import { randomInt } from 'node:crypto';

/** Crockford's base 32: no I, L, O or U, so a reference read out on the phone is not misheard. */
const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Eight random characters: about 1.1 × 10¹² references, unique per organization. */
export function newReference(): string {
  let reference = '';
  for (let index = 0; index < 8; index++) reference += alphabet.charAt(randomInt(alphabet.length));
  return reference;
}
