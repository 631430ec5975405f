import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Linter } from 'eslint';
import { describe, expect, it } from 'vitest';
import tenure from '../../eslint/module-boundaries.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const linter = new Linter({ configType: 'flat', cwd: root });

function lint(file: string, code: string): string[] {
  const messages = linter.verify(
    code,
    [
      {
        files: ['**/*.ts'],
        plugins: { tenure },
        rules: { 'tenure/module-boundaries': 'error' },
        languageOptions: { sourceType: 'module' },
      },
    ],
    path.join(root, file),
  );
  return messages.map((message) => message.message);
}

describe('module boundaries', () => {
  it('lets test code use another module’s published test fixtures, and nothing else does', () => {
    const fixtures = "import { createStay } from '../bookings/test-support.ts';";
    expect(lint('src/modules/payments/payments.test.ts', fixtures)).toEqual([]);
    expect(lint('src/modules/payments/test-support.ts', fixtures)).toEqual([]);
    expect(lint('src/modules/payments/routes.ts', fixtures)).toEqual([
      'Import module "bookings" through src/modules/bookings/index.ts, not src/modules/bookings/test-support.ts.',
    ]);
    expect(lint('src/modules/payments/payments.test.ts', "import { bookingById } from '../bookings/store.ts';")).toHaveLength(1);
  });

  it('lets a module reach another only through its index.ts', () => {
    expect(lint('src/modules/bookings/service.ts', "import { quote } from '../pricing/index.ts';")).toEqual([]);
    expect(lint('src/modules/bookings/service.ts', "import { rates } from '../pricing/rates.ts';")).toEqual([
      'Import module "pricing" through src/modules/pricing/index.ts, not src/modules/pricing/rates.ts.',
    ]);
    expect(lint('src/modules/bookings/routes.ts', "export { x } from '../pricing/store/rates.ts';")).toHaveLength(1);
  });

  it('lets a module use its own files freely', () => {
    expect(lint('src/modules/bookings/routes.ts', "import { createBooking } from './service.ts';")).toEqual([]);
    expect(lint('src/modules/bookings/nested/deep.ts', "import { x } from '../store.ts';")).toEqual([]);
  });

  it('forbids the platform from importing any module', () => {
    expect(lint('src/platform/http/server.ts', "import { modules } from '../../modules/bookings/index.ts';")).toEqual([
      'src/platform must not import a module (src/modules/bookings/index.ts); pass what it needs in, or publish an event.',
    ]);
  });

  it('holds tests and tools outside src/modules to index.ts too', () => {
    expect(lint('test/scenarios/booking.test.ts', "import { x } from '../../src/modules/bookings/store.ts';")).toHaveLength(1);
    expect(lint('test/scenarios/booking.test.ts', "import { x } from '../../src/modules/bookings/index.ts';")).toEqual([]);
  });

  it('checks dynamic imports', () => {
    expect(lint('src/modules/a/x.ts', "const m = await import('../b/internal.ts');")).toHaveLength(1);
  });
});
