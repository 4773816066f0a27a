import { join } from 'node:path';
import { PACKAGE_ROOT } from './package-root.js';

/** The package's proto/ folder. */
export const PROTO_ROOT = join(PACKAGE_ROOT, 'proto');
