import type { TenureModule } from '../platform/module.ts';
import { identityModule } from './identity/index.ts';
import { organizationsModule } from './organizations/index.ts';

/** Every business module, in the order their routes are registered. */
export const modules: TenureModule[] = [identityModule, organizationsModule];
