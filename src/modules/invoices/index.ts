import type { TenureModule } from '../../platform/module.ts';

export const invoicesModule: TenureModule = { name: 'invoices' };
