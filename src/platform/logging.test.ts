import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logging.ts';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger({ LOG_LEVEL: 'info' }, stream) };
}

describe('log redaction', () => {
  it('never writes credentials or personal data', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        req: { headers: { authorization: 'Bearer eyJhbGciOi', cookie: 'session=abc' } },
        body: { email: 'amina@example.com', password: 'correct horse', phone: '+254700000001' },
        account: { details: { accountNumber: '000123456789' } },
        refreshToken: 'r-123',
      },
      'request received',
    );
    const line = lines.join('');
    for (const secret of ['eyJhbGciOi', 'session=abc', 'amina@example.com', 'correct horse', '+254700000001', '000123456789', 'r-123']) {
      expect(line).not.toContain(secret);
    }
    expect(line).toContain('[redacted]');
    expect(JSON.parse(line)).toMatchObject({ level: 'info', service: 'tenure', msg: 'request received' });
  });
});
