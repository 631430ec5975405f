import type { TenureModule } from '../../platform/module.ts';

export const ledgerModule: TenureModule = { name: 'ledger' };
