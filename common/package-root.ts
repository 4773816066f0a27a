import { fileURLToPath } from 'node:url';

/**
 * The package's own folder (package.json, proto/, the OpenAPI data), for
 * files the code reads at run time. This module always runs two folders
 * below it: dist/common/ as tsc emits it, dist/bundle/ inlined in the bundle.
 */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
