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
    const expected = Buffer.from(token);
    const given = Buffer.from(presented);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw operatorErrors.raise('unauthenticated', 'Send Authorization: Bearer <OPERATOR_TOKEN>', {
        headers: { 'www-authenticate': 'Bearer' },
      });
    }
  };
}
