import type { TenureModule } from '../../platform/module.ts';
import { customersRoutes } from './routes.ts';

/**
 * Customers: the people who rent, with or without a login of their own; search, blacklisting and
 * merging of duplicates. Other modules create and read customers through the functions below.
 */
export { createCustomer, customerFacts, customerForUser, customerIdsOfUser, type CustomerFacts, type NewCustomer } from './customers.ts';
export { customerErrors } from './errors.ts';

export const customersModule: TenureModule = {
  name: 'customers',
  routes: customersRoutes,
};
