import type { TenureModule } from '../platform/module.ts';
import { bookingsModule } from './bookings/index.ts';
import { customersModule } from './customers/index.ts';
import { identityModule } from './identity/index.ts';
import { inventoryModule } from './inventory/index.ts';
import { invoicesModule } from './invoices/index.ts';
import { ledgerModule } from './ledger/index.ts';
import { listingsModule } from './listings/index.ts';
import { organizationsModule } from './organizations/index.ts';
import { paymentsModule } from './payments/index.ts';
import { pricingModule } from './pricing/index.ts';

/** Every business module, in the order their routes are registered. */
export const modules: TenureModule[] = [
  identityModule,
  organizationsModule,
  inventoryModule,
  pricingModule,
  customersModule,
  listingsModule,
  bookingsModule,
  ledgerModule,
  invoicesModule,
  paymentsModule,
];
