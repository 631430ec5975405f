import type { TenureModule } from '../../platform/module.ts';

export const paymentsModule: TenureModule = { name: 'payments' };
