import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { defineErrors } from './errors.ts';

export const operatorErrors = defineErrors('operator', {
  unauthenticated: { status: 401, title: 'Operator credentials are required' },
  disabled: { status: 403, title: 'Operations endpoints are disabled' },
});

/**
 * Guards the operations endpoints (parked events, re-drives) with the `OPERATOR_TOKEN` bearer
 * token. With no token configured they are closed.
 */
export function operatorGuard(token: string | undefined) {
  return async (request: FastifyRequest): Promise<void> => {
    if (!token) throw operatorErrors.raise('disabled', 'Set OPERATOR_TOKEN to enable the operations endpoints');
    const presented = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
    if (!isOperatorToken(token, presented)) {
      throw operatorErrors.raise('unauthenticated', 'Send Authorization: Bearer <OPERATOR_TOKEN>', {
        headers: { 'www-authenticate': 'Bearer' },
      });
    }
  };
}

/** Compares in constant time; with no operator token configured, nothing is one. */
export function isOperatorToken(operatorToken: string | undefined, presented: string): boolean {
  if (operatorToken === undefined) return false;
  const expected = Buffer.from(operatorToken);
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
